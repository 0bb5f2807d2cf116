import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { confirmOrRefuse, type Terminal } from '../../src/cli/confirm.js';
import type { CommandContext } from '../../src/cli/db.js';
import { thrownAsync } from '../support/thrown.js';

function terminal(answer: string | undefined, tty = true): Terminal & { said: () => string } {
  const input = Object.assign(new PassThrough(), { isTTY: tty });
  const output = Object.assign(new PassThrough(), { isTTY: tty });
  let said = '';
  // Answer once, when the question is out (a terminal echoes what is typed: answering every write would loop).
  output.on('data', (d: Buffer) => {
    if (said === '' && answer !== undefined) setImmediate(() => input.write(`${answer}\n`));
    said += d.toString();
  });
  return { input, output, said: () => said };
}

const ctx = (json = false) => ({ out: { json } }) as unknown as CommandContext;
const opts = { yes: false, question: 'Drop public?', refusal: 'reset --local drops public; refusing without --yes' };

describe('confirmOrRefuse: the gate of a destructive command', () => {
  it('goes ahead with --yes without asking', async () => {
    const t = terminal(undefined);
    await confirmOrRefuse(ctx(), { ...opts, yes: true }, t);
    expect(t.said()).toBe('');
  });

  it('asks in a terminal and goes ahead on y or yes', async () => {
    for (const answer of ['y', 'YES', ' yes ']) {
      const t = terminal(answer);
      await confirmOrRefuse(ctx(), opts, t);
      expect(t.said()).toContain('Drop public? [y/N] ');
    }
  });

  it('refuses (exit 11) on any other answer, and says it was not confirmed', async () => {
    for (const answer of ['', 'n', 'yep']) {
      const e = await thrownAsync(() => confirmOrRefuse(ctx(), opts, terminal(answer)));
      expect([e.exitCode, e.message]).toEqual([
        11,
        'reset --local drops public; refusing without --yes (not confirmed)',
      ]);
    }
  });

  it('refuses without asking when nobody can answer: no terminal, or --json', async () => {
    for (const [t, json] of [
      [terminal('y', false), false],
      [terminal('y'), true],
    ] as const) {
      const e = await thrownAsync(() => confirmOrRefuse(ctx(json), opts, t));
      expect([e.exitCode, e.message, e.hint]).toEqual([
        11,
        'reset --local drops public; refusing without --yes',
        'Run it again with --yes if that is what you want.',
      ]);
      expect(t.said()).toBe('');
    }
  });
});
