import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/engine/migrate.js';
import { engineOpts, failure, migrationsDir } from '../support/engine.js';
import { admin, freshDatabase, rows, urlFor } from '../support/pg.js';
import { snapshot } from '../support/snapshot.js';

/**
 * Item: every migration starts from the same session state, whatever ran
 * before it in the run, and its history row is written as the runner's own
 * role. Split runs (`--to 1`, then the rest) and one run must give the same
 * database.
 */
const runner = `sg_runner_${randomBytes(3).toString('hex')}`;
const low = `sg_low_${randomBytes(3).toString('hex')}`;
const PASSWORD = 'runner-pw-1234';

beforeAll(async () => {
  await admin(async (c) => {
    await c.query(`CREATE ROLE ${runner} LOGIN PASSWORD '${PASSWORD}'`);
    await c.query(`CREATE ROLE ${low} NOLOGIN`);
    await c.query(`GRANT ${low} TO ${runner}`);
  });
});

afterAll(async () => {
  await admin(async (c) => {
    const dbs = await c.query<{ d: string }>(
      `SELECT datname AS d FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = $1)`,
      [runner],
    );
    for (const { d } of dbs.rows) await c.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
    await c.query(`DROP ROLE IF EXISTS ${runner}`);
    await c.query(`DROP ROLE IF EXISTS ${low}`);
  });
});

/** A fresh database owned by the runner role; returns [runner URL, admin URL]. */
async function database(): Promise<[string, string]> {
  const url = await freshDatabase();
  const name = new URL(url).pathname.slice(1);
  await admin((c) => c.query(`ALTER DATABASE ${name} OWNER TO ${runner}`));
  await admin((c) => c.query(`ALTER SCHEMA public OWNER TO ${runner}`), name);
  return [urlFor(name, { name: runner, password: PASSWORD }), url];
}

/** Applies `files` in one run on one database and split after version 1 on another; returns both snapshots. */
async function oneRunAndSplit(files: Record<string, string>) {
  const dir = migrationsDir(files);
  const [oneUrl, oneAdmin] = await database();
  const [splitUrl, splitAdmin] = await database();
  await migrate(engineOpts(oneUrl, dir));
  await migrate(engineOpts(splitUrl, dir), { to: '1' });
  await migrate(engineOpts(splitUrl, dir));
  const strip = (s: Awaited<ReturnType<typeof snapshot>>) => ({
    ...s,
    history: Object.fromEntries(
      Object.entries(s.history).map(([k, v]) => [
        k,
        v.map(({ version, applied_by, success }) => ({ version, applied_by, success })),
      ]),
    ),
  });
  return {
    one: strip(await snapshot(oneAdmin)),
    split: strip(await snapshot(splitAdmin)),
    oneAdmin,
    splitAdmin,
  };
}

async function owners(url: string): Promise<Array<{ t: string; owner: string }>> {
  return rows(
    url,
    `SELECT n.nspname || '.' || c.relname AS t, pg_get_userbyid(c.relowner) AS owner FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname IN ('public', 'other') ORDER BY 1`,
  );
}

