import { hostname } from 'node:os';
import type { MigrationFormat } from '../config/types.js';
import { ExitCode, SchemagateError } from '../errors.js';
import { type Client, connect, type ConnectOptions } from './connect.js';
import {
  abortError,
  type EngineContext,
  type EngineSettings,
  type Logger,
  makeContext,
  type NoticeSink,
} from './context.js';
import { HeldLock, LockLostError } from './held-lock.js';
import { HistoryTable } from './history.js';
import { prepareSession } from './session-state.js';
import { acquireLock, describeHolder, lockKey, releaseLock, runningKey } from './lock.js';
import { type Clock, formatDuration } from '../util/time.js';

/** Everything the engine functions need; built from schemagate.yaml and flags by `engineOptions()`. */
export interface EngineOptions {
  url: string;
  applicationName: string;
  connectTimeoutMs: number;
  migrationsDir: string;
  seedsDir: string;
  format: MigrationFormat;
  schema: string;
  table: string;
  managedSchemas: string[];
  settings: EngineSettings;
  lockWaitMs: number;
  outOfOrder: boolean;
  /** A migrations folder with no migrations is not an error (`--allow-empty`). @default false */
  allowEmpty?: boolean | undefined;
  log: Logger;
  /** Warnings and notices PostgreSQL sends while a script runs. */
  notice?: NoticeSink;
  signal?: AbortSignal | undefined;
  clock?: Clock;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function connectOptions(opts: EngineOptions, command: string, suffix = ''): ConnectOptions {
  // Pods are named after their Job, so the host says which attempt this is.
  return {
    url: opts.url,
    applicationName: `${opts.applicationName} ${command} @${hostname()}`.slice(0, 63 - suffix.length) + suffix,
    connectTimeoutMs: opts.connectTimeoutMs,
  };
}

/** Opens a connection in the engine's starting state. */
async function open(
  conn: ConnectOptions,
  opts: EngineOptions,
): Promise<{ client: Client; pid: number; transactionModes: string }> {
  const client = await connect(conn, opts.signal);
  try {
    return { client, ...(await prepareSession(client, opts.settings)) };
  } catch (e) {
    await client.end().catch(() => undefined);
    if (opts.signal?.aborted) throw abortError(opts.signal, 'connecting');
    throw e;
  }
}

function contextFor(
  opts: EngineOptions,
  work: { client: Client; pid: number; transactionModes: string },
  conn: ConnectOptions,
  history: HistoryTable,
  signal: AbortSignal | undefined,
  lock?: HeldLock,
): EngineContext {
  return makeContext({
    client: work.client,
    pid: work.pid,
    transactionModes: work.transactionModes,
    conn,
    history,
    settings: opts.settings,
    log: opts.log,
    ...(opts.notice ? { notice: opts.notice } : {}),
    signal,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
    lock,
  });
}

/** An error that already says the run was stopped (by a signal, or a lost lock), and how far it got. */
function stopped(e: unknown): boolean {
  return e instanceof SchemagateError && (e.exitCode === ExitCode.interrupted || e instanceof LockLostError);
}

/** An AbortSignal that aborts when either does, with the first one's reason. */
function eitherSignal(a: AbortSignal | undefined, b: AbortSignal): AbortSignal {
  if (!a) return b;
  const c = new AbortController();
  const relay = (s: AbortSignal) => () => c.abort(s.reason);
  if (a.aborted) c.abort(a.reason);
  else if (b.aborted) c.abort(b.reason);
  else {
    a.addEventListener('abort', relay(a), { once: true });
    b.addEventListener('abort', relay(b), { once: true });
  }
  return c.signal;
}

/** A connection, its backend pid and the history table, without the lock (read-only commands). */
export async function withSession<T>(
  opts: EngineOptions,
  command: string,
  fn: (ctx: EngineContext) => Promise<T>,
): Promise<T> {
  const conn = connectOptions(opts, command);
  const work = await open(conn, opts);
  try {
    const history = new HistoryTable({ ...work, conn, signal: opts.signal }, opts.schema, opts.table);
    return await fn(contextFor(opts, work, conn, history, opts.signal));
  } catch (e) {
    if (opts.signal?.aborted && !stopped(e))
      throw abortError(opts.signal, `running db ${command}`, 'the running statement was cancelled');
    throw e;
  } finally {
    await work.client.end().catch(() => undefined);
  }
}

export class PgBouncerError extends SchemagateError {
  override readonly name = 'PgBouncerError';
  constructor(detail: string) {
    super(
      'connect.pooler',
      `the migration lock did not stay on this connection's server session (${detail}): the connection goes through a pooler in transaction mode (PgBouncer pool_mode = transaction)`,
      {
        exitCode: ExitCode.connection,
        hint: 'A session-level advisory lock taken through transaction pooling is orphaned on whatever server connection ran it. Connect the migration directly to PostgreSQL (or to a PgBouncer pool in session mode) for migrations.',
      },
    );
  }
}

/**
 * What a command may do under the migration lock before the script
 * connection opens: read the history on the lock's connection and decide,
 * with the result of the work done alongside (`alongside`). A result ends
 * the session there (a `db migrate` with nothing to apply never opens the
 * script connection); undefined goes on to `fn`.
 */
export type BeforeScripts<T, S> = (history: HistoryTable, alongside: Promise<S>) => Promise<{ result: T } | undefined>;

export interface LockedSessionSteps<T, S> {
  /**
   * Work that needs no database (reading the migration files), already
   * started: the lock connection opens and the lock is first tried while it
   * runs. If it fails, its error is the one the session fails with, and the
   * lock is never waited for: a bad file is reported at once, also while
   * another runner holds the lock.
   */
  alongside?: Promise<S>;
  before?: BeforeScripts<T, S>;
}

/**
 * A session holding the migration lock. The lock is taken (polled, never a
 * blocking pg_advisory_lock) and held on a connection of its own, which runs
 * only schemagate's statements; the scripts run on a second connection, so
 * nothing they do can release the lock. The history table is read and
 * written under it, and the lock is released in `finally`, also when `fn`
 * throws. Losing the lock (its session ended) aborts `fn` at once.
 */
export async function withLockedSession<T, S = undefined>(
  opts: EngineOptions,
  command: string,
  fn: (ctx: EngineContext) => Promise<T>,
  steps: LockedSessionSteps<T, S> = {},
): Promise<T> {
  const alongside = steps.alongside ?? Promise.resolve(undefined as S);
  // Awaited where it is needed; until then its failure must not count as unhandled.
  alongside.catch(() => undefined);
  const key = lockKey(opts.schema, opts.table);
  const lockConn = connectOptions(opts, command, ' (lock)');
  const name = `${opts.schema}.${opts.table}`;
  let control: { client: Client; pid: number; transactionModes: string } | undefined;
  let lock: HeldLock | undefined;
  let work: { client: Client; pid: number; transactionModes: string } | undefined;
  try {
    control = await open(lockConn, opts);
    await acquireLock(control.client, {
      key,
      name,
      waitMs: opts.lockWaitMs,
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
      signal: opts.signal,
      beforeWaiting: async () => {
        await alongside;
      },
      onWait: (holder, waited) =>
        opts.log(
          `waiting for the migration lock on ${name}${waited >= 1000 ? ` (${formatDuration(waited)} so far)` : ''}: held by ${holder ? describeHolder(holder) : 'a session that just ended'}`,
        ),
    });
    await checkLockStaysHere(control.client, control.pid, key);
    lock = new HeldLock(control.client, control.pid, key, name, runningKey(opts.schema, opts.table));
    const signal = eitherSignal(opts.signal, lock.signal);
    const history = new HistoryTable({ ...control, conn: lockConn, signal }, opts.schema, opts.table);
    history.guardWith(lock);
    const early = steps.before ? await steps.before(history, alongside) : undefined;
    await alongside;
    let result: T;
    if (early) {
      result = early.result;
    } else {
      const conn = connectOptions(opts, command);
      work = await open(conn, opts);
      await acquireLock(work.client, {
        key: lock.runningKey,
        name,
        waitMs: opts.lockWaitMs,
        ...(opts.clock ? { clock: opts.clock } : {}),
        ...(opts.sleep ? { sleep: opts.sleep } : {}),
        signal: opts.signal,
        onWait: (holder) =>
          opts.log(
            `waiting for the script session of a stopped runner to end (${holder ? describeHolder(holder) : 'it just ended'}): its last statement is still running`,
          ),
      });
      result = await fn(contextFor(opts, work, conn, history, signal, lock));
    }
    await lock.assertHeld();
    lock.closingOnPurpose();
    if (!(await releaseLock(control.client, key)))
      throw new PgBouncerError('pg_advisory_unlock found no lock to release');
    return result;
  } catch (e) {
    // The work alongside failed: that is the error to report, whatever the session made of it meanwhile.
    await alongside;
    if (lock?.lost && !(e instanceof LockLostError)) throw lock.error();
    if (opts.signal?.aborted && !stopped(e)) throw abortError(opts.signal, `running db ${command}`);
    throw e;
  } finally {
    lock?.closingOnPurpose();
    await work?.client.end().catch(() => undefined);
    // Ending the session releases the lock too, whatever state it is in.
    await control?.client.end().catch(() => undefined);
  }
}

/** Detects transaction pooling: the backend changed, or it does not hold the lock we just took. */
async function checkLockStaysHere(client: Client, pid: number, key: bigint): Promise<void> {
  const unsigned = BigInt.asUintN(64, key);
  const { rows } = await client.query<{ pid: number; held: boolean }>(
    `SELECT pg_backend_pid() AS pid, EXISTS (
       SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() AND objsubid = 1
          AND classid::bigint = $1 AND objid::bigint = $2) AS held`,
    [Number(unsigned >> 32n), Number(unsigned & 0xffffffffn)],
  );
  const r = rows[0];
  if (!r || r.pid !== pid)
    throw new PgBouncerError(`the server process changed from pid ${pid} to ${r?.pid ?? '?'} between two queries`);
  if (!r.held) throw new PgBouncerError(`server process ${r.pid} does not hold the lock just granted`);
}
