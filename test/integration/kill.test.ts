import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cli, cliPath } from '../support/cli.js';
import { migrationsDir } from '../support/engine.js';
import { freshDatabase, withDb } from '../support/pg.js';

function migrations(n: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 1; i <= n; i++) {
    // Each migration is slow enough that kills land inside migrations, not only between them.
    files[`${String(i).padStart(3, '0')}_m${i}.sql`] =
      `CREATE TABLE m${i} (id int);\nSELECT pg_sleep(0.02);\nINSERT INTO m${i} VALUES (${i});\n`;
  }
  return files;
}

/** History and schema, read in one snapshot so a commit cannot fall between the two reads. */
async function snapshot(url: string): Promise<{ recorded: string[]; present: string[] }> {
  return withDb(url, async (c) => {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const hasHistory = (await c.query(`SELECT to_regclass('public.schemagate_migrations') AS t`)).rows[0].t !== null;
    const recorded = hasHistory
      ? (
          await c.query(
            `SELECT version FROM schemagate_migrations WHERE kind = 'migration' AND success ORDER BY version::int`,
          )
        ).rows.map((r) => String(r.version))
      : [];
    const present = (
      await c.query(
        `SELECT substr(table_name, 2) AS v FROM information_schema.tables WHERE table_schema = 'public' AND table_name ~ '^m[0-9]+$' ORDER BY substr(table_name, 2)::int`,
      )
    ).rows.map((r) => String(r.v));
    await c.query('COMMIT');
    return { recorded, present };
  });
}

describe('a runner killed with SIGKILL', () => {
  it('never leaves a migration recorded without its changes (or the reverse), 20 kills in a row, and the next run completes', async () => {
    const url = await freshDatabase();
    const total = 150;
    const dir = migrationsDir(migrations(total));
    let midRun = 0;
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let k = 0; k < 20; k++) {
      const child = execa(
        process.execPath,
        [cliPath, 'db', 'migrate', '--migrations', `${dir}/migrations`, '--lock-wait', '60s'],
        {
          env: { DATABASE_URL: url, NO_COLOR: '1' },
          reject: false,
        },
      );
      // Node start-up takes ~150 ms; kill anywhere from before the first query to well into the run.
      await new Promise((r) => setTimeout(r, 100 + Math.floor(random() * 400)));
      child.kill('SIGKILL');
      await child;
      const s = await snapshot(url);
      expect(s.recorded, `after kill ${k + 1}`).toEqual(s.present);
      if (s.recorded.length > 0 && s.recorded.length < total) midRun++;
    }
    // The kills must have landed during the run, not only before or after it.
    expect(midRun).toBeGreaterThanOrEqual(5);
    const final = await cli(['db', 'migrate', '--migrations', `${dir}/migrations`, '--lock-wait', '60s'], {
      env: { DATABASE_URL: url },
    });
    expect(final.exitCode, final.all).toBe(0);
    const s = await snapshot(url);
    expect(s.recorded).toHaveLength(total);
    expect(s.present).toEqual(s.recorded);
  }, 120_000);
});
