import { ExitCode, SchemagateError } from '../errors.js';
import { type Client, ident, literal } from './connect.js';
import { itemAt } from '../util/defined.js';

/**
 * What the role in the database URL may do with the history table, checked
 * before anything runs, so that a missing privilege is named with the GRANT
 * that gives it instead of failing half-way (or as "a bug").
 */
export class PrivilegeError extends SchemagateError {
  override readonly name = 'PrivilegeError';
  constructor(message: string, grant: string) {
    super('privilege', message, {
      exitCode: ExitCode.config,
      hint: `As the owner of the object (or a superuser), run: ${grant} Or give schemagate a database URL whose role has it.`,
    });
  }
}

interface Rights {
  role: string;
  database: string;
  schemaExists: boolean;
  schemaUsage: boolean;
  schemaCreate: boolean;
  databaseCreate: boolean;
  tableExists: boolean;
  select: boolean;
  insert: boolean;
  update: boolean;
  delete: boolean;
}

async function rights(client: Client, schema: string, table: string): Promise<Rights> {
  const { rows } = await client.query<Rights & { role: string }>(
    `SELECT current_user AS role, current_database() AS database,
            n.oid IS NOT NULL AS "schemaExists",
            coalesce(has_schema_privilege(n.oid, 'USAGE'), false) AS "schemaUsage",
            coalesce(has_schema_privilege(n.oid, 'CREATE'), false) AS "schemaCreate",
            has_database_privilege(current_database(), 'CREATE') AS "databaseCreate",
            c.oid IS NOT NULL AS "tableExists",
            coalesce(has_table_privilege(c.oid, 'SELECT'), false) AS select,
            coalesce(has_table_privilege(c.oid, 'INSERT'), false) AS insert,
            coalesce(has_table_privilege(c.oid, 'UPDATE'), false) AS update,
            coalesce(has_table_privilege(c.oid, 'DELETE'), false) AS delete
       FROM (SELECT 1) one
       LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = ${literal(schema)}
       LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = ${literal(table)}`,
  );
  return itemAt(rows, 0, 'the privileges row');
}

/** Can the role read the history table? (status, verify, plan: the application's role in an init container.) */
export async function checkCanRead(client: Client, schema: string, table: string): Promise<void> {
  readable(await rights(client, schema, table), schema, table);
}

function readable(r: Rights, schema: string, table: string): void {
  const shown = `${schema}.${table}`;
  if (r.schemaExists && !r.schemaUsage)
    throw new PrivilegeError(
      `role "${r.role}" cannot read the migration history ${shown}: it has no USAGE privilege on schema ${schema}`,
      `GRANT USAGE ON SCHEMA ${ident(schema)} TO ${ident(r.role)}; GRANT SELECT ON ${ident(schema)}.${ident(table)} TO ${ident(r.role)};`,
    );
  if (r.tableExists && !r.select)
    throw new PrivilegeError(
      `role "${r.role}" cannot read the migration history ${shown}: it has no SELECT privilege on it`,
      `GRANT SELECT ON ${ident(schema)}.${ident(table)} TO ${ident(r.role)};`,
    );
}

/** Can the role write the history table, or create it (and its schema) when there is none? */
export async function checkCanWrite(client: Client, schema: string, table: string): Promise<void> {
  const r = await rights(client, schema, table);
  readable(r, schema, table);
  const shown = `${schema}.${table}`;
  const qualified = `${ident(schema)}.${ident(table)}`;
  if (r.tableExists) {
    const missing = (['select', 'insert', 'update', 'delete'] as const).filter((p) => !r[p]);
    if (missing.length > 0) {
      const list = missing.map((p) => p.toUpperCase()).join(', ');
      throw new PrivilegeError(
        `role "${r.role}" cannot record migrations in ${shown}: it has no ${list} privilege on it`,
        `GRANT ${list} ON ${qualified} TO ${ident(r.role)};`,
      );
    }
    return;
  }
  if (r.schemaExists && !r.schemaCreate)
    throw new PrivilegeError(
      `role "${r.role}" cannot create the migration history ${shown}: it has no CREATE privilege on schema ${schema}`,
      `GRANT CREATE ON SCHEMA ${ident(schema)} TO ${ident(r.role)};`,
    );
  if (!r.schemaExists && !r.databaseCreate)
    throw new PrivilegeError(
      `role "${r.role}" cannot create the schema ${schema} for the migration history ${shown}: it has no CREATE privilege on database ${r.database}`,
      `CREATE SCHEMA ${ident(schema)} AUTHORIZATION ${ident(r.role)}; (or GRANT CREATE ON DATABASE ${ident(r.database)} TO ${ident(r.role)};)`,
    );
}
