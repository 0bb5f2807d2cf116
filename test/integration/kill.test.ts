import { createInterface } from 'node:readline';
import { execa } from 'execa';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/engine/migrate.js';
import { cli, cliPath } from '../support/cli.js';
import { engineOpts, migrationsDir } from '../support/engine.js';
import { freshDatabase, withDb } from '../support/pg.js';
import { snapshot } from '../support/snapshot.js';

/** Every 5th migration runs outside a transaction: three CREATE INDEX CONCURRENTLY on the table before it. */
const isCic = (i: number) => i % 5 === 0;

/** The advisory lock a gate waits on: two-int keys, a space apart from the runner's bigint lock key. */
const GATE_CLASS = 7777;

/** Says that version `i` reached its gate (a notice, sent at once), then waits while the test holds the gate. */
function gate(i: number): string {
  return `DO $$ BEGIN RAISE NOTICE 'gate ${i}'; PERFORM pg_advisory_xact_lock_shared(${GATE_CLASS}, ${i}); END $$;`;
}

function migrations(n: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 1; i <= n; i++) {
    const v = String(i).padStart(3, '0');
    if (isCic(i)) {
      const t = `m${i - 1}`;
      // Between its first and second index it passes a gate: a test that holds the gate's lock stops it there.
      files[`${v}_idx${i}.sql`] =
        `-- schemagate:no-transaction\nCREATE INDEX CONCURRENTLY i${i}_a ON ${t} (id);\n${gate(i)}\n` +
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
    const hasHistory =
      (await c.query<{ t: string | null }>(`SELECT to_regclass('public.schemagate_migrations') AS t`)).rows[0]!.t !==
      null;
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

/**
 * Where a run is stopped. `start`: at the runner's n-th line of output (0: as soon as it is spawned), so anywhere
 * in start-up and on; `applied`: as soon as it reports that version applied, so right after a commit or inside the
 * next migration; `gate`: inside a no-transaction migration, its first index built and recorded; `reverted`: as
 * soon as it reports its n-th down script run. Every run except `reverted` is held at a gate no later than `gate`,
 * so no kill can let a run go further than planned, however fast or slow the machine.
 */
type KillPoint =
  | { kind: 'start'; lines: number; gate: number }
  | { kind: 'applied'; version: number; gate: number }
  | { kind: 'gate'; gate: number }
  | { kind: 'reverted'; count: number };

/** The highest version applied (migrations run in order). */
function position(s: State): number {
  return Math.max(0, ...[...s.recorded, ...s.cicRecorded].map(Number));
}

/** The first no-transaction migration (the ones with a gate) at or after `version`. */
const gateFrom = (version: number) => Math.ceil(version / 5) * 5;

/** Runs `args` and SIGKILLs the runner at `point`; fails if the runner ended before it got there. */
async function killAt(url: string, args: string[], point: KillPoint, gates: pg.Client): Promise<void> {
  const gate = 'gate' in point ? point.gate : undefined;
  if (gate !== undefined) await gates.query('SELECT pg_advisory_lock($1, $2)', [GATE_CLASS, gate]);
  try {
    const child = execa(process.execPath, [cliPath, ...args, '--lock-wait', '60s', '--verbose'], {
      env: { DATABASE_URL: url, NO_COLOR: '1' },
      reject: false,
      all: true,
    });
    let seen = 0;
    let reverted = 0;
    await new Promise<void>((resolve) => {
      void child.finally(() => resolve());
      if (point.kind === 'start' && point.lines === 0) resolve();
      const lines = createInterface({ input: child.stderr });
      lines.on('line', (line) => {
        seen++;
        if (gate !== undefined && line.includes(`NOTICE: gate ${gate}`)) resolve();
        const applied = /\bapplied \S*\/(\d+)_\w+\.sql\b/.exec(line);
        if (point.kind === 'start' && seen >= point.lines) resolve();
        if (point.kind === 'applied' && applied && Number(applied[1]) >= point.version) resolve();
        if (point.kind === 'reverted' && /\breverted /.test(line) && ++reverted >= point.count) resolve();
      });
    });
    child.kill('SIGKILL');
    const r = await child;
    // A start-up kill may come after a run that had nothing to do; every other run must still be going.
    if (point.kind !== 'start') expect(r.signal, `${JSON.stringify(point)}: ${r.all}`).toBe('SIGKILL');
  } finally {
    // The killed runner's backend, if it waits at the gate, goes on and finds its client gone.
    if (gate !== undefined) await gates.query('SELECT pg_advisory_unlock($1, $2)', [GATE_CLASS, gate]);
  }
}

async function killRepeatedly(
  url: string,
  args: string[],
  kills: number,
  plan: (k: number, s: State) => KillPoint,
  check: (s: State, k: number, point: KillPoint) => void,
): Promise<number> {
  let partial = 0;
  let s = await state(url);
  await withDb(url, async (gates) => {
    for (let k = 0; k < kills; k++) {
      const point = plan(k, s);
      await killAt(url, args, point, gates);
      s = await state(url);
      check(s, k, point);
      if (s.partial) partial++;
    }
  });
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
    const pick = (from: number, to: number) => from + Math.floor(random() * (to - from + 1));
    const mig = ['db', 'migrate', '--migrations', `${dir}/migrations`];
    // No run passes its gate, so 20 runs end at version 79 at most, and the kills meant to land mid-run all do.
    // Every fourth kill lands in start-up; one in four inside CREATE INDEX CONCURRENTLY; the others as soon as a
    // version the seeded random picks is applied, with at least two migrations to go before the gate.
    const plan = (k: number, s: State): KillPoint => {
      const at = position(s);
      if (k % 4 === 0) return { kind: 'start', lines: pick(0, 3), gate: gateFrom(at + 1) };
      if (k % 4 === 2) return { kind: 'gate', gate: gateFrom(at + 2) };
      const gate = gateFrom(at + 5);
      return { kind: 'applied', version: pick(at + 1, gate - 3), gate };
    };
    let midRun = 0;
    const partialUp = await killRepeatedly(url, mig, 20, plan, (s, k, point) => {
      expectConsistent(s, `after kill ${k + 1} of migrate`);
      if (point.kind === 'start') return;
      if (s.recorded.length > 0 && s.recorded.length < total * 0.8) midRun++;
      if (point.kind === 'gate') expect(s.partial, `kill ${k + 1} inside version ${point.gate}`).toBe(true);
    });
    expect(midRun).toBe(15);
    expect(partialUp).toBeGreaterThanOrEqual(5);
    const final = await cli([...mig, '--lock-wait', '60s'], { env: { DATABASE_URL: url } });
    expect(final.exitCode, final.all).toBe(0);
    const done = await state(url);
    expect(done.recorded).toHaveLength(total * 0.8);
    expect(done.cicComplete).toHaveLength(total * 0.2);
    expect(done.partial).toBe(false);
    expect(await schemaOf(url)).toEqual(await clean);

    const down = ['db', 'down', '--to', '0', '--migrations', `${dir}/migrations`];
    await killRepeatedly(
      url,
      down,
      6,
      () => ({ kind: 'reverted', count: pick(1, 8) }),
      (s, k) => expectConsistent(s, `after kill ${k + 1} of down`),
    );
    const reverted = await cli([...down, '--lock-wait', '60s'], { env: { DATABASE_URL: url } });
    expect(reverted.exitCode, reverted.all).toBe(0);
    const empty = await state(url);
    expect([empty.recorded, empty.present, empty.cicComplete, empty.partial]).toEqual([[], [], [], false]);
    const again = await cli([...mig, '--lock-wait', '60s'], { env: { DATABASE_URL: url } });
    expect(again.exitCode, again.all).toBe(0);
    expect(await schemaOf(url)).toEqual(await clean);
  }, 180_000);
});
