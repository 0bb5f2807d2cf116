import { describe, expect, it } from 'vitest';
import type { Client, ConnectOptions } from '../../src/engine/connect.js';
import { waitForDatabase } from '../../src/engine/wait.js';
import { ExitCode, SchemagateError } from '../../src/errors.js';
import { thrownAsync } from '../support/thrown.js';

/** A host that never answers: every attempt takes its whole connect timeout, on an injected clock. */
function silentHost() {
  const clock = { t: 0, now: () => clock.t };
  const timeouts: number[] = [];
  const connect = (conn: ConnectOptions): Promise<Client> => {
    timeouts.push(conn.connectTimeoutMs!);
    clock.t += conn.connectTimeoutMs!;
    return Promise.reject(
      new SchemagateError('connect.timeout', `timed out after ${conn.connectTimeoutMs}ms`, {
        exitCode: ExitCode.connection,
        hint: 'Is the host reachable from here?',
      }),
    );
  };
  const sleep = (ms: number) => {
    clock.t += ms;
    return Promise.resolve();
  };
  return { clock, timeouts, connect, sleep };
}

const conn = { url: 'postgres://u@10.0.0.1/db', applicationName: 'test', connectTimeoutMs: 5000 };

describe('waitForDatabase keeps its deadline', () => {
  it('never lets an attempt run past the deadline: 15s means 15s, not 20s', async () => {
    const host = silentHost();
    const err = await thrownAsync(() => waitForDatabase(conn, { timeoutMs: 15_000, ...host, flag: '--wait-for-db' }));
    expect(err.exitCode).toBe(5);
    expect(err.message).toMatch(/^PostgreSQL did not accept connections within 15s \(\d+ attempts\)/);
    expect(err.hint).toBe('Is the host reachable from here? If it is still starting, wait longer with --wait-for-db.');
    expect(host.clock.t).toBeLessThanOrEqual(15_100);
    expect(Math.max(...host.timeouts)).toBe(5000);
    expect(host.timeouts.at(-1)).toBeLessThan(5000);
  });

  it('stops at once when aborted during an attempt, without another one', async () => {
    const controller = new AbortController();
    let attempts = 0;
    const connect = (_c: ConnectOptions, signal?: AbortSignal): Promise<Client> => {
      attempts++;
      controller.abort(new SchemagateError('interrupted', 'interrupted by SIGINT', { exitCode: 130 }));
      signal?.throwIfAborted();
      return Promise.reject(new Error('unreachable'));
    };
    const err = await thrownAsync(() =>
      waitForDatabase(conn, { timeoutMs: 60_000, connect, signal: controller.signal }),
    );
    expect(err.message).toBe('interrupted by SIGINT');
    expect(attempts).toBe(1);
  });
});
