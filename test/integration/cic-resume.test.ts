import { execa } from 'execa';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/engine/migrate.js';
import { status } from '../../src/engine/status.js';
import { verify } from '../../src/engine/verify.js';
import { cli, cliPath } from '../support/cli.js';
import { engineOpts, failure, migrationsDir } from '../support/engine.js';
import { freshDatabase, rows, withDb } from '../support/pg.js';

/**
 * Item: an interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index;
 * the next run must drop it and build it again, and status and verify must
 * report it. The second of three CICs is held up by a transaction on its
 * table (CIC waits for it), then cancelled in the ways a run is stopped.
 */
const TABLES =
  'CREATE TABLE a (id int);\nCREATE TABLE b (id int);\nCREATE TABLE c (id int);\nINSERT INTO b SELECT generate_series(1, 100);\n';
// lock_timeout off: the CIC waits for the blocker as long as the test wants.
const CICS = `-- schemagate:no-transaction
-- schemagate:lock-timeout 0
CREATE INDEX CONCURRENTLY a_idx ON a (id);

CREATE INDEX CONCURRENTLY b_idx ON b (id);

CREATE UNIQUE INDEX CONCURRENTLY c_idx ON c (id);
`;

async function session(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: 'blocker' });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

/** Holds a transaction on table b open, so that CREATE INDEX CONCURRENTLY on b waits for it. */
async function blockB(url: string): Promise<pg.Client> {
  const c = await session(url);
  await c.query('BEGIN');
  await c.query('INSERT INTO b VALUES (0)');
  return c;
}

