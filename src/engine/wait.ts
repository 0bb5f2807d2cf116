import { ExitCode, SchemagateError } from '../errors.js';
import { connect, connectError, type ConnectOptions, sqlState, WAIT_ADVICE } from './connect.js';
import { type Clock, formatDuration, sleep as realSleep, systemClock } from '../util/time.js';

export interface WaitOptions {
  timeoutMs: number;
  clock?: Clock;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  onAttempt?: (error: SchemagateError, waitedMs: number) => void;
}

/** Failures that waiting cannot fix (a wrong password, a refused user): report them at once instead of at the deadline. */
export function isPermanentConnectError(e: unknown): boolean {
  const state = sqlState((e as { cause?: unknown }).cause ?? e);
  return state === '28P01' || state === '28000';
}

/** One attempt: a connection and `SELECT 1`, closed again. Failures are `connectError`s. */
export async function pingDatabase(conn: ConnectOptions): Promise<void> {
  const client = await connect(conn);
  try {
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Waits until PostgreSQL accepts a connection and answers `SELECT 1`, with
 * backoff (100 ms doubling to 2 s) up to a deadline. What the backend's first
 * init container runs; Kubernetes starts it before postgres is ready.
 */
export async function waitForDatabase(
  conn: ConnectOptions,
  opts: WaitOptions,
): Promise<{ waitedMs: number; attempts: number }> {
  const clock = opts.clock ?? systemClock;
  const sleep = opts.sleep ?? realSleep;
  const started = clock.now();
  let delay = 100;
  for (let attempt = 1; ; attempt++) {
    let last: SchemagateError;
    try {
      await pingDatabase({
        ...conn,
        connectTimeoutMs: Math.min(conn.connectTimeoutMs ?? 5000, Math.max(1000, opts.timeoutMs)),
      });
      return { waitedMs: clock.now() - started, attempts: attempt };
    } catch (e) {
      last = e instanceof SchemagateError ? e : connectError(e, conn.url, conn.connectTimeoutMs ?? 5000);
      if (isPermanentConnectError(e)) throw last;
    }
    const waited = clock.now() - started;
    opts.onAttempt?.(last, waited);
    if (waited >= opts.timeoutMs) {
      throw new SchemagateError(
        'wait.timeout',
        `PostgreSQL did not accept connections within ${formatDuration(opts.timeoutMs)} (${attempt} attempts); last error: ${last.message}`,
        {
          exitCode: ExitCode.connection,
          hint: `${(last.hint ?? 'Check that the database is running and reachable from here.').replace(WAIT_ADVICE, '')} If it is still starting, wait longer with --timeout.`,
          cause: last,
        },
      );
    }
    await sleep(Math.min(delay, Math.max(1, opts.timeoutMs - waited)), opts.signal);
    delay = Math.min(delay * 2, 2000);
  }
}
