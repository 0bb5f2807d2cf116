import { createInterface } from 'node:readline/promises';
import { ExitCode, SchemagateError } from '../errors.js';
import type { CommandContext } from './db.js';

export interface Terminal {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
}

const processTerminal: Terminal = { input: process.stdin, output: process.stderr };

/** Someone is there to answer: stdin and stderr are a terminal, and no program reads --json. */
export function canAsk(c: CommandContext, io: Terminal = processTerminal): boolean {
  return !c.out.json && io.input.isTTY === true && io.output.isTTY === true;
}

/** Asks on stderr; only "y" or "yes" (any case) is a yes. */
export async function ask(question: string, io: Terminal = processTerminal): Promise<boolean> {
  const rl = createInterface({ input: io.input, output: io.output });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/**
 * The gate of a destructive command: `--yes` goes ahead; in a terminal the
 * question is asked and only "y" goes ahead; anywhere else (scripts, CI,
 * pipes) it is refused with exit 11, so nothing is deleted by a command
 * nobody confirmed.
 */
export async function confirmOrRefuse(
  c: CommandContext,
  opts: { yes: boolean; question: string; refusal: string },
  io: Terminal = processTerminal,
): Promise<void> {
  if (opts.yes) return;
  const asked = canAsk(c, io);
  if (asked && (await ask(opts.question, io))) return;
  throw new SchemagateError('reset.unconfirmed', `${opts.refusal}${asked ? ' (not confirmed)' : ''}`, {
    exitCode: ExitCode.refused,
    hint: 'Run it again with --yes if that is what you want.',
  });
}
