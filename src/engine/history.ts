import type { Client } from './connect.js';
import { ident } from './connect.js';

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

export class HistoryTable implements HistoryReader {
  readonly qualified: string;
  constructor(
    private readonly client: Client,
    readonly schema: string,
    readonly table: string,
  ) {
    this.qualified = `${ident(schema)}.${ident(table)}`;
  }

  /** For messages: `public.schemagate_migrations`. */
  get displayName(): string {
    return `${this.schema}.${this.table}`;
  }

  async exists(): Promise<boolean> {
    const { rows } = await this.client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [this.qualified]);
    return rows[0]?.t != null;
  }

  /** Creates the schema and the table. Call only with the migration lock held (a concurrent IF NOT EXISTS can still collide). */
  async ensure(): Promise<void> {
    if (await this.exists()) return;
    await this.client.query(this.createSql());
  }

  /**
   * The statements that create the schema and the table, to run in the first
   * migration's own transaction: if that migration fails, no empty history
   * table is left behind.
   */
  createSql(): string {
    return `CREATE SCHEMA IF NOT EXISTS ${ident(this.schema)};
CREATE TABLE IF NOT EXISTS ${this.qualified} (
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
    const { rows } = await this.client.query<{
      kind: HistoryKind;
      version: string;
      description: string;
      script: string;
      checksum: string;
      applied_at: Date;
      applied_by: string;
      execution_time_ms: number;
      success: boolean;
      statements_applied: number | null;
      statements_total: number | null;
      statement_checksums: string[] | null;
      error: string | null;
    }>(`SELECT * FROM ${this.qualified}`);
    return rows.map((r) => ({
      kind: r.kind,
      version: r.version,
      description: r.description,
      script: r.script,
      checksum: r.checksum,
      appliedAt: r.applied_at,
      appliedBy: r.applied_by,
      executionTimeMs: r.execution_time_ms,
      success: r.success,
      statementsApplied: r.statements_applied,
      statementsTotal: r.statements_total,
      statementChecksums: r.statement_checksums,
      error: r.error,
    }));
  }

  /** The INSERT of a completed row, as SQL text, to run inside the migration's own transaction. */
  insertSql(
    row: Pick<HistoryRow, 'kind' | 'version' | 'description' | 'script' | 'checksum'>,
    executionTimeMs: number | string,
  ): string {
    const lit = (v: string) => this.client.escapeLiteral(v);
    return `INSERT INTO ${this.qualified} (kind, version, description, script, checksum, execution_time_ms, success)
VALUES (${lit(row.kind)}, ${lit(row.version)}, ${lit(row.description)}, ${lit(row.script)}, ${lit(row.checksum)}, ${executionTimeMs}, true)
ON CONFLICT (kind, version) DO UPDATE SET description = EXCLUDED.description, script = EXCLUDED.script, checksum = EXCLUDED.checksum,
  applied_at = now(), applied_by = current_user, execution_time_ms = EXCLUDED.execution_time_ms, success = true,
  statements_applied = NULL, statements_total = NULL, statement_checksums = NULL, error = NULL`;
  }

  async insert(
    row: Pick<HistoryRow, 'kind' | 'version' | 'description' | 'script' | 'checksum'>,
    executionTimeMs = 0,
  ): Promise<void> {
    await this.client.query(this.insertSql(row, executionTimeMs));
  }

  /** Starts or continues a non-transactional migration's progress row. */
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
    await this.client.query(
      `INSERT INTO ${this.qualified} (kind, version, description, script, checksum, execution_time_ms, success,
         statements_applied, statements_total, statement_checksums, error)
       VALUES ($10, $1, $2, $3, $4, $5, false, $6, $7, $8, $9)
       ON CONFLICT (kind, version) DO UPDATE SET description = $2, script = $3, checksum = $4, execution_time_ms = $5,
         success = false, statements_applied = $6, statements_total = $7, statement_checksums = $8, error = $9,
         applied_at = now(), applied_by = current_user`,
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
  }

  async complete(kind: HistoryKind, version: string, executionTimeMs: number): Promise<void> {
    await this.client.query(
      `UPDATE ${this.qualified} SET success = true, error = NULL, statements_applied = NULL, statements_total = NULL,
         statement_checksums = NULL, execution_time_ms = $3, applied_at = now() WHERE kind = $1 AND version = $2`,
      [kind, version, Math.round(executionTimeMs)],
    );
  }

  async delete(kind: HistoryKind, version: string): Promise<void> {
    await this.client.query(`DELETE FROM ${this.qualified} WHERE kind = $1 AND version = $2`, [kind, version]);
  }

  async setChecksum(kind: HistoryKind, version: string, checksum: string, script: string): Promise<void> {
    await this.client.query(
      `UPDATE ${this.qualified} SET checksum = $3, script = $4 WHERE kind = $1 AND version = $2`,
      [kind, version, checksum, script],
    );
  }
}
