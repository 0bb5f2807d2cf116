import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/engine/migrate.js';
import { status } from '../../src/engine/status.js';
import { engineOpts, migrationsDir, write, failure } from '../support/engine.js';
import { freshDatabase, rows, tables } from '../support/pg.js';

const USERS = 'CREATE TABLE users (id int PRIMARY KEY, name text);\n';
const POSTS = 'CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users (id));\n';

describe('db migrate', () => {
  it('applies pending migrations in numeric version order and records one history row each', async () => {
    const url = await freshDatabase();
    // 10 sorts before 9 lexically; numeric order must put it last.
    const dir = migrationsDir({
      '9_users.sql': USERS,
      '10_posts.sql': POSTS,
      '0011_tags.sql': 'CREATE TABLE tags (id int);',
    });
    const r = await migrate(engineOpts(url, dir));
    expect(r.applied.map((a) => a.version)).toEqual(['9', '10', '11']);
    expect(await tables(url)).toEqual(['posts', 'schemagate_migrations', 'tags', 'users']);
    const history = await rows<{ version: string; kind: string; success: boolean; checksum: string; script: string }>(
      url,
      'SELECT version, kind, success, checksum, script FROM schemagate_migrations ORDER BY applied_at, version::int',
    );
    expect(history.map((h) => [h.version, h.kind, h.success])).toEqual([
      ['9', 'migration', true],
      ['10', 'migration', true],
      ['11', 'migration', true],
    ]);
    expect(history[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does nothing on a second run', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_users.sql': USERS });
    await migrate(engineOpts(url, dir));
    const again = await migrate(engineOpts(url, dir));
    expect(again.applied).toEqual([]);
    expect(again.current).toBe('1');
  });

  it('stops after --to and applies the rest on the next run', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_users.sql': USERS, '2_posts.sql': POSTS, '3_x.sql': 'CREATE TABLE x (id int);' });
    const first = await migrate(engineOpts(url, dir), { to: '2' });
    expect(first.applied.map((a) => a.version)).toEqual(['1', '2']);
    expect(await tables(url)).not.toContain('x');
    const second = await migrate(engineOpts(url, dir));
    expect(second.applied.map((a) => a.version)).toEqual(['3']);
  });

  it('rolls back a failing migration with its history row and keeps the ones before it', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({
      '1_users.sql': USERS,
      '2_broken.sql': 'CREATE TABLE half (id int);\nINSERT INTO nope VALUES (1);\n',
    });
    await expect(migrate(engineOpts(url, dir))).rejects.toThrow(
      /2_broken\.sql:2:13: relation "nope" does not exist \(SQLSTATE 42P01\)/,
    );
    expect(await tables(url)).toEqual(['schemagate_migrations', 'users']);
    const history = await rows<{ version: string }>(url, 'SELECT version FROM schemagate_migrations');
    expect(history.map((h) => h.version)).toEqual(['1']);
  });

  it('treats a CRLF checkout and a BOM as the same file (same checksum)', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_users.sql': 'CREATE TABLE users (\n  id int\n);\n' });
    await migrate(engineOpts(url, dir));
    write(dir, 'migrations/1_users.sql', '\uFEFFCREATE TABLE users (\r\n  id int\r\n);\r\n');
    const r = await migrate(engineOpts(url, dir));
    expect(r.applied).toEqual([]);
    const s = await status(engineOpts(url, dir));
    expect(s.migrations.map((m) => m.state)).toEqual(['applied']);
  });

  it('refuses to run when an applied migration was edited, naming the file and the repair command', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_users.sql': USERS, '2_posts.sql': POSTS });
    await migrate(engineOpts(url, dir), { to: '1' });
    write(dir, 'migrations/1_users.sql', USERS.replace('name text', 'name varchar(10)'));
    await expect(migrate(engineOpts(url, dir))).rejects.toThrow(
      /migrations\/1_users\.sql was changed after it was applied.*db repair --accept 1/s,
    );
    expect(await tables(url)).not.toContain('posts');
  });

  it('refuses to run when the file of an applied version is gone', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_users.sql': USERS, '2_posts.sql': POSTS });
    await migrate(engineOpts(url, dir), { to: '1' });
    rmSync(join(dir, 'migrations/1_users.sql'));
    await expect(migrate(engineOpts(url, dir))).rejects.toThrow(
      /version 1 \(.*1_users\.sql\) was applied .* but its file is not in .*db repair --forget 1/,
    );
    expect(await tables(url)).not.toContain('posts');
  });

  it('refuses a pending migration numbered below an applied one unless outOfOrder is set', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_users.sql': USERS, '3_x.sql': 'CREATE TABLE x (id int);' });
    await migrate(engineOpts(url, dir));
    write(dir, 'migrations/2_posts.sql', POSTS);
    await expect(migrate(engineOpts(url, dir))).rejects.toThrow(
      /2_posts\.sql \(version 2\) is pending, but version 3 is already applied/,
    );
    const r = await migrate(engineOpts(url, dir, { outOfOrder: true }));
    expect(r.applied.map((a) => a.version)).toEqual(['2']);
  });

  it('creates the history table only when there is something to apply', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_users.sql': USERS });
    rmSync(join(dir, 'migrations/1_users.sql'));
    await migrate(engineOpts(url, dir, { allowEmpty: true }));
    expect(await tables(url)).toEqual([]);
  });

  it('keeps the history in the configured schema and table', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_users.sql': USERS });
    await migrate(engineOpts(url, dir, { schema: 'meta', table: 'history' }));
    expect(await tables(url, 'meta')).toEqual(['history']);
    expect(await tables(url)).toEqual(['users']);
  });

  it('names every connection with application_name', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({
      '1_seen.sql': `CREATE TABLE seen AS SELECT current_setting('application_name') AS app;`,
    });
    await migrate(engineOpts(url, dir));
    const [row] = await rows<{ app: string }>(url, 'SELECT app FROM seen');
    expect(row!.app).toMatch(/^schemagate-test migrate @/);
  });

  it('sets lock_timeout and statement_timeout for each migration from the settings and the file', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({
      '1_defaults.sql': `CREATE TABLE t1 AS SELECT current_setting('lock_timeout') AS lt, current_setting('statement_timeout') AS st;`,
      '2_override.sql': `-- schemagate:lock-timeout 30s\n-- schemagate:statement-timeout 2m\nCREATE TABLE t2 AS SELECT current_setting('lock_timeout') AS lt, current_setting('statement_timeout') AS st;`,
    });
    await migrate(
      engineOpts(url, dir, { settings: { lockTimeoutMs: 1500, lockRetries: 0, statementTimeoutMs: 60_000 } }),
    );
    expect(await rows(url, 'SELECT lt, st FROM t1')).toEqual([{ lt: '1500ms', st: '1min' }]);
    expect(await rows(url, 'SELECT lt, st FROM t2')).toEqual([{ lt: '30s', st: '2min' }]);
    // SET LOCAL: nothing leaks into the session afterwards.
  });

  it('points at the statement that failed when PostgreSQL gives no position (a unique violation on line 3)', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({
      '1_users.sql': USERS,
      '2_data.sql': `INSERT INTO users VALUES (1, 'ada');\n\nINSERT INTO users VALUES (1, 'grace');\nINSERT INTO users VALUES (3, 'linus');\n`,
    });
    const err = await failure(migrate(engineOpts(url, dir)));
    expect(err.message).toMatch(
      /2_data\.sql:3:1: duplicate key value violates unique constraint "users_pkey" \(SQLSTATE 23505\)/,
    );
    expect(err.message).toContain("> 3 | INSERT INTO users VALUES (1, 'grace');");
    expect(await rows(url, 'SELECT count(*)::int AS n FROM users')).toEqual([{ n: 0 }]);
  });

  it('leaves no history table behind when the very first migration fails', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_broken.sql': 'CREATE TABLE a (id int);\nSELECT * FROM nope;\n' });
    await expect(migrate(engineOpts(url, dir))).rejects.toThrow(/relation "nope" does not exist/);
    expect(await tables(url)).toEqual([]);
  });
});
