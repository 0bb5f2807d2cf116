import { execa } from 'execa';
import { createServer, type Socket } from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/engine/migrate.js';
import { cli, cliPath, project } from '../support/cli.js';
import { engineOpts, migrationsDir } from '../support/engine.js';
import { freshDatabase, rows, tables } from '../support/pg.js';

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function dbName(url: string): string {
  return new URL(url).pathname.slice(1);
}

/** Sessions of schemagate on the database (its lock and script sessions, and cancel helpers). */
async function schemagateSessions(url: string): Promise<number> {
  const r = await rows<{ n: number }>(
    url,
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'schemagate%'`,
    [dbName(url)],
  );
  return r[0]!.n;
}

/** Waits until a schemagate session waits for a lock (a statement blocked behind the blocker). */
async function blocked(url: string, like = '%'): Promise<void> {
  await until('a schemagate statement blocked on a lock', async () => {
    const r = await rows(
      url,
      `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'schemagate%' AND wait_event_type = 'Lock' AND query LIKE $2`,
      [dbName(url), like],
    );
    return r.length > 0 ? true : undefined;
  });
}

async function session(url: string, name: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: name });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

function spawn(args: string[], cwd: string, url: string) {
  return execa(process.execPath, [cliPath, ...args], {
    cwd,
    env: { DATABASE_URL: url, NO_COLOR: '1', CI: '1' },
    reject: false,
  });
}

/** A project whose lock_timeout is long: a blocked statement stays blocked until the signal. */
const PATIENT = { 'schemagate.yaml': 'migrations:\n  lockTimeout: 60s\n' };
const USERS = { '1_users.sql': 'CREATE TABLE users (id int);\n', '1_users.down.sql': 'DROP TABLE users;\n' };

describe('SIGTERM (what Kubernetes sends a pod)', () => {
  it('cancels the running statement, rolls the migration back, releases the lock and exits 130', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({
      '1_fast.sql': 'CREATE TABLE fast (id int);',
      '2_slow.sql': 'CREATE TABLE slow (id int);\nSELECT pg_sleep(60);\n',
    });
    const child = execa(process.execPath, [cliPath, 'db', 'migrate', '--migrations', `${dir}/migrations`], {
      env: { DATABASE_URL: url, NO_COLOR: '1' },
      reject: false,
    });
    const db = dbName(url);
    await until('the slow migration to run', async () => {
      const r = await rows<{ n: string }>(
        url,
        `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep(60)%' AND state = 'active' AND pid <> pg_backend_pid()`,
        [db],
      );
      return r[0]!.n === '1' ? true : undefined;
    });
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toMatch(
      /received SIGTERM: stopping \(the running statement is cancelled; nothing is left half-done\)/,
    );
    expect(r.stderr).toMatch(
      /error: interrupted while running .*2_slow\.sql: the running statement was cancelled and its transaction rolled back: nothing of .*2_slow\.sql was applied/,
    );
    expect(await tables(url)).toEqual(['fast', 'schemagate_migrations']);
    expect(await rows(url, `SELECT version FROM schemagate_migrations`)).toEqual([{ version: '1' }]);
    expect(
      await rows(
        url,
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      ),
    ).toEqual([{ n: 0 }]);
    expect(await schemagateSessions(url)).toBe(0);
  });

  it('db reset --yes behind a blocker: a signal before the drop commits leaves every table and row, and exits 130', async () => {
    const url = await freshDatabase();
    const dir = project({
      ...PATIENT,
      ...Object.fromEntries(Object.entries(USERS).map(([k, v]) => [`migrations/${k}`, v])),
    });
    await migrate(engineOpts(url, dir));
    await rows(url, 'INSERT INTO users VALUES (1)');
    const blocker = await session(url, 'report');
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT count(*) FROM users');
      const child = spawn(['db', 'reset', '--yes'], dir, url);
      await blocked(url, '%DROP SCHEMA%');
      child.kill('SIGTERM');
      const r = await child;
      expect(r.exitCode).toBe(130);
      expect(r.stderr).toContain(
        'error: interrupted while running db reset: the running statement was cancelled and its transaction rolled back: nothing of db reset was applied',
      );
      expect(r.stdout).not.toContain('dropped');
      // The blocker still holds its lock: the command did not wait for it.
      expect(blocker.getTransactionStatus()).toBe('T');
    } finally {
      await blocker.end();
    }
    expect(await rows(url, 'SELECT id FROM users')).toEqual([{ id: 1 }]);
    expect(await rows(url, 'SELECT version FROM schemagate_migrations')).toEqual([{ version: '1' }]);
  });
});

