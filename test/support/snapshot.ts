import { withDb } from './pg.js';

/**
 * What a "nothing changed" assertion compares: every schema, relation and
 * function outside the system schemas, and every row of every schemagate
 * history table found (any table whose name ends in `_migrations`, or the
 * configured one), so a stray CREATE or history row shows up as a diff.
 */
export interface DatabaseSnapshot {
  schemas: string[];
  /** `schema.name (kind)`, kind from pg_class.relkind: r table, v view, S sequence, i index... */
  relations: string[];
  functions: string[];
  /** Rows of each history table, keyed by `schema.table`. */
  history: Record<string, Record<string, unknown>[]>;
}

const USER_SCHEMAS = `nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND nspname NOT LIKE 'pg_temp_%' AND nspname NOT LIKE 'pg_toast_temp_%'`;

export async function snapshot(url: string, historyTables: readonly string[] = []): Promise<DatabaseSnapshot> {
  return withDb(url, async (c) => {
    const schemas = (
      await c.query<{ n: string }>(`SELECT nspname AS n FROM pg_namespace WHERE ${USER_SCHEMAS} ORDER BY 1`)
    ).rows.map((r) => r.n);
    const relations = (
      await c.query<{ s: string; n: string; k: string }>(
        `SELECT n.nspname AS s, c.relname AS n, c.relkind::text AS k
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE ${USER_SCHEMAS} ORDER BY 1, 2`,
      )
    ).rows.map((r) => `${r.s}.${r.n} (${r.k})`);
    const functions = (
      await c.query<{ f: string }>(
        `SELECT p.oid::regprocedure::text AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${USER_SCHEMAS} ORDER BY 1`,
      )
    ).rows.map((r) => r.f);
    const found = (
      await c.query<{ s: string; t: string }>(
        `SELECT table_schema AS s, table_name AS t FROM information_schema.tables
          WHERE table_type = 'BASE TABLE' AND (table_name LIKE '%\\_migrations' OR table_schema || '.' || table_name = ANY($1::text[]))
            AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
        [historyTables],
      )
    ).rows;
    const history: DatabaseSnapshot['history'] = {};
    for (const { s, t } of found) {
      const q = `"${s.replace(/"/g, '""')}"."${t.replace(/"/g, '""')}"`;
      history[`${s}.${t}`] = (
        await c.query<{ row: Record<string, unknown> }>(
          `SELECT to_jsonb(h) AS row FROM ${q} h ORDER BY to_jsonb(h)::text`,
        )
      ).rows.map((r) => r.row);
    }
    return { schemas, relations, functions, history };
  });
}
