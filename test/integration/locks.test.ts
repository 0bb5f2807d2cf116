import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/engine/migrate.js';
import { LockTimeoutError, lockKey } from '../../src/engine/lock.js';
import { engineOpts, migrationsDir, failure } from '../support/engine.js';
import { freshDatabase, rows, tables, withDb } from '../support/pg.js';
import pg from 'pg';

async function session(url: string, name: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: name });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

describe('the migration lock', () => {
  it('is polled up to lockWait, then fails naming the session that holds it (pid, application_name)', async () => {
    const url = await freshDatabase();
    const holder = await session(url, 'other-deploy-tool');
    try {
      const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await holder.query('SELECT pg_advisory_lock($1)', [lockKey('public', 'schemagate_migrations').toString()]);
      const waits: string[] = [];
      const dir = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
      const err = await failure(migrate(engineOpts(url, dir, { lockWaitMs: 400, log: (l) => waits.push(l) })));
      expect(err).toBeInstanceOf(LockTimeoutError);
      expect((err as Error).message).toMatch(
        new RegExp(
          `gave up waiting 0s for the migration lock on public\\.schemagate_migrations; it is held by pid ${pid}, application_name "other-deploy-tool"`,
        ),
      );
      expect((err as LockTimeoutError).hint).toContain(`SELECT pg_terminate_backend(${pid})`);
      expect(waits[0]).toMatch(
        new RegExp(
          `waiting for the migration lock on public\\.schemagate_migrations: held by pid ${pid}, application_name "other-deploy-tool"`,
        ),
      );
      // Nothing was created: the history table is made only once the lock is held.
      expect(await tables(url)).toEqual([]);
    } finally {
      await holder.end();
    }
  });

  it('is taken again as soon as the holder releases it', async () => {
    const url = await freshDatabase();
    const holder = await session(url, 'holder');
    const key = lockKey('public', 'schemagate_migrations').toString();
    await holder.query('SELECT pg_advisory_lock($1)', [key]);
    const dir = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    const run = migrate(engineOpts(url, dir, { lockWaitMs: 10_000 }));
    await new Promise((r) => setTimeout(r, 300));
    await holder.query('SELECT pg_advisory_unlock($1)', [key]);
    await holder.end();
    expect((await run).applied.map((a) => a.version)).toEqual(['1']);
  });

  it('uses a different key for a different history table', () => {
    expect(lockKey('public', 'schemagate_migrations')).not.toBe(lockKey('app', 'schemagate_migrations'));
    expect(lockKey('public', 'schemagate_migrations')).not.toBe(lockKey('public', 'other'));
  });

  it('never waits inside pg_advisory_lock, so CREATE INDEX CONCURRENTLY in one runner does not deadlock with a waiting runner', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({
      '1_big.sql': 'CREATE TABLE big AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 300000) g;',
      '2_cic.sql': 'CREATE INDEX CONCURRENTLY big_v_idx ON big (v);',
    });
    const a = migrate(engineOpts(url, dir, { lockWaitMs: 60_000 }));
    await new Promise((r) => setTimeout(r, 50));
    const b = migrate(engineOpts(url, dir, { lockWaitMs: 60_000 }));
    const [ra, rb] = await Promise.all([a, b]);
    expect([...ra.applied, ...rb.applied].map((m) => m.version).sort()).toEqual(['1', '2']);
    expect(
      await rows(url, `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'big_v_idx'::regclass`),
    ).toEqual([{ valid: true }]);
  }, 60_000);
});

describe('lock_timeout', () => {
  it("fails a migration blocked behind another session's lock after lock_timeout, naming the blocking pid, instead of hanging", async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_users.sql': 'CREATE TABLE users (id int);' });
    await migrate(engineOpts(url, dir));
    const blocker = await session(url, 'long-report');
    try {
      const pid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await blocker.query('BEGIN');
      await blocker.query('SELECT count(*) FROM users');
      const { write } = await import('../support/engine.js');
      write(
        dir,
        'migrations/2_alter.sql',
        '-- needs ACCESS EXCLUSIVE on users\nALTER TABLE users ADD COLUMN name text;\n',
      );
      const started = Date.now();
      const err = await failure(
        migrate(engineOpts(url, dir, { settings: { lockTimeoutMs: 300, lockRetries: 1, statementTimeoutMs: 0 } })),
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(err.message).toMatch(/2_alter\.sql:2:1: canceling statement due to lock timeout \(SQLSTATE 55P03\)/);
      expect(err.message).toMatch(
        new RegExp(`blocked by: pid ${pid}, application_name "long-report", idle in transaction`),
      );
      expect((err as { hint?: string }).hint).toMatch(new RegExp(`lock held by another session \\(pid ${pid}\\)`));
      expect(await rows(url, `SELECT version FROM schemagate_migrations`)).toEqual([{ version: '1' }]);
    } finally {
      await blocker.end();
    }
  });

  it('retries a migration that hit lock_timeout and succeeds once the blocker is gone', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_users.sql': 'CREATE TABLE users (id int);' });
    await migrate(engineOpts(url, dir));
    const blocker = await session(url, 'short-tx');
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE users IN ACCESS SHARE MODE');
    const { write } = await import('../support/engine.js');
    write(dir, 'migrations/2_alter.sql', 'ALTER TABLE users ADD COLUMN name text;');
    const lines: string[] = [];
    const run = migrate(
      engineOpts(url, dir, {
        settings: { lockTimeoutMs: 200, lockRetries: 5, statementTimeoutMs: 0 },
        log: (l) => lines.push(l),
      }),
    );
    setTimeout(() => void blocker.query('COMMIT').then(() => blocker.end()), 600);
    const r = await run;
    expect(r.applied.map((a) => a.version)).toEqual(['2']);
    expect(lines.some((l) => /2_alter\.sql: lock_timeout reached, retry 1 of 5/.test(l))).toBe(true);
    await withDb(url, async (c) =>
      expect(
        (await c.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY 1`))
          .rows,
      ).toEqual([{ column_name: 'id' }, { column_name: 'name' }]),
    );
  });
});
