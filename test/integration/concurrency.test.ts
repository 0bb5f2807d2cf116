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
    // Some migrations try to release the lock or to change the session state the next one starts from. The
    // runner's own statement that resets a script's statement_timeout runs under it: a second, never reached by
    // one statement however busy the machine (1ms was, now and then, and the run failed).
    const hostile =
      i % 40 === 0
        ? 'DISCARD ALL;\n'
        : i % 25 === 0
          ? 'SELECT pg_advisory_unlock_all();\n'
          : i % 30 === 0
            ? "SET search_path = pg_catalog;\nSET statement_timeout = '1s';\n"
            : i % 35 === 0
              ? 'RESET ALL;\nSET SESSION AUTHORIZATION DEFAULT;\nCREATE TEMP TABLE scratch (x int);\n'
              : '';
    files[`${v}_t${i}.sql`] =
      (i % 40 === 0 ? '-- schemagate:no-transaction\n' : '') +
      `CREATE TABLE public.t${i} (id int PRIMARY KEY${i > 1 ? `, prev int REFERENCES public.t${i - 1} (id)` : ''});\n` +
      `CREATE INDEX ${i % 40 === 0 ? 'CONCURRENTLY ' : ''}t${i}_prev_idx ON public.t${i} (id);\n` +
      `INSERT INTO public.applied_log (version) VALUES (${i});\n` +
      hostile;
  }
  // The next migration after each hostile one creates its table unqualified: in public, as in a run of its own.
  for (const i of [26, 31, 36, 41, 51, 61, 71]) {
    const v = String(i).padStart(4, '0');
    files[`${v}_t${i}.sql`] = files[`${v}_t${i}.sql`]!.replace(`CREATE TABLE public.t${i}`, `CREATE TABLE t${i}`);
  }
  return files;
}

describe('concurrent runners', () => {
  it('8 runners started at once on 200 migrations apply each migration exactly once and all exit 0, also when migrations try to release the lock or change the session state', async () => {
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
    const placed = await rows<{ n: string }>(
      url,
      `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name ~ '^t[0-9]+$'`,
    );
    expect(placed).toEqual([{ n: '199' }]);
    // Exactly one runner did the work; the others found nothing to do.
    const workers = runs.filter((r) => /applied 200 migrations/.test(r.stdout));
    const idle = runs.filter((r) => /up to date at version 199/.test(r.stdout));
    expect(workers.length + idle.length).toBe(8);
    expect(workers.length).toBeGreaterThanOrEqual(1);
  }, 240_000);
});
