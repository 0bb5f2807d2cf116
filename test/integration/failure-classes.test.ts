import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { ExitCode } from '../../src/errors.js';
import { migrate } from '../../src/engine/migrate.js';
import { engineOpts, failure, migrationsDir } from '../support/engine.js';
import { freshDatabase, rows } from '../support/pg.js';

/**
 * Whether another attempt can help, said by the exit code (README, "Exit
 * codes"): what the Jobs' podFailurePolicy retries or fails at once on.
 * SQLSTATEs: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const raise = (state: string) =>
  `DO $$ BEGIN RAISE EXCEPTION 'raised for the test' USING ERRCODE = '${state}'; END $$;\n`;

describe('the exit code of a failed migration', () => {
  it('is 6 (final) for an SQL error in the file', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_typo.sql': 'CREATE TABLEE a (id int);\n' });
    const err = await failure(migrate(engineOpts(url, dir)));
    expect(err.exitCode).toBe(ExitCode.migration);
    expect(err.message).toMatch(/migrations\/1_typo\.sql:1:8: syntax error at or near "TABLEE" \(SQLSTATE 42601\)/m);
  });

  it('is 14 (transient) for a lock timeout, once the retries are used up', async () => {
    const url = await freshDatabase();
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('CREATE TABLE t (id int)');
      await holder.query('BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
      const dir = migrationsDir({ '1_alter.sql': 'ALTER TABLE t ADD COLUMN x int;\n' });
      const err = await failure(
        migrate(engineOpts(url, dir, { settings: { lockTimeoutMs: 100, lockRetries: 1, statementTimeoutMs: 0 } })),
      );
      expect(err.exitCode).toBe(ExitCode.transient);
      expect(err.message).toContain('canceling statement due to lock timeout (SQLSTATE 55P03)');
    } finally {
      await holder.end();
    }
  });

  it('is 14 for a statement timeout, a serialization failure and a deadlock, with advice for the last two', async () => {
    const url = await freshDatabase();
    const timeout = migrationsDir({ '1_slow.sql': 'SELECT pg_sleep(2);\n' });
    const slow = await failure(
      migrate(engineOpts(url, timeout, { settings: { lockTimeoutMs: 0, lockRetries: 0, statementTimeoutMs: 100 } })),
    );
    expect([slow.exitCode, slow.message]).toEqual([ExitCode.transient, expect.stringContaining('(SQLSTATE 57014)')]);
    for (const state of ['40001', '40P01']) {
      const err = await failure(migrate(engineOpts(await freshDatabase(), migrationsDir({ '1_x.sql': raise(state) }))));
      expect(err.exitCode, state).toBe(ExitCode.transient);
      expect(err.hint, state).toMatch(/^Another transaction conflicted with this one; .* another attempt may succeed/);
    }
  });

  it('is 5 (transient) when the connection is lost mid-migration, and nothing of that migration is applied', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({
      '1_a.sql': 'CREATE TABLE a (id int);\n',
      '2_slow.sql': 'SELECT pg_sleep(5);\nCREATE TABLE b (id int);\n',
    });
    const killer = new pg.Client({ connectionString: url });
    await killer.connect();
    try {
      const running = failure(migrate(engineOpts(url, dir, { applicationName: 'to-be-terminated' })));
      // Terminate the session once it runs the slow migration (pg_stat_activity shows its query).
      for (let i = 0; i < 200; i++) {
        const { rowCount } = await killer.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'to-be-terminated%' AND query LIKE '%pg_sleep(5)%'`,
        );
        if (rowCount) break;
      }
      const err = await running;
      expect(err.exitCode).toBe(ExitCode.connection);
      expect(err.message).toMatch(/2_slow\.sql/);
    } finally {
      await killer.end();
    }
    expect(await rows(url, `SELECT version FROM schemagate_migrations ORDER BY version`)).toEqual([{ version: '1' }]);
  });

  it('is 6 for any other SQLSTATE the file raises (a check violation, a missing relation)', async () => {
    for (const state of ['23514', '42P01']) {
      const err = await failure(migrate(engineOpts(await freshDatabase(), migrationsDir({ '1_x.sql': raise(state) }))));
      expect(err.exitCode, state).toBe(ExitCode.migration);
    }
  });
});