describe.concurrent('every db command stops on SIGTERM while blocked behind LOCK TABLE on the history table', () => {
  for (const args of [
    ['db', 'status'],
    ['db', 'verify'],
    ['db', 'plan'],
    ['db', 'migrate'],
    ['db', 'down'],
    ['db', 'seed'],
  ]) {
    it(`${args.join(' ')} exits 130 and leaves no session behind`, async ({ expect }) => {
      const url = await freshDatabase();
      const dir = project({
        ...PATIENT,
        'migrations/1_users.sql': USERS['1_users.sql'],
        'migrations/1_users.down.sql': USERS['1_users.down.sql'],
        'seeds/1_users.sql': 'INSERT INTO users VALUES (1);\n',
      });
      await migrate(engineOpts(url, dir));
      const blocker = await session(url, 'lock-table');
      try {
        await blocker.query('BEGIN');
        await blocker.query('LOCK TABLE schemagate_migrations IN ACCESS EXCLUSIVE MODE');
        const child = spawn(args, dir, url);
        await blocked(url);
        child.kill('SIGTERM');
        const r = await child;
        expect(r.exitCode, r.stderr).toBe(130);
        expect(r.stderr).toMatch(new RegExp(`error: interrupted while running ${args.join(' ')}`));
        // It did not wait for the blocker: the blocker still holds the table.
        expect((await blocker.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
        expect(await schemagateSessions(url)).toBe(0);
      } finally {
        await blocker.end();
      }
    });
  }
});

describe.concurrent('schemagate never waits forever for a lock of its own', () => {
  it('db status behind LOCK TABLE on the history gives up after lock_timeout, naming the holder (exit 9)', async ({
    expect,
  }) => {
    const url = await freshDatabase();
    const dir = project({
      'schemagate.yaml': 'migrations:\n  lockTimeout: 300ms\n',
      'migrations/1_users.sql': USERS['1_users.sql'],
    });
    await migrate(engineOpts(url, dir));
    const blocker = await session(url, 'lock-table');
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE schemagate_migrations IN ACCESS EXCLUSIVE MODE');
      const pid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const r = await cli(['db', 'status'], { cwd: dir, env: { DATABASE_URL: url } });
      expect(r.exitCode).toBe(9);
      expect(r.stderr).toBe(
        [
          `error: the migration history public.schemagate_migrations is locked by another session (pid ${pid}, application_name "lock-table", AccessExclusiveLock): gave up after lock_timeout`,
          'hint: Something holds a lock on the history table (LOCK TABLE, or a long transaction that changed it). Let it finish, or end it with SELECT pg_terminate_backend(pid); then run again. migrations.lockTimeout sets how long to wait.',
        ].join('\n'),
      );
    } finally {
      await blocker.end();
    }
  });

  it("db down gets lock_timeout like a migration: behind a blocker it fails naming it, and the application's queries are not stalled (exit 14: a retry may succeed)", async ({
    expect,
  }) => {
    const url = await freshDatabase();
    const dir = project({
      // Long enough for the blocker to be identified on a busy machine (the probe runs at 60% of it).
      'schemagate.yaml': 'migrations:\n  lockTimeout: 1s\n  lockRetries: 0\n',
      'migrations/1_users.sql': USERS['1_users.sql'],
      'migrations/1_users.down.sql': '-- the application may still read it\n\nDROP TABLE users;\n',
    });
    await migrate(engineOpts(url, dir));
    const blocker = await session(url, 'app-report');
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT count(*) FROM users');
      const pid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const r = await cli(['db', 'down'], { cwd: dir, env: { DATABASE_URL: url } });
      expect(r.exitCode).toBe(14);
      expect(r.stderr).toContain(
        'error: migrations/1_users.down.sql:3:1: canceling statement due to lock timeout (SQLSTATE 55P03)',
      );
      expect(r.stderr).toContain(`blocked by: pid ${pid}, application_name "app-report", idle in transaction`);
      expect(r.stderr).toContain('Its transaction was rolled back: nothing of it was applied.');
    } finally {
      await blocker.end();
    }
    expect(await tables(url)).toEqual(['schemagate_migrations', 'users']);
  });

  it('a SIGKILLed migrate blocked behind a lock leaves no session and no lock behind', async ({ expect }) => {
    const url = await freshDatabase();
    const dir = project({ ...PATIENT, 'migrations/1_users.sql': USERS['1_users.sql'] });
    await migrate(engineOpts(url, dir));
    const blocker = await session(url, 'report');
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT count(*) FROM users');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(`${dir}/migrations/2_alter.sql`, 'ALTER TABLE users ADD COLUMN name text;\n');
      const child = spawn(['db', 'migrate'], dir, url);
      await blocked(url, '%ALTER TABLE users%');
      child.kill('SIGKILL');
      await child;
      // client_connection_check_interval ends the orphaned backend within about a second.
      await until('the killed runner’s sessions to end', async () =>
        (await schemagateSessions(url)) === 0 ? true : undefined,
      );
      expect(
        await rows(
          url,
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        ),
      ).toEqual([{ n: 0 }]);
    } finally {
      await blocker.end();
    }
  });
});

describe('--wait-for-db', () => {
  it('stops at once on SIGINT while connecting to a host that never answers (exit 130), after one attempt', async () => {
    const sockets: Socket[] = [];
    const server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const dir = project({ 'schemagate.yaml': 'database:\n  connectTimeout: 60s\n' });
      const child = spawn(['db', 'status', '--wait-for-db', '60s'], dir, `postgres://u:silent-pw@127.0.0.1:${port}/db`);
      await until('the connection attempt', () => Promise.resolve(sockets.length > 0 ? true : undefined));
      child.kill('SIGINT');
      const r = await child;
      expect(r.exitCode).toBe(130);
      expect(r.stderr).toContain('error: interrupted by SIGINT');
      expect(r.stderr).not.toContain('silent-pw');
      expect(sockets).toHaveLength(1);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});
