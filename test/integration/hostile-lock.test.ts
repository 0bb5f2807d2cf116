import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { HistoryConflictError } from '../../src/engine/history.js';
import { LockLostError } from '../../src/engine/held-lock.js';
import { runningKey } from '../../src/engine/lock.js';
import { migrate } from '../../src/engine/migrate.js';
import { engineOpts, failure, migrationsDir } from '../support/engine.js';
import { freshDatabase, rows, tables, withDb } from '../support/pg.js';

/**
 * Item: a migration must not be able to drop the migration lock. Each case
 * runs migrations that try (or a session that does it from outside), and
 * asserts in the database that every migration ran exactly once.
 */

/** 1: a log table; 2: the hostile statement; 3-6 each log their version, slowly enough for a second runner to come in. */
function hostile(attack: string, noTransaction = false): Record<string, string> {
  const files: Record<string, string> = { '1_log.sql': 'CREATE TABLE log (version int NOT NULL);\n' };
  files['2_attack.sql'] =
    `${noTransaction ? '-- schemagate:no-transaction\n' : ''}${attack}\nINSERT INTO log VALUES (2);\n`;
  for (let v = 3; v <= 6; v++) files[`${v}_m.sql`] = `INSERT INTO log VALUES (${v});\nSELECT pg_sleep(0.05);\n`;
  return files;
}

async function twoRunners(files: Record<string, string>): Promise<{ url: string; applied: string[][] }> {
  const url = await freshDatabase();
  const dir = migrationsDir(files);
  const results = await Promise.all([migrate(engineOpts(url, dir)), migrate(engineOpts(url, dir))]);
  return { url, applied: results.map((r) => r.applied.map((a) => a.version)) };
}

async function logCounts(url: string): Promise<Array<{ version: number; n: number }>> {
  return rows(url, 'SELECT version, count(*)::int AS n FROM log GROUP BY version ORDER BY version');
}

const ONCE = [2, 3, 4, 5, 6].map((version) => ({ version, n: 1 }));

describe.concurrent('a migration cannot release the migration lock (two runners at once)', () => {
  it('pg_advisory_unlock_all() in a migration releases nothing: each migration runs exactly once', async ({
    expect,
  }) => {
    const { url, applied } = await twoRunners(hostile('SELECT pg_advisory_unlock_all();'));
    expect(await logCounts(url)).toEqual(ONCE);
    expect(applied.flat().sort()).toEqual(['1', '2', '3', '4', '5', '6']);
  });

  it('DISCARD ALL in a no-transaction migration releases nothing', async ({ expect }) => {
    const { url, applied } = await twoRunners(hostile('DISCARD ALL;', true));
    expect(await logCounts(url)).toEqual(ONCE);
    expect(applied.flat().sort()).toEqual(['1', '2', '3', '4', '5', '6']);
  });

  it('pg_advisory_unlock of the lock key itself, RESET ALL and SET SESSION AUTHORIZATION DEFAULT release nothing', async ({
    expect,
  }) => {
    const attack =
      "SELECT pg_advisory_unlock(k) FROM (SELECT ('x' || left(encode(sha256('schemagate:public.schemagate_migrations'), 'hex'), 16))::bit(64)::bigint AS k) s;\nRESET ALL;\nSET SESSION AUTHORIZATION DEFAULT;";
    const { url } = await twoRunners(hostile(attack));
    expect(await logCounts(url)).toEqual(ONCE);
  });
});

