import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/engine/migrate.js';
import { cli, cliPath } from '../support/cli.js';
import { engineOpts, migrationsDir } from '../support/engine.js';
import { freshDatabase, withDb } from '../support/pg.js';
import { snapshot } from '../support/snapshot.js';

/** Every 5th migration runs outside a transaction: three CREATE INDEX CONCURRENTLY on the table before it. */
const isCic = (i: number) => i % 5 === 0;

function migrations(n: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 1; i <= n; i++) {
    const v = String(i).padStart(3, '0');
    if (isCic(i)) {
      const t = `m${i - 1}`;
      files[`${v}_idx${i}.sql`] =
        `-- schemagate:no-transaction\nCREATE INDEX CONCURRENTLY i${i}_a ON ${t} (id);\nSELECT pg_sleep(0.01);\n` +
        `CREATE INDEX CONCURRENTLY i${i}_b ON ${t} (id, id);\nSELECT pg_sleep(0.01);\nCREATE UNIQUE INDEX CONCURRENTLY i${i}_c ON ${t} (id);\n`;
      files[`${v}_idx${i}.down.sql`] =
        `-- schemagate:no-transaction\nDROP INDEX CONCURRENTLY i${i}_c;\nSELECT pg_sleep(0.01);\nDROP INDEX CONCURRENTLY i${i}_b;\nDROP INDEX CONCURRENTLY i${i}_a;\n`;
      continue;
    }
    // Each migration is slow enough that kills land inside migrations, not only between them.
    files[`${v}_m${i}.sql`] =
      `CREATE TABLE m${i} (id int);\nSELECT pg_sleep(0.01);\nINSERT INTO m${i} VALUES (${i});\n`;
    files[`${v}_m${i}.down.sql`] = `SELECT pg_sleep(0.01);\nDROP TABLE m${i};\n`;
  }
  return files;
}

interface State {
  /** Transactional migrations recorded as applied. */
  recorded: string[];
  /** Their tables present. */
  present: string[];
  /** Non-transactional migrations recorded as applied, and those whose three indexes are all there and valid. */
  cicRecorded: string[];
  cicComplete: string[];
  /** A no-transaction migration or down script stopped part-way (recorded progress, or an index left invalid). */
  partial: boolean;
}

/** History and schema, read in one snapshot so a commit cannot fall between the reads. */
async function state(url: string): Promise<State> {
  return withDb(url, async (c) => {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const hasHistory = (await c.query(`SELECT to_regclass('public.schemagate_migrations') AS t`)).rows[0].t !== null;
    const history = hasHistory
      ? (
          await c.query<{ v: string; success: boolean; progress: boolean }>(
            `SELECT version AS v, success, statements_total IS NOT NULL AS progress FROM schemagate_migrations WHERE kind = 'migration' ORDER BY version::int`,
          )
        ).rows
      : [];
    const present = (
      await c.query<{ v: string }>(
        `SELECT substr(table_name, 2) AS v FROM information_schema.tables WHERE table_schema = 'public' AND table_name ~ '^m[0-9]+$' ORDER BY substr(table_name, 2)::int`,
      )
    ).rows.map((r) => r.v);
    const indexes = (
      await c.query<{ v: string; valid: number; invalid: number }>(
        `SELECT substring(c.relname from '^i([0-9]+)_') AS v, count(*) FILTER (WHERE x.indisvalid)::int AS valid,
                count(*) FILTER (WHERE NOT x.indisvalid)::int AS invalid
           FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE c.relname ~ '^i[0-9]+_[abc]$' GROUP BY 1`,
      )
    ).rows;
    await c.query('COMMIT');
    const applied = history.filter((h) => h.success);
    return {
      recorded: applied.filter((h) => !isCic(Number(h.v))).map((h) => h.v),
      present,
      cicRecorded: applied.filter((h) => isCic(Number(h.v)) && !h.progress).map((h) => h.v),
      cicComplete: indexes
        .filter((i) => i.valid === 3)
        .map((i) => i.v)
        .sort((a, b) => Number(a) - Number(b)),
      partial: history.some((h) => h.progress) || indexes.some((i) => i.invalid > 0 || (i.valid > 0 && i.valid < 3)),
    };
  });
}

