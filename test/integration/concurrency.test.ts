import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { migrationsDir } from '../support/engine.js';
import { freshDatabase, rows } from '../support/pg.js';

/** 200 migrations: each creates a table and appends its version to a shared log. */
function twoHundred(): Record<string, string> {
  const files: Record<string, string> = {
    '0000_log.sql':
      'CREATE TABLE applied_log (version int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());',
  };
  for (let i = 1; i < 200; i++) {
    const v = String(i).padStart(4, '0');
    files[`${v}_t${i}.sql`] =
      `CREATE TABLE t${i} (id int PRIMARY KEY${i > 1 ? `, prev int REFERENCES t${i - 1} (id)` : ''});\n` +
      `CREATE INDEX t${i}_prev_idx ON t${i} (id);\n` +
      `INSERT INTO applied_log (version) VALUES (${i});\n`;
  }
  return files;
}

describe('concurrent runners', () => {
  it('8 runners started at once on 200 migrations apply each migration exactly once and all exit 0', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir(twoHundred());
    const runs = await Promise.all(
      Array.from({ length: 8 }, () =>
        cli(['db', 'migrate', '--migrations', `${dir}/migrations`, '--lock-wait', '120s'], {
          env: { DATABASE_URL: url },
          timeout: 180_000,
        }),
      ),
    );
    for (const r of runs) expect(r.exitCode, r.all).toBe(0);
    const log = await rows<{ version: number; n: string }>(
      url,
      'SELECT version, count(*) AS n FROM applied_log GROUP BY version ORDER BY version',
    );
    expect(log).toHaveLength(199);
    expect(log.every((r) => r.n === '1')).toBe(true);
    const history = await rows<{ n: string; d: string }>(
      url,
      `SELECT count(*) AS n, count(DISTINCT version) AS d FROM schemagate_migrations WHERE kind = 'migration' AND success`,
    );
    expect(history).toEqual([{ n: '200', d: '200' }]);
    // Exactly one runner did the work; the others found nothing to do.
    const workers = runs.filter((r) => /applied 200 migrations/.test(r.stdout));
    const idle = runs.filter((r) => /up to date at version 199/.test(r.stdout));
    expect(workers.length + idle.length).toBe(8);
    expect(workers.length).toBeGreaterThanOrEqual(1);
  }, 240_000);
});