describe('a migration that ends the session holding the lock', () => {
  it('is rolled back and the run stops at once, saying the lock was lost (exit 9)', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir(
      hostile(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE '% (lock)';",
      ),
    );
    const err = await failure(migrate(engineOpts(url, dir)));
    expect(err).toBeInstanceOf(LockLostError);
    expect(err.exitCode).toBe(9);
    expect(err.message).toMatch(
      /^lost the migration lock on public\.schemagate_migrations: its session \(pid \d+\) (ended|no longer holds it)\. Stopped at once, so that no other runner can apply the same migration twice$/,
    );
    // Migration 2 ran up to its history row, which found the lock gone: all of it was rolled back.
    // (pg_terminate_backend with a timeout returns once the session is gone; without one, the history row could
    // still see the lock and commit: consistently, since another runner's row for it would then be a conflict.)
    expect(await rows(url, 'SELECT version FROM schemagate_migrations ORDER BY version')).toEqual([{ version: '1' }]);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM log')).toEqual([{ n: 0 }]);
  });

  it('ended from outside while a migration runs: the migration is cancelled and rolled back at once', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({
      '1_log.sql': 'CREATE TABLE log (version int NOT NULL);\n',
      '2_slow.sql': 'INSERT INTO log VALUES (2);\nSELECT pg_sleep(30);\n',
    });
    const db = new URL(url).pathname.slice(1);
    const run = failure(migrate(engineOpts(url, dir)));
    await withDb(url, async (c) => {
      for (;;) {
        const r = await c.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep(30)%' AND state = 'active' AND pid <> pg_backend_pid()`,
          [db],
        );
        if (r.rowCount) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await c.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE '% (lock)'`,
        [db],
      );
    });
    const err = await run;
    expect(err).toBeInstanceOf(LockLostError);
    expect(err.message).toMatch(/its session \(pid \d+\) ended\. Stopped at once/);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM log')).toEqual([{ n: 0 }]);
    expect(await rows(url, 'SELECT version FROM schemagate_migrations')).toEqual([{ version: '1' }]);
    // Nothing of the run is left on the server: the cancelled migration's session ended too.
    expect(
      await rows(
        url,
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [db],
      ),
    ).toEqual([{ n: 0 }]);
  });
});

describe('the history row of a migration', () => {
  it('is never written over a row that is already there: a conflict is an error naming the other runner, and the row stays', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({
      '1_log.sql': 'CREATE TABLE log (version int NOT NULL);\n',
      // While it runs, "another runner" (a hand, here) records version 2.
      '2_m.sql': `INSERT INTO log VALUES (2);\nSELECT pg_sleep(0.3);\n`,
    });
    await migrate(engineOpts(url, dir), { to: '1' });
    const db = new URL(url).pathname.slice(1);
    const run = failure(migrate(engineOpts(url, dir)));
    await withDb(url, async (c) => {
      for (;;) {
        const r = await c.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep(0.3)%' AND pid <> pg_backend_pid()`,
          [db],
        );
        if (r.rowCount) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await c.query(
        `INSERT INTO schemagate_migrations (kind, version, description, script, checksum, success, applied_by)
         VALUES ('migration', '2', 'other', 'other.sql', 'other-checksum', true, 'other-runner')`,
      );
    });
    const err = await run;
    expect(err).toBeInstanceOf(HistoryConflictError);
    expect(err.exitCode).toBe(9);
    expect(err.message).toBe(
      "migration 2 was recorded in public.schemagate_migrations by another runner while this one held the migration lock: nothing of this run's migration 2 was recorded over it",
    );
    expect(await rows(url, `SELECT checksum, applied_by FROM schemagate_migrations WHERE version = '2'`)).toEqual([
      { checksum: 'other-checksum', applied_by: 'other-runner' },
    ]);
    // This run's migration 2 was rolled back with its history row.
    expect(await rows(url, 'SELECT count(*)::int AS n FROM log')).toEqual([{ n: 0 }]);
  });
});

describe('a runner whose script session outlives it', () => {
  it("is waited for: the next runner runs nothing while the last one's statement still runs", async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_fast.sql': 'CREATE TABLE fast (id int);\n' });
    // What a killed process leaves: its lock session is gone, its script session still runs a statement.
    const script = new pg.Client({ connectionString: url, application_name: 'stopped runner' });
    script.on('error', () => undefined);
    await script.connect();
    await script.query('SELECT pg_advisory_lock($1)', [runningKey('public', 'schemagate_migrations').toString()]);
    const lines: string[] = [];
    const run = migrate(engineOpts(url, dir, { lockWaitMs: 10_000, log: (l) => lines.push(l) }));
    await script.query('SELECT pg_sleep(0.3)');
    // Until the stopped runner's session ends, nothing ran.
    expect(await tables(url)).toEqual([]);
    await script.end();
    expect((await run).applied.map((a) => a.version)).toEqual(['1']);
    expect(lines[0]).toMatch(
      /^waiting for the script session of a stopped runner to end \(pid \d+, application_name "stopped runner"/,
    );
  });
});