async function waitingCic(url: string): Promise<number> {
  for (;;) {
    const r = await rows<{ pid: number }>(
      url,
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'CREATE INDEX CONCURRENTLY b_idx%' AND wait_event_type = 'Lock'`,
    );
    if (r[0]) return r[0].pid;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function indexes(url: string): Promise<Array<{ i: string; valid: boolean }>> {
  return rows(
    url,
    `SELECT c.relname AS i, x.indisvalid AS valid FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname LIKE '%_idx' ORDER BY 1`,
  );
}

const ALL_VALID = [
  { i: 'a_idx', valid: true },
  { i: 'b_idx', valid: true },
  { i: 'c_idx', valid: true },
];

describe('an interrupted CREATE INDEX CONCURRENTLY', () => {
  it('cancelled by pg_cancel_backend: says who cancelled it, status and verify report the invalid index, and the next run drops and builds it again', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_tables.sql': TABLES, '2_cics.sql': CICS });
    await migrate(engineOpts(url, dir), { to: '1' });
    const blocker = await blockB(url);
    const run = failure(migrate(engineOpts(url, dir)));
    const pid = await waitingCic(url);
    await rows(url, 'SELECT pg_cancel_backend($1)', [pid]);
    const err = await run;
    await blocker.query('ROLLBACK');
    await blocker.end();
    expect(err.exitCode).toBe(6);
    expect(err.message).toMatch(/2_cics\.sql:5:1: canceling statement due to user request \(SQLSTATE 57014\)/);
    expect(err.hint).toBe(
      'The statement was cancelled by another session (pg_cancel_backend) or by an administrator, not by schemagate. Find out who cancelled it, then run again. It runs outside a transaction: statements 1-1 of 3 were applied and are recorded. Fix the file and run again: it resumes at statement 2 (line 5).',
    );
    expect(await indexes(url)).toEqual([
      { i: 'a_idx', valid: true },
      { i: 'b_idx', valid: false },
    ]);
    const s = await status(engineOpts(url, dir));
    expect(s.invalidIndexes).toEqual([
      { index: 'public.b_idx', table: 'public.b', definition: 'CREATE INDEX b_idx ON public.b USING btree (id)' },
    ]);
    const v = await verify(engineOpts(url, dir), []);
    expect(v.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/2_cics\.sql \(version 2\) is half-applied: 1 of 3 statements ran before it stopped$/),
      'index public.b_idx on public.b is INVALID (an interrupted CREATE INDEX CONCURRENTLY leaves one): queries do not use it. If a migration that builds it stopped, `schemagate db migrate` drops and builds it again; otherwise rebuild it with REINDEX INDEX CONCURRENTLY public.b_idx; or drop it with DROP INDEX CONCURRENTLY public.b_idx;',
    ]);

    const lines: string[] = [];
    const r = await migrate(engineOpts(url, dir, { log: (l) => lines.push(l) }));
    expect(r.applied.map((a) => a.version)).toEqual(['2']);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /2_cics\.sql: statement 2 \(line 5\) was stopped while it built index public\.b_idx, which PostgreSQL left INVALID: dropping it \(DROP INDEX CONCURRENTLY\) and building it again$/,
      ),
    );
    expect(await indexes(url)).toEqual(ALL_VALID);
    expect((await verify(engineOpts(url, dir), [])).ok).toBe(true);
  });

  it('stopped by SIGTERM: exits 130 saying what ran and what happens next, and the next run completes', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_tables.sql': TABLES, '2_cics.sql': CICS });
    await migrate(engineOpts(url, dir), { to: '1' });
    const blocker = await blockB(url);
    const child = execa(process.execPath, [cliPath, 'db', 'migrate', '--migrations', `${dir}/migrations`], {
      env: { DATABASE_URL: url, NO_COLOR: '1' },
      reject: false,
    });
    await waitingCic(url);
    child.kill('SIGTERM');
    const r = await child;
    await blocker.query('ROLLBACK');
    await blocker.end();
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toMatch(
      /error: interrupted while running .*2_cics\.sql: statement 2 of 3 \(line 5\) was cancelled; statements 1-1 are applied and recorded, and the next run resumes at statement 2 \(the index the cancelled CREATE INDEX CONCURRENTLY leaves INVALID is dropped and built again then\)/,
    );
    const again = await cli(['db', 'migrate', '--migrations', `${dir}/migrations`], { env: { DATABASE_URL: url } });
    expect(again.exitCode, again.all).toBe(0);
    expect(await indexes(url)).toEqual(ALL_VALID);
  });

  it('that completed just before its run was killed (its progress not yet recorded) is not built twice', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_tables.sql': TABLES, '2_cics.sql': CICS });
    await migrate(engineOpts(url, dir));
    // The state a kill right after statement 2, before its record, leaves: statement 2 done, 1 recorded.
    await withDb(url, async (c) => {
      await c.query('DROP INDEX c_idx');
      const { statementChecksum } = await import('../../src/engine/checksum.js');
      await c.query(
        `UPDATE schemagate_migrations SET success = false, statements_applied = 1, statements_total = 3, statement_checksums = $1, error = NULL WHERE version = '2'`,
        [[statementChecksum('CREATE INDEX CONCURRENTLY a_idx ON a (id)')]],
      );
    });
    const lines: string[] = [];
    const r = await migrate(engineOpts(url, dir, { log: (l) => lines.push(l) }));
    expect(r.applied.map((a) => a.version)).toEqual(['2']);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /2_cics\.sql: statement 2 \(line 5\) had completed before the run stopped: index public\.b_idx exists and is valid; continuing after it$/,
      ),
    );
    expect(await indexes(url)).toEqual(ALL_VALID);
  });
});

describe('a cancelled statement in a transactional migration', () => {
  it('is located at its own line, and statement_timeout is named only when it fired', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({
      '1_slow.sql': '-- schemagate:statement-timeout 200ms\nCREATE TABLE t (id int);\n\nSELECT pg_sleep(5);\n',
    });
    const err = await failure(migrate(engineOpts(url, dir)));
    expect(err.message).toMatch(
      /1_slow\.sql:4:1: canceling statement due to statement timeout \(SQLSTATE 57014\)\n.* > 4 \| SELECT pg_sleep\(5\);/s,
    );
    expect(err.hint).toBe(
      'The statement ran longer than statement_timeout (200ms). Raise migrations.statementTimeout or add `-- schemagate:statement-timeout 10m` to the file. Its transaction was rolled back: nothing of it was applied.',
    );
    expect(await rows(url, `SELECT to_regclass('t') IS NULL AS gone`)).toEqual([{ gone: true }]);
  });
});