describe('session state does not leak from one migration into the next', () => {
  it('SET search_path in 001 does not move 002 tables: one run and split runs give the same schema', async () => {
    const { one, split, oneAdmin } = await oneRunAndSplit({
      '1_other.sql': 'CREATE SCHEMA other;\nSET search_path = other;\nCREATE TABLE in_other (id int);\n',
      '2_t.sql': 'CREATE TABLE t2 (id int);\n',
      '3_nt.sql': '-- schemagate:no-transaction\nSET search_path = other;\nCREATE TABLE also_other (id int);\n',
      '4_t.sql': 'CREATE TABLE t4 (id int);\n',
    });
    expect(one).toEqual(split);
    expect((await owners(oneAdmin)).map((o) => o.t)).toEqual([
      'other.also_other',
      'other.in_other',
      'public.schemagate_migrations',
      'public.t2',
      'public.t4',
    ]);
  });

  it("SET ROLE in 001 neither owns 002's tables nor writes the history: both are the runner's", async () => {
    const { one, split, oneAdmin } = await oneRunAndSplit({
      '1_low.sql': `SET ROLE ${low};\nSELECT 1;\n`,
      '2_t.sql': 'CREATE TABLE t2 (id int);\n',
      '3_nt.sql': `-- schemagate:no-transaction\nCREATE INDEX CONCURRENTLY t2_idx ON t2 (id);\nSET ROLE ${low};\n`,
      '4_t.sql': 'CREATE TABLE t4 (id int);\n',
    });
    expect(one).toEqual(split);
    expect(await owners(oneAdmin)).toEqual([
      { t: 'public.schemagate_migrations', owner: runner },
      { t: 'public.t2', owner: runner },
      { t: 'public.t4', owner: runner },
    ]);
    expect(await rows(oneAdmin, 'SELECT version, applied_by FROM schemagate_migrations ORDER BY version')).toEqual(
      ['1', '2', '3', '4'].map((version) => ({ version, applied_by: runner })),
    );
  });

  it('a role the migration switches to may lack every privilege on the history: its row is still written', async () => {
    const [url, adminUrl] = await database();
    const dir = migrationsDir({ '1_low.sql': `CREATE TABLE t1 (id int);\nSET ROLE ${low};\n` });
    await migrate(engineOpts(url, dir));
    expect(await rows(adminUrl, 'SELECT version, applied_by FROM schemagate_migrations')).toEqual([
      { version: '1', applied_by: runner },
    ]);
  });

  it('default_transaction_read_only set by a migration neither makes the next one read-only nor stops its history row', async () => {
    const { one, split, oneAdmin } = await oneRunAndSplit({
      '1_ro.sql': 'CREATE TABLE t1 (id int);\nSET default_transaction_read_only = on;\n',
      '2_t.sql': "SET default_transaction_isolation = 'serializable';\nCREATE TABLE t2 (id int);\n",
      '3_nt.sql': '-- schemagate:no-transaction\nCREATE TABLE t3 (id int);\nSET default_transaction_read_only = on;\n',
      '4_t.sql': "CREATE TABLE t4 AS SELECT current_setting('transaction_isolation') AS iso;\n",
    });
    expect(one).toEqual(split);
    expect((await owners(oneAdmin)).map((o) => o.t)).toEqual([
      'public.schemagate_migrations',
      'public.t1',
      'public.t2',
      'public.t3',
      'public.t4',
    ]);
    expect(await rows(oneAdmin, 'SELECT iso FROM t4')).toEqual([{ iso: 'read committed' }]);
  });

  it('temporary tables, settings and advisory locks of one migration are gone in the next, as in a split run', async () => {
    const files = {
      '1_state.sql':
        "CREATE TEMP TABLE scratch AS SELECT 1 AS x;\nSELECT pg_advisory_lock(42);\nSET statement_timeout = '1ms';\n",
      '2_t.sql':
        "CREATE TABLE seen AS SELECT current_setting('statement_timeout') AS st, (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 42 AND pid = pg_backend_pid()) AS locks, to_regclass('pg_temp.scratch') IS NULL AS no_temp;\n",
    };
    const { one, split, oneAdmin } = await oneRunAndSplit(files);
    expect(one).toEqual(split);
    expect(await rows(oneAdmin, 'SELECT st, locks::int, no_temp FROM seen')).toEqual([
      { st: '0', locks: 0, no_temp: true },
    ]);
  });

  it('a migration that uses what an earlier one left in its session fails the same way in one run as in split runs', async () => {
    const dir = migrationsDir({
      '1_tmp.sql': 'CREATE TEMP TABLE scratch AS SELECT 1 AS x;\n',
      '2_use.sql': 'CREATE TABLE copied AS SELECT * FROM scratch;\n',
    });
    const [url] = await database();
    const [splitUrl] = await database();
    const one = await failure(migrate(engineOpts(url, dir)));
    await migrate(engineOpts(splitUrl, dir), { to: '1' });
    const split = await failure(migrate(engineOpts(splitUrl, dir)));
    expect(one.message).toMatch(/2_use\.sql:1:38: relation "scratch" does not exist \(SQLSTATE 42P01\)/);
    expect(split.message).toBe(one.message);
  });
});
