import { describe, expect, it } from 'vitest';
import { AttemptError } from '../../src/wait/attempt.js';
import { type Progress, progressLine, waitForTargets, WaitError } from '../../src/wait/run.js';
import { parseTarget, type Target } from '../../src/config/wait-target.js';
import { abortReason } from '../../src/util/time.js';
import { thrownAsync } from '../support/thrown.js';

/**
 * The runner's decisions with an injected clock, delay and probe: backoff,
 * the deadline, progress lines, failures that stop everything, cancellation.
 * The probes themselves are tested against real servers (test/integration/wait*.test.ts).
 */
function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    clock: { now: () => now },
    sleeps,
    advance: (ms: number) => (now += ms),
    sleep: (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

/** A probe scripted per target: each call takes the next outcome (an answer, or an error to throw). */
function scripted(script: Record<string, Array<string | Error>>) {
  const calls: string[] = [];
  return {
    calls,
    probe: (t: Target) => {
      calls.push(t.display);
      const list = script[t.display]!;
      const next = list.length > 1 ? list.shift()! : list[0]!;
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
  };
}

const refused = () => new AttemptError('connection refused');

describe('waiting for targets', () => {
  it('backs off from 100 ms doubling to 1 s, until the deadline, then names the target and its last error', async () => {
    const t = fakeTime();
    const { probe } = scripted({ 'tcp://db:5432': [refused()] });
    const err = await thrownAsync(() =>
      waitForTargets([parseTarget('tcp://db:5432')], { timeoutMs: 5000, ...t, probe }),
    );
    expect(err).toBeInstanceOf(WaitError);
    expect(t.sleeps).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 500]);
    expect(err.message).toBe(
      '1 of 1 target did not answer within 5.0s:\n  tcp://db:5432 (8 attempts): connect: connection refused',
    );
    expect(err.hint).toBe(
      'Check that each is running and reachable from here (host, port, Service name). If it is still starting, give it longer with --timeout.',
    );
    expect(err.exitCode).toBe(5);
    expect(err.code).toBe('wait.timeout');
  });

  it('returns each answer once every target has answered, waiting for them all at once', async () => {
    const t = fakeTime();
    const { probe, calls } = scripted({
      'tcp://db:5432': ['connected'],
      'redis://cache': [refused(), refused(), 'PONG'],
    });
    const results = await waitForTargets([parseTarget('tcp://db:5432'), parseTarget('redis://cache')], {
      timeoutMs: 60_000,
      ...t,
      probe,
    });
    expect(results.map((r) => [r.target, r.ok, r.attempts, r.answer])).toEqual([
      ['tcp://db:5432', true, 1, 'connected'],
      ['redis://cache', true, 3, 'PONG'],
    ]);
    expect(calls.filter((c) => c === 'tcp://db:5432')).toHaveLength(1);
  });

  it('prints a line on the first failure, on a new error, and every 5 s of the same error; then the answer', async () => {
    const t = fakeTime();
    const lines: string[] = [];
    const { probe } = scripted({
      'redis://cache': [
        refused(),
        refused(),
        new AttemptError('LOADING Redis is loading the dataset in memory'),
        ...Array.from({ length: 8 }, refused),
        'PONG',
      ],
    });
    await waitForTargets([parseTarget('redis://cache')], {
      timeoutMs: 60_000,
      ...t,
      probe,
      onProgress: (p: Progress) => lines.push(progressLine(p)),
    });
    expect(lines).toEqual([
      'waiting for redis://cache (attempt 1, 0ms): PING: connection refused',
      'waiting for redis://cache (attempt 3, 300ms): PING: LOADING Redis is loading the dataset in memory',
      'waiting for redis://cache (attempt 4, 700ms): PING: connection refused',
      'waiting for redis://cache (attempt 10, 6.5s): PING: connection refused',
      'ready: redis://cache: PONG (attempt 12, 8.5s)',
    ]);
  });

  it('stops every target at once on a failure waiting cannot fix, naming it and what the others last said', async () => {
    const t = fakeTime();
    const { probe } = scripted({
      'tcp://db:5432': [refused()],
      'redis://:***@cache': [
        new AttemptError('WRONGPASS invalid username-password pair or user is disabled.', {
          permanent: true,
          hint: 'Check the password.',
        }),
      ],
      'http://api/health': ['200 OK'],
    });
    const err = await thrownAsync(() =>
      waitForTargets(
        [parseTarget('tcp://db:5432'), parseTarget('redis://:pw-9876@cache'), parseTarget('http://api/health')],
        { timeoutMs: 60_000, ...t, probe },
      ),
    );
    expect(err).toBeInstanceOf(WaitError);
    expect(err.code).toBe('wait.refused');
    expect(err.message).toBe(
      [
        'redis://:***@cache: AUTH + PING: WRONGPASS invalid username-password pair or user is disabled. (waiting cannot fix this: stopped at once)',
        '  tcp://db:5432 (1 attempt): connect: connection refused (stopped waiting)',
        '  ready: http://api/health',
      ].join('\n'),
    );
    expect(err.hint).toBe('Check the password.');
    expect(t.sleeps.length).toBeLessThanOrEqual(1);
  });

  it('treats anything else a probe throws as a failure that may heal, with its message', async () => {
    const t = fakeTime();
    const { probe } = scripted({ 'tcp://db:5432': [new Error('socket hang up'), 'connected'] });
    const results = await waitForTargets([parseTarget('tcp://db:5432')], { timeoutMs: 5000, ...t, probe });
    expect(results[0]).toMatchObject({ ok: true, attempts: 2 });
  });

  it('rejects with the signal’s reason when cancelled, and makes no further attempt', async () => {
    const t = fakeTime();
    const controller = new AbortController();
    const reason = new Error('interrupted by SIGTERM');
    const { calls } = scripted({});
    const probe = () => {
      calls.push('x');
      if (calls.length === 2) controller.abort(reason);
      return Promise.reject(refused());
    };
    await expect(
      waitForTargets([parseTarget('tcp://db:5432')], { timeoutMs: 60_000, ...t, probe, signal: controller.signal }),
    ).rejects.toBe(reason);
    expect(calls).toHaveLength(2);
  });

  it('gives each attempt at most its own timeout, and never more than what is left of the wait', async () => {
    const t = fakeTime();
    const budgets: number[] = [];
    const probe = (_t: Target, a: { timeoutMs: number }) => {
      budgets.push(a.timeoutMs);
      t.advance(a.timeoutMs);
      return Promise.reject(new AttemptError(`no answer within ${a.timeoutMs}ms`));
    };
    await expect(
      waitForTargets([parseTarget('redis://cache')], { timeoutMs: 2500, attemptTimeoutMs: 1000, ...t, probe }),
    ).rejects.toBeInstanceOf(WaitError);
    // 0 -> 1000 (attempt), sleep 100 -> 1100, attempt -> 2100, sleep 200 -> 2300, attempt gets the last 200.
    expect(budgets).toEqual([1000, 1000, 200]);
  });
});