/** Checks what must hold after every kill: nothing recorded without its changes, nothing changed without a record (or a recorded resume point). */
function expectConsistent(s: State, when: string): void {
  expect(s.recorded, when).toEqual(s.present);
  for (const v of s.cicRecorded) expect(s.cicComplete, `${when}: version ${v} is recorded`).toContain(v);
}

function seeded(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

async function killRepeatedly(
  url: string,
  args: string[],
  kills: number,
  random: () => number,
  check: (s: State, k: number) => void,
): Promise<number> {
  let partial = 0;
  for (let k = 0; k < kills; k++) {
    const child = execa(process.execPath, [cliPath, ...args, '--lock-wait', '60s'], {
      env: { DATABASE_URL: url, NO_COLOR: '1' },
      reject: false,
    });
    // Every fourth kill lands anywhere from start-up on; the others at a random moment after the first
    // migration was applied (start-up takes a varying part of a second on a busy machine).
    const early = k % 4 === 0;
    const started = early
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          child.stderr?.once('data', () => resolve());
          void child.finally(() => resolve());
        });
    await started;
    await new Promise((r) => setTimeout(r, Math.floor(random() * (early ? 500 : 200))));
    child.kill('SIGKILL');
    await child;
    const s = await state(url);
    check(s, k);
    if (s.partial) partial++;
  }
  return partial;
}

/** The schema without the history rows (their times differ from run to run). */
async function schemaOf(url: string) {
  const s = await snapshot(url);
  return { ...s, history: Object.keys(s.history) };
}

describe('a runner killed with SIGKILL', () => {
  it('never leaves a migration recorded without its changes (or the reverse), 20 kills in a row during migrate and 6 during down, also inside CREATE INDEX CONCURRENTLY, and the next run finishes the work', async () => {
    const total = 100;
    const dir = migrationsDir(migrations(total));
    const url = await freshDatabase();
    const cleanUrl = await freshDatabase();
    const clean = migrate(engineOpts(cleanUrl, dir)).then(() => schemaOf(cleanUrl));
    const random = seeded(12345);
    const mig = ['db', 'migrate', '--migrations', `${dir}/migrations`];
    let midRun = 0;
    const partialUp = await killRepeatedly(url, mig, 20, random, (s, k) => {
      expectConsistent(s, `after kill ${k + 1} of migrate`);
      if (s.recorded.length > 0 && s.recorded.length < total * 0.8) midRun++;
    });
    // The kills must have landed during the run, and some inside a no-transaction migration.
    expect(midRun).toBeGreaterThanOrEqual(5);
    expect(partialUp).toBeGreaterThanOrEqual(1);
    const final = await cli([...mig, '--lock-wait', '60s'], { env: { DATABASE_URL: url } });
    expect(final.exitCode, final.all).toBe(0);
    const done = await state(url);
    expect(done.recorded).toHaveLength(total * 0.8);
    expect(done.cicComplete).toHaveLength(total * 0.2);
    expect(done.partial).toBe(false);
    expect(await schemaOf(url)).toEqual(await clean);

    const down = ['db', 'down', '--to', '0', '--migrations', `${dir}/migrations`];
    await killRepeatedly(url, down, 6, random, (s, k) => expectConsistent(s, `after kill ${k + 1} of down`));
    const reverted = await cli([...down, '--lock-wait', '60s'], { env: { DATABASE_URL: url } });
    expect(reverted.exitCode, reverted.all).toBe(0);
    const empty = await state(url);
    expect([empty.recorded, empty.present, empty.cicComplete, empty.partial]).toEqual([[], [], [], false]);
    const again = await cli([...mig, '--lock-wait', '60s'], { env: { DATABASE_URL: url } });
    expect(again.exitCode, again.all).toBe(0);
    expect(await schemaOf(url)).toEqual(await clean);
  }, 180_000);
});
