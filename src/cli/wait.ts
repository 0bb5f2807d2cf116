import { parseDuration } from '../util/duration.js';
import { ExitCode, UsageError } from '../errors.js';
import { resolvePasswords } from '../wait/password.js';
import { progressLine, waitForTargets } from '../wait/run.js';
import { parseTarget, TARGET_FORMS } from '../config/wait-target.js';
import { type Parsed, str } from './args.js';
import type { CommandContext, DbCommand } from './db.js';

/** A duration flag that must be above 0: a wait always has a deadline. */
function deadline(p: Parsed, name: string, fallback: number): number {
  const text = str(p, name);
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === undefined || ms === 0) {
    throw new UsageError(`--${name} ${text}: expected a duration above 0 (e.g. 500ms, 30s, 5m)`);
  }
  return ms;
}

async function run(c: CommandContext): Promise<ExitCode> {
  if (c.args.positionals.length === 0) {
    throw new UsageError(
      'wait needs at least one target',
      `Targets are ${TARGET_FORMS}. Example: schemagate wait tcp://localhost:5432 redis://localhost:6379 --timeout 60s`,
    );
  }
  const timeoutMs = deadline(c.args, 'timeout', 60_000);
  const attemptTimeoutMs = deadline(c.args, 'attempt-timeout', 5000);
  const targets = resolvePasswords(c.args.positionals.map(parseTarget), { env: c.env });
  const results = await waitForTargets(targets, {
    timeoutMs,
    attemptTimeoutMs,
    signal: c.signal,
    onProgress: (p) => c.out.progress(progressLine(p)),
  });
  c.out.data({ ok: true, targets: results });
  for (const r of results) {
    c.out.result(
      `${c.out.paint('green', 'ready')}  ${r.target}: ${r.answer} (${r.attempts} attempt${r.attempts === 1 ? '' : 's'}, ${(r.waitedMs / 1000).toFixed(1)}s)`,
    );
  }
  return ExitCode.ok;
}

export const waitCommand: DbCommand = {
  usage: 'schemagate wait TARGET... [--timeout 60s] [--attempt-timeout 5s] [--json]',
  summary: [
    'Wait until every target answers, all at once, each with backoff, up to one deadline. Targets:',
    '  tcp://HOST:PORT                              the port accepts a connection',
    '  http(s)://HOST[:PORT]/PATH[#expect=200-399]  a GET is answered 2xx (or the statuses after #expect=)',
    '  redis(s)://[USER:PASSWORD@]HOST[:PORT][/DB]  PING is answered PONG (after AUTH and SELECT)',
    '  postgres://USER:PASSWORD@HOST[:PORT]/DB      a connection answers SELECT 1 (what db wait does)',
    'A password can stay out of the URL: #password-env=VAR or #password-file=PATH (e.g. a mounted Secret).',
    'Exit 0 when all answered; 5 when one did not answer in time, or refused (a wrong password fails at once);',
    '2 for a bad target; 3 when a #password-env variable or #password-file cannot be read; 130 when interrupted.',
  ].join('\n'),
  options: {
    timeout: { type: 'string', description: 'give up after this long (default 60s)', value: 'DURATION' },
    'attempt-timeout': {
      type: 'string',
      description: 'give up on one attempt after this long, then try again (default 5s)',
      value: 'DURATION',
    },
  },
  positionals: Number.POSITIVE_INFINITY,
  run,
};
