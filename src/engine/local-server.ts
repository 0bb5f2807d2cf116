import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The embedded PostgreSQL's files, outside any one command: where its data,
 * password and log live, and whether it runs (from `postmaster.pid`).
 * Starting and stopping it as a process of its own: local-process.ts.
 */
export interface LocalPaths {
  /** The project's state folder (`local.dataDir`, `.schemagate`). */
  dir: string;
  /** PostgreSQL's data folder (`<dir>/data`; as root, see `localPaths`). */
  dataDir: string;
  /** The generated password of the `postgres` user (mode 0600). */
  passwordFile: string;
  /** The server's own log while it runs detached. */
  logFile: string;
  /** Who started the running server: `{ pid, port, kept, owner }`. */
  stateFile: string;
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

/** The temporary folder, unless $TMPDIR is a private one: then the system's /tmp, which everyone can enter. */
export function reachableTmp(): string {
  return traversable(tmpdir()) ? tmpdir() : '/tmp';
}

/**
 * As root, PostgreSQL runs as the `postgres` system user, which cannot enter a
 * folder like /root (mode 0700). Then the data goes to a folder of its own
 * under the system's temporary folder, named after the project's.
 */
export function localPaths(dir: string): LocalPaths & { relocated: boolean } {
  const base = {
    dir,
    passwordFile: join(dir, 'password'),
    stateFile: join(dir, 'server.json'),
  };
  if (userInfo().uid !== 0 || traversable(dir))
    return { ...base, dataDir: join(dir, 'data'), logFile: join(dir, 'postgres.log'), relocated: false };
  const fallback = join(reachableTmp(), `schemagate-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}`);
  return { ...base, dataDir: join(fallback, 'data'), logFile: join(fallback, 'postgres.log'), relocated: true };
}

/** Creates the relocated data folder's parent (as root), readable by the postgres user. */
export function prepareRelocated(paths: LocalPaths): void {
  const parent = dirname(paths.dataDir);
  mkdirSync(parent, { recursive: true, mode: 0o755 });
  chmodSync(parent, 0o755);
}

/** Removes every file of the embedded PostgreSQL: the state folder and, as root, the relocated data. */
export function removeLocal(paths: LocalPaths & { relocated: boolean }): void {
  rmSync(paths.dir, { recursive: true, force: true });
  if (paths.relocated) rmSync(dirname(paths.dataDir), { recursive: true, force: true });
  else rmSync(paths.dataDir, { recursive: true, force: true });
}

export interface Postmaster {
  pid: number;
  port: number;
  /** `ready`, `starting`, `stopping` (PostgreSQL's own word in postmaster.pid). */
  status: string;
}

/** The running server of `dataDir`, from the postmaster.pid PostgreSQL keeps there; undefined when none runs. */
export function postmaster(dataDir: string): Postmaster | undefined {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  // Lines: pid, data folder, start time, port, socket folder, listen address, shared memory key, status.
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  return { pid, port: Number(lines[3]), status: (lines[7] ?? '').trim() || 'starting' };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, it is just not ours to signal.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ServerRecord {
  pid: number;
  port: number;
  /** Started to outlive its command (`local start`, `up --local --keep`). */
  kept: boolean;
  /** The schemagate process that started it. */
  owner: number;
}

export function writeRecord(paths: LocalPaths, record: ServerRecord): void {
  writeFileSync(paths.stateFile, `${JSON.stringify(record)}\n`);
}

export function readRecord(paths: LocalPaths): ServerRecord | undefined {
  try {
    return JSON.parse(readFileSync(paths.stateFile, 'utf8')) as ServerRecord;
  } catch {
    return undefined;
  }
}

export type LocalState =
  | { running: false }
  | (Postmaster & {
      running: true;
      /** Keeps running after every command (nobody owns it, or its owner is gone). */
      kept: boolean;
      /** The schemagate command that runs it for its own duration, when it is still running. */
      owner: number | undefined;
    });

export function localState(paths: LocalPaths): LocalState {
  const pm = postmaster(paths.dataDir);
  if (!pm) return { running: false };
  const rec = readRecord(paths);
  const mine = rec?.pid === pm.pid;
  const owner = mine && !rec.kept && alive(rec.owner) ? rec.owner : undefined;
  return { ...pm, running: true, kept: owner === undefined, owner };
}
