import { hostname } from 'node:os';
import type { MigrationFormat } from '../config/types.js';
import { ExitCode, SchemagateError } from '../errors.js';
import { type ConnectOptions, withClient } from './connect.js';
import { type EngineContext, type EngineSettings, type Logger, makeContext } from './context.js';
import { HistoryTable } from './history.js';
import { acquireLock, describeHolder, lockKey, releaseLock } from './lock.js';
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
  log: Logger;
  signal?: AbortSignal | undefined;
  clock?: Clock;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function connectOptions(opts: EngineOptions, command: string): ConnectOptions {
  // Pods are named after their Job, so the host says which attempt this is.
  return {
    url: opts.url,
    applicationName: `${opts.applicationName} ${command} @${hostname()}`.slice(0, 63),
    connectTimeoutMs: opts.connectTimeoutMs,
  };
}

/** A connection, its backend pid and the history table, without the lock (read-only commands). */
export async function withSession<T>(
  opts: EngineOptions,
  command: string,
  fn: (ctx: EngineContext) => Promise<T>,
): Promise<T> {
  const conn = connectOptions(opts, command);
  return withClient(conn, async (client) => {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const ctx = makeContext({
      client,
      pid: rows[0]!.pid,
      conn,
      history: new HistoryTable(client, opts.schema, opts.table),
      settings: opts.settings,
      log: opts.log,
      signal: opts.signal,
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
    });
    return fn(ctx);
  });
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
 * A session holding the migration lock. The lock is polled (never a blocking
 * pg_advisory_lock), the history table is read under it, and it is released
 * in `finally`, also when `fn` throws.
 */
export async function withLockedSession<T>(
  opts: EngineOptions,
  command: string,
  fn: (ctx: EngineContext) => Promise<T>,
): Promise<T> {
  return withSession(opts, command, async (ctx) => {
    const key = lockKey(opts.schema, opts.table);
    await acquireLock(ctx.client, {
      key,
      name: ctx.history.displayName,
      waitMs: opts.lockWaitMs,
      clock: ctx.clock,
      sleep: ctx.sleep,
      signal: opts.signal,
      onWait: (holder, waited) =>
        opts.log(
          `waiting for the migration lock on ${ctx.history.displayName}${waited >= 1000 ? ` (${formatDuration(waited)} so far)` : ''}: held by ${holder ? describeHolder(holder) : 'a session that just ended'}`,
        ),
    });
    let released = false;
    try {
      await checkLockStaysHere(ctx, key);
      const result = await fn(ctx);
      released = true;
      if (!(await releaseLock(ctx.client, key)))
        throw new PgBouncerError('pg_advisory_unlock found no lock to release');
      return result;
    } finally {
      if (!released) await releaseLock(ctx.client, key).catch(() => undefined);
    }
  });
}

/** Detects transaction pooling: the backend changed, or it does not hold the lock we just took. */
async function checkLockStaysHere(ctx: EngineContext, key: bigint): Promise<void> {
  const unsigned = BigInt.asUintN(64, key);
  const { rows } = await ctx.client.query<{ pid: number; held: boolean }>(
    `SELECT pg_backend_pid() AS pid, EXISTS (
       SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() AND objsubid = 1
          AND classid::bigint = $1 AND objid::bigint = $2) AS held`,
    [Number(unsigned >> 32n), Number(unsigned & 0xffffffffn)],
  );
  const r = rows[0];
  if (!r || r.pid !== ctx.pid)
    throw new PgBouncerError(`the server process changed from pid ${ctx.pid} to ${r?.pid ?? '?'} between two queries`);
  if (!r.held) throw new PgBouncerError(`server process ${r.pid} does not hold the lock just granted`);
}
