import type { Client } from './connect.js';
import type { EngineContext, EngineSettings } from './context.js';
import { itemAt } from '../util/defined.js';

/**
 * The state every engine connection starts from, and that the script
 * connection goes back to after each migration: lock_timeout for
 * schemagate's own statements (reading the history never waits forever
 * behind a LOCK TABLE), and, on PostgreSQL 14+, client_connection_check_interval,
 * so that a backend whose runner was killed stops within a second instead of
 * running on, holding its locks, until its statement ends. Returns the pid.
 */
export async function prepareSession(
  client: Client,
  settings: EngineSettings,
): Promise<{ pid: number; transactionModes: string }> {
  const { rows } = await client.query<{ pid: number; iso: string; ro: string; deferrable: string }>(
    `SELECT pg_catalog.pg_backend_pid() AS pid, pg_catalog.set_config('lock_timeout', $1, false),
            CASE WHEN pg_catalog.current_setting('server_version_num')::int >= 140000
                 THEN pg_catalog.set_config('client_connection_check_interval', '1000', false) END,
            pg_catalog.current_setting('default_transaction_isolation') AS iso,
            pg_catalog.current_setting('default_transaction_read_only') AS ro,
            pg_catalog.current_setting('default_transaction_deferrable') AS deferrable`,
    [`${Math.max(0, Math.round(settings.lockTimeoutMs))}ms`],
  );
  const row = itemAt(rows, 0, 'the session row');
  return { pid: row.pid, transactionModes: transactionModes(row) };
}

/**
 * The transaction modes the session started with (the database's and the
 * role's defaults), as SET TRANSACTION takes them. Each migration's
 * transaction sets them first: its modes are fixed when it begins, so an
 * earlier migration's `SET default_transaction_read_only = on` (or a default
 * isolation level) would otherwise shape it before resetSql could run.
 */
function transactionModes(d: { iso: string; ro: string; deferrable: string }): string {
  const iso = /^(serializable|repeatable read|read committed|read uncommitted)$/.test(d.iso) ? d.iso : 'read committed';
  return `ISOLATION LEVEL ${iso.toUpperCase()}, ${d.ro === 'on' ? 'READ ONLY' : 'READ WRITE'}, ${d.deferrable === 'on' ? '' : 'NOT '}DEFERRABLE`;
}

/**
 * The SQL that puts the script connection back into its starting state,
 * sent at the start of every script: whatever an earlier script set
 * (search_path, role, session authorization, settings), created (temporary
 * tables, prepared statements, cursors) or locked (advisory locks) is gone,
 * so every migration starts from the same state, in one run or split over
 * several. It is DISCARD ALL spelled out (which, unlike DISCARD ALL itself,
 * may run inside the script's transaction), then the engine's settings, and
 * the running key again (pg_advisory_unlock_all releases it). The migration
 * lock is on another connection: nothing here can release it.
 */
export function resetSql(ctx: EngineContext): string {
  const lockTimeout = `${Math.max(0, Math.round(ctx.settings.lockTimeoutMs))}ms`;
  return (
    'SET SESSION AUTHORIZATION DEFAULT; RESET ALL; DEALLOCATE ALL; CLOSE ALL; UNLISTEN *; ' +
    'SELECT pg_catalog.pg_advisory_unlock_all(); DISCARD PLANS; DISCARD TEMP; DISCARD SEQUENCES; ' +
    `SELECT pg_catalog.set_config('lock_timeout', '${lockTimeout}', false), ` +
    "CASE WHEN pg_catalog.current_setting('server_version_num')::int >= 140000 THEN pg_catalog.set_config('client_connection_check_interval', '1000', false) END" +
    (ctx.lock ? `, pg_catalog.pg_try_advisory_lock(${ctx.lock.runningKey.toString()})` : '') +
    ';\n'
  );
}
