import type { Client } from '../connect.js';
import { ident } from '../connect.js';

/** A table found in the database, with its columns. */
export interface FoundTable {
  schema: string;
  name: string;
  /** Quoted and schema-qualified, for SQL. */
  qualified: string;
  /** `schema.name`, for messages. */
  display: string;
  columns: Set<string>;
}

/** `[SCHEMA.]NAME` as given to `--table`; without a schema the connection's search_path decides, as the tools do. */
export function parseTableName(text: string): { schema: string | undefined; name: string } {
  const dot = text.indexOf('.');
  return dot > 0 ? { schema: text.slice(0, dot), name: text.slice(dot + 1) } : { schema: undefined, name: text };
}

/** The table, if it exists (case-sensitive names, as the tools create them quoted). */
export async function findTable(
  client: Client,
  schema: string | undefined,
  name: string,
): Promise<FoundTable | undefined> {
  const wanted = schema ? `${ident(schema)}.${ident(name)}` : ident(name);
  const { rows } = await client.query<{ nspname: string; relname: string; columns: string[] }>(
    `SELECT n.nspname, c.relname,
            array(SELECT attname::text FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped) AS columns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass($1)`,
    [wanted],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    schema: r.nspname,
    name: r.relname,
    qualified: `${ident(r.nspname)}.${ident(r.relname)}`,
    display: `${r.nspname}.${r.relname}`,
    columns: new Set(r.columns),
  };
}
