import { chmodSync, cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { roundTrip } from '../../src/engine/roundtrip.js';
import { cli, project, repoRoot } from '../support/cli.js';
import { engineOpts, migrationsDir } from '../support/engine.js';
import { admin, freshDatabase, rows, tables, urlFor } from '../support/pg.js';

const USERS = {
  '1_users.sql': 'CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);',
  '1_users.down.sql': 'DROP TABLE users;',
};

async function check(files: Record<string, string>, tablesToVerify: { name: string; columns: string[] }[] = []) {
  const url = await freshDatabase();
  const dir = migrationsDir(files);
  const r = await roundTrip(engineOpts(url, dir), { tables: tablesToVerify });
  const m = (name: string) => join(dir, 'migrations', name);
  return { url, m, r, stepNames: r.steps.map((s) => `${s.ok ? 'ok' : 'FAIL'} ${s.name}`), text: r.problems.join('\n') };
}

async function scratchDatabases(): Promise<string[]> {
  return admin(async (c) =>
    (
      await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'schemagate\\_check\\_%'`)
    ).rows.map((r) => r.datname),
  );
}

describe('db check: the migration round trip', () => {
  it("passes on the repository's own migrations in a scratch database on the --database-url server, which it drops afterwards", async () => {
    const dir = project({
      'schemagate.yaml':
        'verify:\n  tables:\n    - name: users\n      columns: [id, username, email]\n    - user_profiles\n',
    });
    cpSync(join(repoRoot, 'migrations'), join(dir, 'migrations'), { recursive: true });
    const before = await tables(urlFor('postgres'));
    const r = await cli(['db', 'check', '--database-url', urlFor('postgres')], { cwd: dir });
    expect(r.exitCode, r.all).toBe(0);
    expect(
      r.stdout
        .split('\n')
        .filter((l) => /^(ok|FAIL)/.test(l))
        .map((l) => l.replace(/:.*/, '')),
    ).toEqual([
      'ok    preflight',
      'ok    apply all',
      'ok    verify',
      'ok    snapshot',
      'ok    revert all',
      'ok    compare with the empty database',
      'ok    apply all again',
      'ok    compare with the first pass',
    ]);
    expect(r.stdout).toMatch(/round trip clean: every migration applied, reverted and applied again/);
    const name = /created the scratch database (schemagate_check_[0-9a-f]{12})/.exec(r.stderr)?.[1];
    expect(name, r.stderr).toBeDefined();
    expect(await scratchDatabases()).not.toContain(name);
    // The database of the URL itself is left alone.
    expect(await tables(urlFor('postgres'))).toEqual(before);
    expect(r.all).not.toContain('test-password-not-secret');
  });

  it('names every migration without a down script, with the file to write, before anything runs', async () => {
    const { url, r, stepNames, text } = await check({
      ...USERS,
      '2_posts.sql': 'CREATE TABLE posts (id int PRIMARY KEY);',
      '3_tags.sql': 'CREATE TABLE tags (id int PRIMARY KEY);',
    });
    expect(r.ok).toBe(false);
    expect(r.exitCode).toBe(4);
    expect(stepNames).toEqual(['FAIL preflight']);
    expect(r.problems).toHaveLength(2);
    expect(text).toMatch(
      /\/migrations\/2_posts\.sql: no down script, so the round trip cannot revert it\. Write .*2_posts\.down\.sql \(or .*rollback_2\.sql\) that undoes it\./,
    );
    expect(text).toMatch(/3_tags\.sql: no down script/);
    expect(await tables(url)).toEqual([]);
  });

  it('names the index a down script forgets, and the down script, even when a later down script drops the table', async () => {
    const { m, r, stepNames, text } = await check({
      ...USERS,
      '2_name_index.sql': 'CREATE INDEX users_name_idx ON users (name);\nALTER TABLE users ADD COLUMN age int;',
      '2_name_index.down.sql': 'ALTER TABLE users DROP COLUMN age;',
    });
    expect(r.exitCode).toBe(4);
    expect(stepNames).toEqual([
      'ok preflight',
      'ok apply all',
      'ok verify',
      'ok snapshot',
      'FAIL revert all',
      'ok compare with the empty database',
      'ok apply all again',
      'ok compare with the first pass',
    ]);
    expect(text).toContain(
      `${m('2_name_index.down.sql')} does not undo ${m('2_name_index.sql')} exactly; after it ran, these differ from the schema before the migration:`,
    );
    expect(text).toContain(
      '  + index public.users_name_idx: CREATE INDEX users_name_idx ON public.users USING btree (name)',
    );
  });

  it('names what is left after reverting everything, with the migration that created it, and does not apply again on top of it', async () => {
    const { m, r, stepNames, text } = await check({
      ...USERS,
      '2_audit.sql': "CREATE TABLE audit (id int);\nCREATE TYPE mood AS ENUM ('ok');",
      '2_audit.down.sql': 'DROP TYPE mood;',
    });
    expect(r.exitCode).toBe(4);
    expect(stepNames).toEqual([
      'ok preflight',
      'ok apply all',
      'ok verify',
      'ok snapshot',
      'FAIL revert all',
      'FAIL compare with the empty database',
    ]);
    expect(r.problems.at(-1)).toBe(
      `after reverting everything, the schema is not the empty one:\n  table public.audit  (created by ${m('2_audit.sql')}; ${m('2_audit.down.sql')} does not remove it)`,
    );
    // The step's count is what the problem lists: the table, not the table and each of its columns.
    expect(r.steps.find((x) => x.name === 'compare with the empty database')?.detail).toBe(
      '1 difference from the empty database: + table public.audit',
    );
    expect(text).toContain(
      `${m('2_audit.down.sql')} does not undo ${m('2_audit.sql')} exactly; after it ran, these differ from the schema before the migration:\n  + table public.audit\n`,
    );
  });

  it('catches a down script that drops a column and re-adds it at another position without its default, when that down script runs', async () => {
    const { m, r, stepNames, text } = await check({
      '1_t.sql': 'CREATE TABLE t (id int, a int DEFAULT 1, b text);',
      '1_t.down.sql': 'DROP TABLE t;',
      '2_a_not_null.sql': 'ALTER TABLE t ALTER COLUMN a SET NOT NULL;',
      '2_a_not_null.down.sql': 'ALTER TABLE t DROP COLUMN a;\nALTER TABLE t ADD COLUMN a int;',
    });
    expect(r.exitCode).toBe(4);
    expect(stepNames.filter((s) => s.startsWith('FAIL'))).toEqual(['FAIL revert all']);
    expect(text).toContain(`${m('2_a_not_null.down.sql')} does not undo ${m('2_a_not_null.sql')} exactly`);
    expect(text).toContain('  ~ table public.t: column order (id, a, b) -> (id, b, a)');
    expect(text).toContain('  ~ column public.t.a: integer default 1 -> integer');
  });

  it('catches a migration that gives another schema the second time, in the comparison with the first pass, naming the migration', async () => {
    const { m, r, stepNames, text } = await check({
      ...USERS,
      '2_created.sql': `ALTER TABLE users ADD COLUMN created timestamptz;\nDO $$ BEGIN EXECUTE format('ALTER TABLE users ALTER COLUMN created SET DEFAULT %L', clock_timestamp()); END $$;`,
      '2_created.down.sql': 'ALTER TABLE users DROP COLUMN created;',
    });
    expect(r.exitCode).toBe(4);
    expect(stepNames.at(-1)).toBe('FAIL compare with the first pass');
    expect(stepNames.slice(0, -1).every((s) => s.startsWith('ok'))).toBe(true);
    expect(text).toMatch(/applied a second time, the migrations give a different schema than the first time/);
    expect(text).toMatch(
      /~ column public\.users\.created: timestamp with time zone default '[^']+'::timestamp with time zone -> timestamp with time zone default '[^']+'::timestamp with time zone {2}\(differs from the first pass after \S+\/migrations\/2_created\.sql\)/,
    );
    expect(text).toContain(`(differs from the first pass after ${m('2_created.sql')})`);
  });

  it('reports a failing down script at file:line:column and stops with exit code 6', async () => {
    const { r, stepNames, text } = await check({
      ...USERS,
      '2_posts.sql': 'CREATE TABLE posts (id int);',
      '2_posts.down.sql': '-- undo 2\nDROP TABLEE posts;',
    });
    expect(r.exitCode).toBe(6);
    expect(stepNames).toEqual(['ok preflight', 'ok apply all', 'ok verify', 'ok snapshot', 'FAIL revert all']);
    expect(text).toMatch(/\/migrations\/2_posts\.down\.sql:2:6: syntax error at or near "TABLEE"/);
  });

  it('fails verify when a required table is missing after every migration ran (exit 8), and still runs the round trip', async () => {
    const { r, stepNames, text } = await check(USERS, [{ name: 'profiles', columns: [] }]);
    expect(r.exitCode).toBe(8);
    expect(stepNames.filter((s) => s.startsWith('FAIL'))).toEqual(['FAIL verify']);
    expect(stepNames).toHaveLength(8);
    expect(text).toContain('after applying every migration, db verify fails: table public.profiles does not exist');
  });

  it('refuses a database that is not empty', async () => {
    const url = await freshDatabase();
    await rows(url, 'CREATE TABLE precious (id int)');
    const r = await roundTrip(engineOpts(url, migrationsDir(USERS)), { tables: [] });
    expect(r.exitCode).toBe(11);
    expect(r.problems[0]).toMatch(
      /^the round trip needs an empty database, and this one holds 2 objects \(table public\.precious, column public\.precious\.id\)/,
    );
    expect(await tables(url)).toEqual(['precious']);
  });

  it('prints one JSON document with --json, exits 6 on a failing migration, and drops the scratch database also then', async () => {
    const dir = project({
      'migrations/1_bad.sql': 'CREATE TABLE ok (id int);\nCREATE TABLEE x (id int);\n',
      'migrations/1_bad.down.sql': 'DROP TABLE ok;',
    });
    const r = await cli(['db', 'check', '--json', '--database-url', urlFor('postgres')], { cwd: dir });
    expect(r.exitCode, r.all).toBe(6);
    const doc = JSON.parse(r.stdout) as { steps: { name: string; ok: boolean; detail?: string }[]; database: string };
    expect(doc).toMatchObject({ ok: false, exitCode: 6, server: 'database-url' });
    expect(doc.steps.map((s) => [s.name, s.ok])).toEqual([
      ['preflight', true],
      ['apply all', false],
    ]);
    expect(doc.steps[1]!.detail).toMatch(/^migrations\/1_bad\.sql:2:8: syntax error at or near "TABLEE"/);
    expect(doc.database).toMatch(/^schemagate_check_[0-9a-f]{12}$/);
    expect(await scratchDatabases()).not.toContain(doc.database);
  });

  it('says the role needs CREATEDB when it cannot create the scratch database (exit 5)', async () => {
    const role = { name: `nocreatedb_${Date.now()}`, password: 'role-password-x1' };
    await admin((c) => c.query(`CREATE ROLE ${role.name} LOGIN PASSWORD '${role.password}'`));
    try {
      const dir = project({
        'migrations/1_a.sql': 'CREATE TABLE a (id int);',
        'migrations/1_a.down.sql': 'DROP TABLE a;',
      });
      const r = await cli(['db', 'check', '--database-url', urlFor('postgres', role)], { cwd: dir });
      expect(r.exitCode, r.all).toBe(5);
      expect(r.stderr).toMatch(
        /could not create the scratch database schemagate_check_[0-9a-f]+ on postgres:\/\/nocreatedb_\d+:\*\*\*@.*permission denied to create database/,
      );
      expect(r.stderr).toContain(`give ${role.name} CREATEDB`);
      expect(r.all).not.toContain(role.password);
    } finally {
      await admin((c) => c.query(`DROP ROLE ${role.name}`));
    }
  });

  it('runs on a throwaway embedded PostgreSQL by default and deletes it afterwards', async () => {
    const dir = project({ 'schemagate.yaml': 'verify:\n  tables:\n    - users\n' });
    // A project folder others can enter, like a checkout under /home (as root, postgres runs as its own user).
    chmodSync(dir, 0o755);
    cpSync(join(repoRoot, 'migrations'), join(dir, 'migrations'), { recursive: true });
    const r = await cli(['db', 'check'], { cwd: dir, timeout: 90_000 });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/^ok {4}compare with the first pass: the second pass gives the same schema as the first/m);
    const folder = /started a throwaway embedded PostgreSQL in (\S+)/.exec(r.stderr)?.[1];
    expect(folder, r.stderr).toBeDefined();
    expect(existsSync(folder!)).toBe(false);
  }, 120_000);
});
