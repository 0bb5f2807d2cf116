import { type Client, ident, literal, sqlState } from './connect.js';
import { cancellable } from './context.js';
import type { ConnectOptions } from './connect.js';
import type { HeldLock } from './held-lock.js';
import { HistoryConflictError, HistoryLockedError, LOCK_LOST_MARK, ROW_GONE_MARK } from './history-errors.js';

export { HistoryConflictError, HistoryLockedError } from './history-errors.js';
import { checkCanRead } from './privileges.js';

/**
 * The history table: one row per migration (and per seed, and one per
 * baseline). A transactional migration's row is written in the migration's own
 * transaction; a non-transactional one's row is written before its first
 * statement and updated after each, so a failed or killed run resumes at the
 * statement that did not complete.
 */
export const HistoryKind = { migration: 'migration', seed: 'seed', baseline: 'baseline' } as const;
export type HistoryKind = (typeof HistoryKind)[keyof typeof HistoryKind];

export interface HistoryRow {
  kind: HistoryKind;
  /** Canonical version (migrations, baseline) or file name (seeds). */
  version: string;
  description: string;
  /** The file it came from, as shown when it ran. */
  script: string;
  checksum: string;
  appliedAt: Date;
  appliedBy: string;
  executionTimeMs: number;
  /** False: a non-transactional migration that stopped part-way (see statementsApplied). */
  success: boolean;
  statementsApplied: number | null;
  statementsTotal: number | null;
  /** Checksums of the statements already applied (non-transactional migrations). */
  statementChecksums: string[] | null;
  error: string | null;
}

/** Read access to the history; plans are computed against this (STYLE 4). */
export interface HistoryReader {
  list(): Promise<HistoryRow[]>;
}

/** Where the history's queries run: the connection, and how to cancel them. */
export interface HistoryConnection {
  client: Client;
  pid: number;
  conn: ConnectOptions;
  signal: AbortSignal | undefined;
}

export class HistoryTable implements HistoryReader {
  readonly qualified: string;
  private readonly client: Client;
  constructor(
    private readonly on: HistoryConnection,
    readonly schema: string,
    readonly table: string,
  ) {
    this.client = on.client;
    this.qualified = `${ident(schema)}.${ident(table)}`;
  }

  /** Runs one of the history's own queries: cancelled on abort, its lock and privilege failures named. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- R is the caller's word for the rows' shape, as in pg's own query<R>
  async query<R extends Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
  ): Promise<{ rows: R[]; rowCount: number }> {
    try {
      const r = await cancellable(this.on.conn, this.on.pid, this.on.signal, () => this.client.query<R>(sql, params));
      return { rows: r.rows, rowCount: r.rowCount ?? 0 };
    } catch (e) {
      const state = sqlState(e);
      if (state === '55P03') throw new HistoryLockedError(this.displayName, await this.lockers().catch(() => ''));
      if (state === '42501') {
        await checkCanRead(this.client, this.schema, this.table);
      }
      throw e;
    }
  }

  /** Who holds a lock on the history table, for the message when it cannot be read or written. */
  private async lockers(): Promise<string> {
    const { rows } = await this.client.query<{ pid: number; app: string; mode: string }>(
      `SELECT l.pid, a.application_name AS app, l.mode FROM pg_catalog.pg_locks l
         JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
        WHERE l.granted AND l.relation = to_regclass(${literal(this.qualified)}) AND l.pid <> pg_backend_pid() ORDER BY l.pid`,
    );
    return rows.map((r) => `pid ${r.pid}${r.app ? `, application_name "${r.app}"` : ''}, ${r.mode}`).join('; ');
  }

  /** For messages: `public.schemagate_migrations`. */
  get displayName(): string {
    return `${this.schema}.${this.table}`;
  }

