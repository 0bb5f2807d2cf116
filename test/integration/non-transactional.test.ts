import { describe, expect, it } from 'vitest';
import { dryRun, renderDryRun } from '../../src/engine/dry-run.js';
import { migrate } from '../../src/engine/migrate.js';
import { repair } from '../../src/engine/repair.js';
import { status } from '../../src/engine/status.js';
import { engineOpts, migrationsDir, write, failure } from '../support/engine.js';
import { freshDatabase, rows } from '../support/pg.js';

const BASE =
  'CREATE TABLE items (id int PRIMARY KEY, name text, price int);\nINSERT INTO items SELECT g, md5(g::text), g FROM generate_series(1, 1000) g;\n';

// Four statements that cannot share a transaction; the third one is wrong.
const BROKEN = `-- schemagate:no-transaction
CREATE INDEX CONCURRENTLY items_name_idx ON items (name);

CREATE INDEX CONCURRENTLY items_price_idx ON items (price);

CREATE INDEX CONCURRENTLY items_missing_idx ON items (no_such_column);

CREATE INDEX CONCURRENTLY items_both_idx ON items (name, price);
`;

async function indexes(url: string): Promise<string[]> {
  return (
    await rows<{ i: string }>(
      url,
      `SELECT indexname AS i FROM pg_indexes WHERE tablename = 'items' AND indexname <> 'items_pkey' ORDER BY 1`,
    )
  ).map((r) => r.i);
}

describe('non-transactional migrations', () => {
  it('resume at the failed statement after the file is fixed, without re-running the statements that succeeded', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_items.sql': BASE, '2_indexes.sql': BROKEN });
    const err = await failure(migrate(engineOpts(url, dir)));
    expect(err.message).toMatch(/2_indexes\.sql:6:1: column "no_such_column" does not exist \(SQLSTATE 42703\)/);
    expect(err.hint).toMatch(
      /statements 1-2 of 4 were applied and are recorded\. Fix the file and run again: it resumes at statement 3 \(line 6\)/,
    );
    expect(await indexes(url)).toEqual(['items_name_idx', 'items_price_idx']);

    const s = await status(engineOpts(url, dir));
    expect(s.migrations.find((m) => m.version === '2')).toMatchObject({
      state: 'failed',
      statementsApplied: 2,
      statementsTotal: 4,
    });

    write(dir, 'migrations/2_indexes.sql', BROKEN.replace('no_such_column', 'id'));
    const plan = await dryRun(engineOpts(url, dir));
    expect(plan.migrations[0]).toMatchObject({ version: '2', transactional: false, resumeAt: 3 });
    const r = await migrate(engineOpts(url, dir));
    // Statements 1 and 2 would fail with "already exists" if they ran again.
    expect(r.applied.map((a) => a.version)).toEqual(['2']);
    expect(await indexes(url)).toEqual(['items_both_idx', 'items_missing_idx', 'items_name_idx', 'items_price_idx']);
    expect(
      await rows(url, `SELECT success, statements_applied FROM schemagate_migrations WHERE version = '2'`),
    ).toEqual([{ success: true, statements_applied: null }]);
  });

  it('refuses to resume when a statement that already ran has been edited', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_items.sql': BASE, '2_indexes.sql': BROKEN });
    await migrate(engineOpts(url, dir)).catch(() => undefined);
    write(
      dir,
      'migrations/2_indexes.sql',
      BROKEN.replace('ON items (price)', 'ON items (price DESC)').replace('no_such_column', 'id'),
    );
    const err = await failure(migrate(engineOpts(url, dir)));
    expect(err.message).toMatch(
      /2_indexes\.sql:4:1: statement 2 was already applied by an earlier run, and has been edited since/,
    );
    expect(err.hint).toMatch(/db repair --clear-failed 2/);
    expect(await indexes(url)).toEqual(['items_name_idx', 'items_price_idx']);
  });

  it('run from the first statement again after repair --clear-failed', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_items.sql': BASE, '2_indexes.sql': BROKEN });
    await migrate(engineOpts(url, dir)).catch(() => undefined);
    // The user undoes the applied statements by hand, and tells schemagate so.
    await rows(url, 'DROP INDEX items_name_idx, items_price_idx');
    const r = await repair(engineOpts(url, dir), { clearFailed: ['2'] });
    expect(r.done).toEqual([
      { action: 'clear-failed', version: '2', file: expect.stringMatching(/2_indexes\.sql$/) as unknown },
    ]);
    write(dir, 'migrations/2_indexes.sql', BROKEN.replace('no_such_column', 'id'));
    await migrate(engineOpts(url, dir));
    expect(await indexes(url)).toHaveLength(4);
  });

  it('are detected without a marker when a statement cannot run in a transaction', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({
      '1_items.sql': BASE,
      '2_cic.sql': 'CREATE INDEX CONCURRENTLY items_name_idx ON items (name);\nANALYZE items;\n',
    });
    const plan = await dryRun(engineOpts(url, dir));
    expect(plan.migrations.map((m) => [m.version, m.transactional])).toEqual([
      ['1', true],
      ['2', false],
    ]);
    expect(plan.migrations[1]!.reason).toMatch(
      /^line 1: CREATE INDEX CONCURRENTLY cannot run inside a transaction block/,
    );
    expect(renderDryRun(plan)).toMatch(
      /-- 2 cic \(.*2_cic\.sql\): OUTSIDE a transaction \(line 1: CREATE INDEX CONCURRENTLY/,
    );
    const r = await migrate(engineOpts(url, dir));
    expect(r.applied.map((a) => [a.version, a.transactional])).toEqual([
      ['1', true],
      ['2', false],
    ]);
    expect(await indexes(url)).toEqual(['items_name_idx']);
  });

  it('can also be asked for with -- schemagate:no-transaction, e.g. for ALTER TYPE ... ADD VALUE used in the same file', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({
      '1_mood.sql': `-- schemagate:no-transaction\nCREATE TYPE mood AS ENUM ('ok');\nALTER TYPE mood ADD VALUE 'great';\nCREATE TABLE moods AS SELECT 'great'::mood AS m;\n`,
    });
    await migrate(engineOpts(url, dir));
    expect(await rows(url, 'SELECT m::text FROM moods')).toEqual([{ m: 'great' }]);
  });
});
