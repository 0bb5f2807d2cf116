import { createHash } from 'node:crypto';
import { ExitCode, SchemagateError } from '../errors.js';
import type { Client } from './connect.js';
import { type Clock, sleep as realSleep, systemClock } from '../util/time.js';

/**
 * The migration lock: a session-level advisory lock taken with
 * `pg_try_advisory_lock`, polled with jittered backoff up to a deadline. A
 * blocking `pg_advisory_lock` waiter would sit in a transaction that
 * `CREATE INDEX CONCURRENTLY` in the holder waits for: a deadlock
 * (golang-migrate#960, flyway#1654). Each poll is a short statement instead.
 */

/** The lock key: derived from the schema-qualified history table, so two histories never share a lock. */
export function lockKey(schema: string, table: string): bigint {
  const digest = createHash('sha256').update(`schemagate:${schema}.${table}`).digest();
  return digest.readBigInt64BE(0);
}

export interface LockHolder {
  pid: number;
  applicationName: string;
  clientAddr: string | null;
  backendStart: Date | null;
  state: string | null;
  stateChange: Date | null;
  query: string | null;
}

export function describeHolder(h: LockHolder): string {
  const parts = [`pid ${h.pid}`];
  if (h.applicationName) parts.push(`application_name "${h.applicationName}"`);
  if (h.clientAddr) parts.push(`from ${h.clientAddr}`);
  if (h.backendStart) parts.push(`connected since ${h.backendStart.toISOString()}`);
  if (h.state) parts.push(`${h.state}${h.stateChange ? ` since ${h.stateChange.toISOString()}` : ''}`);
  return parts.join(', ');
}

/** Who holds the advisory lock `key` right now (from pg_locks and pg_stat_activity). */
export async function findLockHolder(client: Client, key: bigint): Promise<LockHolder | undefined> {
  const unsigned = BigInt.asUintN(64, key);
  const classid = Number(unsigned >> 32n);
  const objid = Number(unsigned & 0xffffffffn);
  const { rows } = await client.query<{
    pid: number;
    application_name: string;
    client_addr: string | null;
    backend_start: Date | null;
    state: string | null;
    state_change: Date | null;
    query: string | null;
  }>(
    `SELECT a.pid, a.application_name, a.client_addr::text AS client_addr, a.backend_start, a.state, a.state_change,
            left(a.query, 200) AS query
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.classid::bigint = $1 AND l.objid::bigint = $2
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      LIMIT 1`,
    [classid, objid],
  );
  const r = rows[0];
  return r
    ? {
        pid: r.pid,
        applicationName: r.application_name,
        clientAddr: r.client_addr,
        backendStart: r.backend_start,
        state: r.state,
        stateChange: r.state_change,
        query: r.query,
      }
    : undefined;
}

export interface LockOptions {
  key: bigint;
  /** What the lock protects, for messages: `"public"."schemagate_migrations"`. */
  name: string;
  /** Give up after this long. */
  waitMs: number;
  clock?: Clock;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  signal?: AbortSignal;
  /** Told who holds the lock when the wait starts and every `reportEveryMs` after. */
  onWait?: (holder: LockHolder | undefined, waitedMs: number) => void;
  /** @default 10000 */
  reportEveryMs?: number;
  /** Called once, when the first try finds the lock taken, before any waiting; a rejection stops the attempt. */
  beforeWaiting?: () => Promise<void>;
}

export class LockTimeoutError extends SchemagateError {
  override readonly name = 'LockTimeoutError';
  readonly holder: LockHolder | undefined;
  constructor(name: string, waitedMs: number, holder: LockHolder | undefined) {
    const who = holder ? `; it is held by ${describeHolder(holder)}` : '';
    super('lock.timeout', `gave up waiting ${Math.round(waitedMs / 1000)}s for the migration lock on ${name}${who}`, {
      exitCode: ExitCode.lockTimeout,
      hint: holder
        ? `Another runner is migrating this database. Let it finish and run again; if it is stuck, end it with SELECT pg_terminate_backend(${holder.pid}); or wait longer with migrations.lockWait (--lock-wait).`
        : 'Another runner is migrating this database. Let it finish and run again, or wait longer with migrations.lockWait (--lock-wait).',
    });
    this.holder = holder;
  }
}

async function tryLock(client: Client, key: bigint): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [key.toString()]);
  return rows[0]?.ok === true;
}

/** Takes the lock, polling with jittered exponential backoff (25 ms up to 1 s) until `waitMs`. */
export async function acquireLock(client: Client, opts: LockOptions): Promise<void> {
  const clock = opts.clock ?? systemClock;
  const sleep = opts.sleep ?? realSleep;
  const random = opts.random ?? Math.random;
  const reportEvery = opts.reportEveryMs ?? 10_000;
  const started = clock.now();
  let delay = 25;
  let lastReport = -Infinity;
  for (let attempt = 0; ; attempt++) {
    if (await tryLock(client, opts.key)) return;
    if (attempt === 0) await opts.beforeWaiting?.();
    const waited = clock.now() - started;
    if (waited >= opts.waitMs) {
      throw new LockTimeoutError(opts.name, waited, await findLockHolder(client, opts.key));
    }
    if (opts.onWait && waited - lastReport >= reportEvery) {
      lastReport = waited;
      opts.onWait(await findLockHolder(client, opts.key), waited);
    }
    opts.signal?.throwIfAborted();
    const jittered = delay / 2 + random() * (delay / 2);
    await sleep(Math.min(jittered, Math.max(1, opts.waitMs - waited)), opts.signal);
    delay = Math.min(delay * 2, 1000);
  }
}

export async function releaseLock(client: Client, key: bigint): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>('SELECT pg_advisory_unlock($1) AS ok', [key.toString()]);
  return rows[0]?.ok === true;
}

/** Holds the lock for the duration of `fn`; releases it even when `fn` throws. */
export async function withAdvisoryLock<T>(client: Client, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  await acquireLock(client, opts);
  try {
    return await fn();
  } finally {
    // If the connection died the session (and so the lock) is gone already.
    await releaseLock(client, opts.key).catch(() => undefined);
  }
}

/**
 * The key a runner's script connection holds while it may run SQL. A killed
 * runner's lock session ends at once, but its script session can run on
 * until its statement ends; the next runner waits for this key too, so it
 * never runs a statement while the last one's is still running.
 */
export function runningKey(schema: string, table: string): bigint {
  const digest = createHash('sha256').update(`schemagate-running:${schema}.${table}`).digest();
  return digest.readBigInt64BE(0);
}
