import type { Client } from './connect.js';

/** An index PostgreSQL marks INVALID: queries do not use it, and a unique one enforces nothing. */
export interface InvalidIndex {
  /** `public.big_b_idx` */
  index: string;
  table: string;
  /** Its definition, to build it again. */
  definition: string;
}

/**
 * The invalid indexes outside the system schemas: what an interrupted or
 * failed CREATE INDEX CONCURRENTLY (or REINDEX CONCURRENTLY) leaves behind.
 * An index being built right now is invalid too until its build ends.
 */
export async function invalidIndexes(client: Client): Promise<InvalidIndex[]> {
  const { rows } = await client.query<InvalidIndex>(
    `SELECT n.nspname || '.' || c.relname AS index, tn.nspname || '.' || t.relname AS table,
            pg_catalog.pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_catalog.pg_index i
       JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
       JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
      WHERE NOT i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1`,
  );
  return rows;
}

/** How to get past an invalid index, for status and verify. */
export function invalidIndexAdvice(ix: InvalidIndex): string {
  return `index ${ix.index} on ${ix.table} is INVALID (an interrupted CREATE INDEX CONCURRENTLY leaves one): queries do not use it${/UNIQUE/i.test(ix.definition) ? ' and it enforces no uniqueness' : ''}. If a migration that builds it stopped, \`schemagate db migrate\` drops and builds it again; otherwise rebuild it with REINDEX INDEX CONCURRENTLY ${ix.index}; or drop it with DROP INDEX CONCURRENTLY ${ix.index};`;
}
