import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode, SchemagateError, toError } from '../errors.js';
import { displayUrl } from '../redact.js';
import { type ConnectOptions, ident, sqlState, withClient } from './connect.js';
import { freePort } from '../util/net.js';

/**
 * Throwaway databases for `db check`: a scratch database on a given server,
 * or a whole embedded PostgreSQL in a temporary folder. Both are removed in
 * `finally`, also when the work in them fails.
 */

/**
 * Creates `schemagate_check_<random>` on the server of `serverUrl`, runs `fn`
 * with its URL and drops it afterwards. The database named in `serverUrl` is
 * only connected to, never changed. Needs CREATEDB.
 */
export async function withScratchDatabase<T>(
  conn: Omit<ConnectOptions, 'url'> & { url: string },
  log: (line: string) => void,
  fn: (url: string, database: string) => Promise<T>,
): Promise<T> {
  const name = `schemagate_check_${randomBytes(6).toString('hex')}`;
  const user = decodeURIComponent(new URL(conn.url).username) || 'the connecting role';
  await withClient(conn, async (c) => {
    try {
      await c.query(`CREATE DATABASE ${ident(name)} TEMPLATE template0`);
    } catch (e) {
      const denied = sqlState(e) === '42501';
      throw new SchemagateError(
        'check.createdb',
        `could not create the scratch database ${name} on ${displayUrl(conn.url)}: ${(e as Error).message}`,
        {
          exitCode: ExitCode.connection,
          hint: denied
            ? `db check creates a scratch database and drops it afterwards: give ${user} CREATEDB (ALTER ROLE ... CREATEDB), or run db check without --database-url to use a throwaway embedded PostgreSQL.`
            : 'Run db check without --database-url to use a throwaway embedded PostgreSQL.',
          cause: e,
        },
      );
    }
  });
  log(`created the scratch database ${name}`);
  const u = new URL(conn.url);
  u.pathname = `/${name}`;
  const drop = async () => {
    await withClient(conn, (c) => c.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`));
    log(`dropped the scratch database ${name}`);
  };
  let r: T;
  try {
    r = await fn(u.toString(), name);
  } catch (e) {
    // The work's own error matters more: a database left behind is only reported.
    await drop().catch((d: unknown) => {
      log(`could not drop the scratch database ${name} (drop it by hand): ${toError(d).message}`);
    });
    throw e;
  }
  // Without an error of the work's own, a database left behind is the error.
  await drop().catch((d: unknown) => {
    throw new SchemagateError('check.dropdb', `could not drop the scratch database ${name}: ${toError(d).message}`, {
      exitCode: ExitCode.connection,
      hint: `Drop it by hand: DROP DATABASE ${name};`,
      cause: d,
    });
  });
  return r;
}

/** Starts an embedded PostgreSQL in a new temporary folder on a free port, runs `fn`, then stops it and deletes the folder. */
export async function withThrowawayServer<T>(
  log: (line: string) => void,
  fn: (url: string, database: string) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'schemagate-check-'));
  // As root, PostgreSQL runs as the postgres user, which must be able to enter the folder (mkdtemp makes it 0700).
  chmodSync(dir, 0o755);
  try {
    const { startEmbedded } = await import('./embedded.js');
    const database = 'schemagate_check';
    const server = await startEmbedded({ dir, port: await freePort(), database, log });
    log(`started a throwaway embedded PostgreSQL in ${dir}`);
    try {
      return await fn(server.url, database);
    } finally {
      await server.stop().catch(() => undefined);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