  async exists(): Promise<boolean> {
    const { rows } = await this.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [this.qualified]);
    return rows[0]?.t != null;
  }

  /** Creates the schema and the table. Call only with the migration lock held (a concurrent IF NOT EXISTS can still collide). */
  async ensure(): Promise<void> {
    if (await this.exists()) return;
    await this.query(await this.createSql());
  }

  /**
   * The statements that create the schema and the table, to run in the first
   * migration's own transaction: if that migration fails, no empty history
   * table is left behind.
   */
  async createSql(): Promise<string> {
    // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists.
    const { rows } = await this.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_catalog.pg_namespace WHERE nspname = $1',
      [this.schema],
    );
    const schema = rows[0]?.n ? '' : `CREATE SCHEMA IF NOT EXISTS ${ident(this.schema)};\n`;
    return `${schema}CREATE TABLE IF NOT EXISTS ${this.qualified} (
      kind text NOT NULL CHECK (kind IN ('migration', 'seed', 'baseline')),
      version text NOT NULL,
      description text NOT NULL,
      script text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      applied_by text NOT NULL DEFAULT current_user,
      execution_time_ms integer NOT NULL DEFAULT 0,
      success boolean NOT NULL,
      statements_applied integer,
      statements_total integer,
      statement_checksums text[],
      error text,
      PRIMARY KEY (kind, version)
    );
COMMENT ON TABLE ${this.qualified} IS 'schemagate migration history (format 1)';
`;
  }

  async list(): Promise<HistoryRow[]> {
    if (!(await this.exists())) return [];
    // applied_at as epoch milliseconds: a number is parsed in a fraction of the time of a timestamp text
    // (a thousand rows on every run, a no-op one too); a Date holds milliseconds either way.
    const { rows } = await this.query<{
      kind: HistoryKind;
      version: string;
      description: string;
      script: string;
      checksum: string;
      applied_ms: number;
      applied_by: string;
      execution_time_ms: number;
      success: boolean;
      statements_applied: number | null;
      statements_total: number | null;
      statement_checksums: string[] | null;
      error: string | null;
    }>(
      `SELECT kind, version, description, script, checksum,
              floor(extract(epoch FROM applied_at) * 1000)::float8 AS applied_ms, applied_by, execution_time_ms, success,
              statements_applied, statements_total, statement_checksums, error
         FROM ${this.qualified}`,
    );
    return rows.map((r) => ({
      kind: r.kind,
      version: r.version,
      description: r.description,
      script: r.script,
      checksum: r.checksum,
      appliedAt: new Date(r.applied_ms),
      appliedBy: r.applied_by,
      executionTimeMs: r.execution_time_ms,
      success: r.success,
      statementsApplied: r.statements_applied,
      statementsTotal: r.statements_total,
      statementChecksums: r.statement_checksums,
      error: r.error,
    }));
  }

  /** The lock every write checks it still holds (commands that change the database). */
  private lock: HeldLock | undefined;

  /** Makes every write of this table conditional on `lock` being held (and fail loudly when it is not). */
  guardWith(lock: HeldLock): void {
    this.lock = lock;
  }

  private held(): string {
    return this.lock ? this.lock.heldSql() : 'true';
  }

  /** A write that changed no row: the lock was lost, or another runner got there first. */
  private async nothingWritten(kind: HistoryKind, version: string, what: string): Promise<never> {
    await this.lock?.assertHeld();
    throw new HistoryConflictError(this.displayName, kind, version, what);
  }

  /**
   * The INSERT of a completed row, as SQL text, to run inside the migration's
   * own transaction after its statements. A plain INSERT: a row already there
   * means another runner applied the migration, and is an error, never
   * overwritten. Only seeds (`replace`) take the place of their earlier row.
   */
  insertSql(
    row: Pick<HistoryRow, 'kind' | 'version' | 'description' | 'script' | 'checksum'>,
    executionTimeMs: number | string,
    opts: { replace?: boolean } = {},
  ): string {
    const lit = (v: string) => literal(v);
    const upsert = opts.replace
      ? `\nON CONFLICT (kind, version) DO UPDATE SET description = EXCLUDED.description, script = EXCLUDED.script, checksum = EXCLUDED.checksum,
  applied_at = pg_catalog.now(), applied_by = current_user, execution_time_ms = EXCLUDED.execution_time_ms, success = true,
  statements_applied = NULL, statements_total = NULL, statement_checksums = NULL, error = NULL`
      : '';
    return `INSERT INTO ${this.qualified} (kind, version, description, script, checksum, execution_time_ms, success)
SELECT ${lit(row.kind)}, ${lit(row.version)}, ${lit(row.description)}, ${lit(row.script)}, ${lit(row.checksum)}, ${executionTimeMs}, true
WHERE ${this.assertHeldSql()}${upsert}`;
  }

  /**
   * A condition that is true while the migration lock is held, and otherwise
   * raises an error (naming the lost lock) instead of being false: a history
   * write in a script's transaction must stop that transaction from
   * committing, not just write nothing. (The text is built at run time, so
   * the planner cannot raise it in advance.)
   */
  assertHeldSql(): string {
    if (!this.lock) return 'true';
    return `(CASE WHEN ${this.lock.heldSql()} THEN true ELSE ('${LOCK_LOST_MARK} ' || pg_catalog.pg_backend_pid())::boolean END)`;
  }

  /** The error a history write in a script's transaction raised, as the error to report (or `e` itself). */
  writeError(e: unknown, kind: HistoryKind, version: string): unknown {
    const message = e instanceof Error ? e.message : '';
    if (message.includes(LOCK_LOST_MARK))
      return this.lock ? this.lock.markLost(`its session (pid ${this.lock.pid}) no longer holds it`) : e;
    if (message.includes(ROW_GONE_MARK)) return new HistoryConflictError(this.displayName, kind, version, 'removed', e);
    if (this.isConflict(e)) return this.conflictError(kind, version, e);
    return e;
  }

  /** Checks the outcome of `insertSql`: one row, or the lock was lost. */
  async inserted(rowCount: number, kind: HistoryKind, version: string): Promise<void> {
    if (rowCount !== 1) await this.nothingWritten(kind, version, 'recorded');
  }

  /** Is `e` the unique violation of a second row for the same version? */
  isConflict(e: unknown): boolean {
    const err = e as { table?: string; schema?: string };
    return sqlState(e) === '23505' && err.table === this.table && err.schema === this.schema;
  }

  conflictError(kind: HistoryKind, version: string, cause?: unknown): HistoryConflictError {
    return new HistoryConflictError(this.displayName, kind, version, 'recorded', cause);
  }

  async insert(row: Pick<HistoryRow, 'kind' | 'version' | 'description' | 'script' | 'checksum'>): Promise<void> {
    let r;
    try {
      r = await this.query(this.insertSql(row, 0));
    } catch (e) {
      if (this.isConflict(e)) throw this.conflictError(row.kind, row.version, e);
      throw e;
    }
    await this.inserted(r.rowCount, row.kind, row.version);
  }

  /**
   * Starts or continues a non-transactional migration's progress row. Never
   * touches a completed row: finding one means another runner applied it.
   */
  async recordProgress(p: {
    kind: HistoryKind;
    version: string;
    description: string;
    script: string;
    checksum: string;
    applied: number;
    total: number;
    statementChecksums: string[];
    error: string | null;
    executionTimeMs: number;
  }): Promise<void> {
    const r = await this.query(
      `INSERT INTO ${this.qualified} AS h (kind, version, description, script, checksum, execution_time_ms, success,
         statements_applied, statements_total, statement_checksums, error)
       SELECT $10, $1, $2, $3, $4, $5, false, $6, $7, $8, $9 WHERE ${this.held()}
       ON CONFLICT (kind, version) DO UPDATE SET description = $2, script = $3, checksum = $4, execution_time_ms = $5,
         success = false, statements_applied = $6, statements_total = $7, statement_checksums = $8, error = $9,
         applied_at = pg_catalog.now(), applied_by = current_user
       WHERE NOT h.success`,
      [
        p.version,
        p.description,
        p.script,
        p.checksum,
        Math.round(p.executionTimeMs),
        p.applied,
        p.total,
        p.statementChecksums,
        p.error,
        p.kind,
      ],
    );
    if (r.rowCount !== 1) await this.nothingWritten(p.kind, p.version, 'applied');
  }

  async complete(kind: HistoryKind, version: string, executionTimeMs: number): Promise<void> {
    const r = await this.query(
      `UPDATE ${this.qualified} SET success = true, error = NULL, statements_applied = NULL, statements_total = NULL,
         statement_checksums = NULL, execution_time_ms = $3, applied_at = pg_catalog.now()
       WHERE kind = $1 AND version = $2 AND NOT success AND ${this.held()}`,
      [kind, version, Math.round(executionTimeMs)],
    );
    if (r.rowCount !== 1) await this.nothingWritten(kind, version, 'applied');
  }

  /**
   * A non-transactional down script's progress, on the row of the migration it
   * reverts: the row stays applied (success) and says how many statements of
   * the down script ran, so the next `db down` resumes it.
   */
  async recordRevert(p: {
    version: string;
    applied: number;
    total: number;
    statementChecksums: string[];
    error: string | null;
  }): Promise<void> {
    const r = await this.query(
      `UPDATE ${this.qualified} SET statements_applied = $2, statements_total = $3, statement_checksums = $4, error = $5
       WHERE kind = 'migration' AND version = $1 AND success AND ${this.held()}`,
      [p.version, p.applied, p.total, p.statementChecksums, p.error],
    );
    if (r.rowCount !== 1) await this.nothingWritten('migration', p.version, 'reverted');
  }

  /** The DELETE that goes with a down script, as SQL text, to run in its transaction: it raises an error unless it deletes the one row. */
  deleteSql(kind: HistoryKind, version: string): string {
    return `WITH gone AS (DELETE FROM ${this.qualified} WHERE kind = ${literal(kind)} AND version = ${literal(version)} AND ${this.assertHeldSql()} RETURNING 1)
SELECT CASE WHEN count(*) = 1 THEN 1 ELSE ('${ROW_GONE_MARK} ' || pg_catalog.pg_backend_pid())::int END FROM gone`;
  }

  async delete(kind: HistoryKind, version: string): Promise<void> {
    const r = await this.query(
      `DELETE FROM ${this.qualified} WHERE kind = ${literal(kind)} AND version = ${literal(version)} AND ${this.held()}`,
    );
    if (r.rowCount !== 1) await this.nothingWritten(kind, version, 'removed');
  }

  /** Records a migration as applied without running it: a half-applied or half-reverted row, or none (out of order). */
  async markApplied(row: Pick<HistoryRow, 'kind' | 'version' | 'description' | 'script' | 'checksum'>): Promise<void> {
    const r = await this.query(
      `UPDATE ${this.qualified} SET success = true, error = NULL, statements_applied = NULL, statements_total = NULL,
         statement_checksums = NULL, checksum = $3, script = $4, applied_at = pg_catalog.now(), applied_by = current_user
       WHERE kind = $1 AND version = $2 AND ${this.held()}`,
      [row.kind, row.version, row.checksum, row.script],
    );
    if (r.rowCount === 0) await this.insert(row);
  }

  async setChecksum(kind: HistoryKind, version: string, checksum: string, script: string): Promise<void> {
    const r = await this.query(
      `UPDATE ${this.qualified} SET checksum = $3, script = $4 WHERE kind = $1 AND version = $2 AND ${this.held()}`,
      [kind, version, checksum, script],
    );
    if (r.rowCount !== 1) await this.nothingWritten(kind, version, 'changed');
  }
}
