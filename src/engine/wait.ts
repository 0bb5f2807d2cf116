import { ExitCode, SchemagateError } from '../errors.js';
import { type Client, connect, connectError, type ConnectOptions, sqlState, WAIT_ADVICE } from './connect.js';
import { type Clock, formatDuration, sleep as realSleep, systemClock } from '../util/time.js';

export interface WaitOptions {
  timeoutMs: number;
  clock?: Clock;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  onAttempt?: (error: SchemagateError, waitedMs: number) => void;
  /** The flag that sets the deadline, for the hint (`db wait --timeout`, `--wait-for-db` of the other commands). @default '--timeout' */
  flag?: string;
  /** Opens a connection (tests give their own). */
  connect?: (conn: ConnectOptions, signal?: AbortSignal) => Promise<Client>;
}

/** Failures that waiting cannot fix (a wrong password, a refused user): report them at once instead of at the deadline. */
export function isPermanentConnectError(e: unknown): boolean {
  const state = sqlState((e as { cause?: unknown }).cause ?? e);
  return state === '28P01' || state === '28000';
}

/** One attempt: a connection and `SELECT 1`, closed again. Failures are `connectError`s. */
export async function pingDatabase(
  conn: ConnectOptions,
  signal?: AbortSignal,
  open: (conn: ConnectOptions, signal?: AbortSignal) => Promise<Client> = connect,
): Promise<void> {
  const client = await open(conn, signal);
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
  const open = opts.connect ?? connect;
  const started = clock.now();
  let delay = 100;
  for (let attempt = 1; ; attempt++) {
    let last: SchemagateError;
    opts.signal?.throwIfAborted();
    // No attempt runs past the deadline: a host that drops packets would hold it for the whole connect timeout.
    const remaining = Math.max(100, opts.timeoutMs - (clock.now() - started));
    try {
      await pingDatabase(
        { ...conn, connectTimeoutMs: Math.min(conn.connectTimeoutMs ?? 5000, remaining) },
        opts.signal,
        open,
      );
      return { waitedMs: clock.now() - started, attempts: attempt };
    } catch (e) {
      if (opts.signal?.aborted) throw opts.signal.reason;
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
          hint: `${(last.hint ?? 'Check that the database is running and reachable from here.').replace(WAIT_ADVICE, '')} If it is still starting, wait longer with ${opts.flag ?? '--timeout'}.`,
          cause: last,
        },
      );
    }
    await sleep(Math.min(delay, Math.max(1, opts.timeoutMs - waited)), opts.signal);
    delay = Math.min(delay * 2, 2000);
  }
}
