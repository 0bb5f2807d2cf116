import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate as drizzleMigrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { down } from '../../src/engine/down.js';
import { dryRun, renderDryRun } from '../../src/engine/dry-run.js';
import { migrate } from '../../src/engine/migrate.js';
import { roundTrip } from '../../src/engine/roundtrip.js';
import { status } from '../../src/engine/status.js';
import { engineOpts, failure } from '../support/engine.js';
import { freshDatabase, rows, tables } from '../support/pg.js';
import { snapshot } from '../support/snapshot.js';

/** A project folder whose migrations/ holds the given files (sub-folders too). */
function layout(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'schemagate-layout-'));
  mkdirSync(join(dir, 'migrations'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, 'migrations', rel)), { recursive: true });
    writeFileSync(join(dir, 'migrations', rel), text);
  }
  return dir;
}

async function indexes(url: string): Promise<string[]> {
  return (
    await rows<{ i: string }>(
      url,
      `SELECT indexname AS i FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'schemagate_migrations' ORDER BY 1`,
    )
  ).map((r) => r.i);
}

/** Migrates, checks what the tool would have built, reverts everything, and runs db check's round trip. */
async function roundTripOf(dir: string, expected: { tables: string[]; indexes?: string[] }) {
  const url = await freshDatabase();
  const r = await migrate(engineOpts(url, dir));
  expect(await tables(url)).toEqual([...expected.tables, 'schemagate_migrations'].sort());
  if (expected.indexes) expect(await indexes(url)).toEqual(expected.indexes);
  await down(engineOpts(url, dir), { steps: r.applied.length });
  expect(await tables(url)).toEqual(['schemagate_migrations']);
  const check = await roundTrip(engineOpts(await freshDatabase(), dir), { tables: [] });
  expect(check.problems.filter((p) => !p.startsWith('warning: '))).toEqual([]);
  expect(check.ok).toBe(true);
  return { ...r, check };
}

// goose: https://pressly.github.io/goose/documentation/annotations (the files below are its examples' style)
describe('goose', () => {
  it('runs the Up section only, never the Down section (the issue: a table reported applied that did not exist)', async () => {
    const url = await freshDatabase();
    const dir = layout({
      '20240101000000_init.sql': '-- +goose Up\nCREATE TABLE g (id int);\n-- +goose Down\nDROP TABLE g;\n',
    });
    await migrate(engineOpts(url, dir));
    expect(await tables(url)).toEqual(['g', 'schemagate_migrations']);
  });

  it('migrates, reverts and round-trips a folder with StatementBegin blocks and NO TRANSACTION', async () => {
    const dir = layout({
      '00001_create_users.sql': `-- +goose Up
CREATE TABLE users (id int PRIMARY KEY, name text);

-- +goose StatementBegin
CREATE FUNCTION users_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.name := trim(NEW.name);
  RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION users_touch();
DROP TABLE users;
`,
      '00002_index_users.sql': `-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY users_name_idx ON users (name);

-- +goose Down
DROP INDEX CONCURRENTLY users_name_idx;
`,
    });
    const r = await roundTripOf(dir, { tables: ['users'], indexes: ['users_name_idx', 'users_pkey'] });
    expect(r.applied.map((a) => [a.version, a.transactional])).toEqual([
      ['1', true],
      ['2', false],
    ]);
  });

  it('refuses a file with an unknown annotation before anything runs', async () => {
    const url = await freshDatabase();
    const dir = layout({
      '00001_a.sql': '-- +goose Up\nCREATE TABLE a (id int);\n',
      '00002_b.sql': '-- +goose Up\n-- +goose Upp\nCREATE TABLE b (id int);\n',
    });
    const e = await failure(migrate(engineOpts(url, dir)));
    expect(e.exitCode).toBe(4);
    expect(e.message).toContain('00002_b.sql:2: unknown goose annotation "-- +goose Upp"');
    expect(await tables(url)).toEqual([]);
  });
});

// sql-migrate: https://github.com/rubenv/sql-migrate#writing-migrations (README) and sqlparse/sqlparse.go
describe('sql-migrate', () => {
  it('identifies migrations by file name, in its order, and honours notransaction', async () => {
    const dir = layout({
      '1_initial.sql': `-- +migrate Up
CREATE TABLE people (id int PRIMARY KEY, name text);

-- +migrate StatementBegin
CREATE FUNCTION people_count() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT count(*) FROM people);
END;
$$;
-- +migrate StatementEnd

-- +migrate Down
DROP FUNCTION people_count();
DROP TABLE people;
`,
      '1_second.sql': '-- +migrate Up\nCREATE TABLE pets (id int);\n-- +migrate Down\nDROP TABLE pets;\n',
      '2_index.sql':
        '-- +migrate Up notransaction\nCREATE INDEX CONCURRENTLY people_name ON people (name);\n-- +migrate Down\nDROP INDEX people_name;\n',
    });
    const r = await roundTripOf(dir, { tables: ['people', 'pets'], indexes: ['people_name', 'people_pkey'] });
    expect(r.applied.map((a) => [a.version, a.transactional])).toEqual([
      ['1_initial.sql', true],
      ['1_second.sql', true],
      ['2_index.sql', false],
    ]);
    const url = await freshDatabase();
    await migrate(engineOpts(url, dir), { to: '1_second.sql' });
    const s = await status(engineOpts(url, dir));
    expect(s.migrations.map((m) => [m.version, m.state])).toEqual([
      ['1_initial.sql', 'applied'],
      ['1_second.sql', 'applied'],
      ['2_index.sql', 'pending'],
    ]);
    expect(s.layout).toBe('sql-migrate');
    await down(engineOpts(url, dir), { to: '1_initial.sql' });
    expect(await tables(url)).toEqual(['people', 'schemagate_migrations']);
  });
});

// node-pg-migrate: https://salsita.github.io/node-pg-migrate (SQL migrations) and src/sqlMigration.ts
describe('node-pg-migrate', () => {
  it('runs the Up Migration part and reverts with the Down Migration part', async () => {
    await roundTripOf(
      layout({
        '1700000000000_create-accounts.sql':
          '-- Up Migration\nCREATE TABLE accounts (id serial PRIMARY KEY);\n\n-- Down Migration\nDROP TABLE accounts;\n',
      }),
      { tables: ['accounts'] },
    );
  });
});

// drizzle: drizzle-orm src/migrator.ts; the folder is what drizzle-kit generate writes
describe('drizzle', () => {
  const files = {
    'meta/_journal.json': JSON.stringify({
      version: '7',
      dialect: 'postgresql',
      entries: [
        { idx: 0, version: '7', when: 1700000000000, tag: '0000_red_hulk', breakpoints: true },
        { idx: 1, version: '7', when: 1700000001000, tag: '0001_blue_thor', breakpoints: true },
      ],
    }),
    '0000_red_hulk.sql':
      'CREATE TABLE "users" (\n\t"id" serial PRIMARY KEY NOT NULL,\n\t"name" text\n);\n--> statement-breakpoint\nCREATE INDEX "users_name_idx" ON "users" USING btree ("name");',
    '0000_red_hulk.down.sql': 'DROP TABLE "users";',
    '0001_blue_thor.sql': 'CREATE TABLE "posts" (\n\t"id" serial PRIMARY KEY NOT NULL\n);',
    '0001_blue_thor.down.sql': 'DROP TABLE "posts";',
    '0002_not_in_journal.sql': 'DROP TABLE "users";',
  };

  it('builds the schema drizzle builds, from the journal only, and reports the unlisted file', async () => {
    const dir = layout(files);
    const byDrizzle = await freshDatabase();
    const client = new pg.Client({ connectionString: byDrizzle });
    await client.connect();
    try {
      await drizzleMigrate(drizzle(client), { migrationsFolder: join(dir, 'migrations') });
    } finally {
      await client.end();
    }
    const bySchemagate = await freshDatabase();
    await migrate(engineOpts(bySchemagate, dir));
    const a = await snapshot(byDrizzle);
    const b = await snapshot(bySchemagate);
    expect(b.relations.filter((r) => !r.includes('schemagate_migrations'))).toEqual(
      a.relations.filter((r) => !r.startsWith('drizzle.')),
    );
    const s = await status(engineOpts(bySchemagate, dir));
    expect(s.warnings?.map((w) => w.file)).toEqual([join(dir, 'migrations', '0002_not_in_journal.sql')]);
    const { check } = await roundTripOf(dir, { tables: ['posts', 'users'] });
    expect(check.problems).toEqual([
      expect.stringMatching(
        /^warning: .*0002_not_in_journal\.sql: not listed in .*_journal\.json: drizzle does not run it/,
      ),
    ]);
  });
});

// Prisma: https://www.prisma.io/docs/orm/prisma-migrate/understanding-prisma-migrate/migration-histories
describe('Prisma', () => {
  it('applies <timestamp>_<name>/migration.sql folders in name order, with down.sql as the down script', async () => {
    const dir = layout({
      'migration_lock.toml':
        '# Please do not edit this file manually\n# It should be added in your version-control system (i.e. Git)\nprovider = "postgresql"\n',
      '20210101000000_init/migration.sql':
        '-- CreateTable\nCREATE TABLE "User" (\n    "id" SERIAL NOT NULL,\n    "email" TEXT NOT NULL,\n\n    CONSTRAINT "User_pkey" PRIMARY KEY ("id")\n);\n\n-- CreateIndex\nCREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n',
      '20210101000000_init/down.sql': 'DROP TABLE "User";\n',
      '20210201000000_posts/migration.sql':
        '-- CreateTable\nCREATE TABLE "Post" (\n    "id" SERIAL NOT NULL,\n    CONSTRAINT "Post_pkey" PRIMARY KEY ("id")\n);\n',
      '20210201000000_posts/down.sql': 'DROP TABLE "Post";\n',
    });
    const r = await roundTripOf(dir, {
      tables: ['Post', 'User'],
      indexes: ['Post_pkey', 'User_email_key', 'User_pkey'],
    });
    expect(r.applied.map((a) => a.version)).toEqual(['20210101000000_init', '20210201000000_posts']);
  });
});

// diesel: https://diesel.rs/guides/getting-started (migration folders) and diesel_migrations src/file_based_migrations.rs
describe('diesel', () => {
  it('applies <date>-<time>_<name>/up.sql by its dash-less version, outside a transaction where metadata.toml says', async () => {
    const dir = layout({
      '2019-02-26-002946_create_posts/up.sql':
        'CREATE TABLE posts (\n  id SERIAL PRIMARY KEY,\n  title VARCHAR NOT NULL,\n  body TEXT NOT NULL,\n  published BOOLEAN NOT NULL DEFAULT FALSE\n)',
      '2019-02-26-002946_create_posts/down.sql': 'DROP TABLE posts',
      '2019-03-01-101010_index_titles/up.sql': 'CREATE INDEX CONCURRENTLY posts_title ON posts (title);\n',
      '2019-03-01-101010_index_titles/down.sql': 'DROP INDEX CONCURRENTLY posts_title;\n',
      '2019-03-01-101010_index_titles/metadata.toml': 'run_in_transaction = false\n',
    });
    const r = await roundTripOf(dir, { tables: ['posts'], indexes: ['posts_pkey', 'posts_title'] });
    expect(r.applied.map((a) => [a.version, a.transactional])).toEqual([
      ['20190226002946', true],
      ['20190301101010', false],
    ]);
  });
});

// Flyway: https://documentation.red-gate.com/fd/migrations-184127470.html (V/U naming)
describe('Flyway, golang-migrate, dbmate and sqlx', () => {
  it('Flyway: V and U files', async () => {
    await roundTripOf(
      layout({
        'V1__create_person.sql': 'CREATE TABLE person (id int, name varchar(100));',
        'U1__create_person.sql': 'DROP TABLE person;',
        'V1.1__add_email.sql': 'ALTER TABLE person ADD COLUMN email text;',
        'U1.1__add_email.sql': 'ALTER TABLE person DROP COLUMN email;',
      }),
      { tables: ['person'] },
    );
  });

  // golang-migrate: https://github.com/golang-migrate/migrate/blob/master/MIGRATIONS.md
  it('golang-migrate: .up.sql/.down.sql pairs, a file wrapped in BEGIN/COMMIT as its own transaction', async () => {
    await roundTripOf(
      layout({
        '000001_create_users_table.up.sql':
          'BEGIN;\nCREATE TABLE IF NOT EXISTS users(\n   user_id serial PRIMARY KEY,\n   username VARCHAR (50) UNIQUE NOT NULL\n);\nCOMMIT;\n',
        '000001_create_users_table.down.sql': 'BEGIN;\nDROP TABLE IF EXISTS users;\nCOMMIT;\n',
      }),
      { tables: ['users'] },
    );
  });

  // dbmate: https://github.com/amacneil/dbmate#creating-migrations
  it('dbmate: -- migrate:up and -- migrate:down sections', async () => {
    await roundTripOf(
      layout({
        '20151129054053_create_users_table.sql':
          '-- migrate:up\ncreate table users (\n  id integer,\n  name varchar(255),\n  email varchar(255) not null\n);\n\n-- migrate:down\ndrop table users;\n',
      }),
      { tables: ['users'] },
    );
  });

  // sqlx: https://docs.rs/sqlx/latest/sqlx/macro.migrate.html (reversible .up.sql / .down.sql)
  it('sqlx: reversible migrations', async () => {
    await roundTripOf(
      layout({
        '20220101000000_todos.up.sql': 'CREATE TABLE todos (id BIGSERIAL PRIMARY KEY, description TEXT NOT NULL);\n',
        '20220101000000_todos.down.sql': 'DROP TABLE todos;\n',
      }),
      { tables: ['todos'] },
    );
  });
});

describe('a file wrapped in BEGIN ... COMMIT', () => {
  it("runs as the migration's transaction with its history row inside, keeping its modes; db plan says so", async () => {
    const url = await freshDatabase();
    const dir = layout({
      '1_a.up.sql':
        "BEGIN ISOLATION LEVEL SERIALIZABLE;\nCREATE TABLE a (iso text DEFAULT current_setting('transaction_isolation'));\nINSERT INTO a DEFAULT VALUES;\nCOMMIT;\n",
    });
    const plan = renderDryRun(await dryRun(engineOpts(url, dir)));
    expect(plan).toContain(
      "1_a.up.sql): the file's own BEGIN (line 1) ... COMMIT (line 4) is its transaction, with its history row inside",
    );
    expect(plan).toContain('BEGIN ISOLATION LEVEL SERIALIZABLE;');
    await migrate(engineOpts(url, dir));
    expect(await rows(url, 'SELECT iso FROM a')).toEqual([{ iso: 'serializable' }]);
    expect(await rows(url, 'SELECT version, success FROM schemagate_migrations')).toEqual([
      { version: '1', success: true },
    ]);
  });

  it('leaves nothing behind when it fails: no table, no history row', async () => {
    const url = await freshDatabase();
    const dir = layout({ '1_a.sql': "BEGIN;\nCREATE TABLE a (id int);\nINSERT INTO a VALUES ('x');\nCOMMIT;\n" });
    const e = await failure(migrate(engineOpts(url, dir)));
    expect(e.message).toContain('1_a.sql:3:23: invalid input syntax for type integer: "x"');
    expect(await tables(url)).toEqual([]);
  });
});

describe('nothing is silently empty', () => {
  it('a Prisma or diesel folder read as such, never as an empty flat folder', async () => {
    const url = await freshDatabase();
    const dir = layout({ '20210101000000_init/migration.sql': 'CREATE TABLE t (id int);\n' });
    expect((await migrate(engineOpts(url, dir))).applied.map((a) => a.version)).toEqual(['20210101000000_init']);
  });

  it('db status, verify and check of a folder with no migrations fail unless --allow-empty', async () => {
    const url = await freshDatabase();
    const dir = layout({});
    for (const run of [
      () => status(engineOpts(url, dir)),
      () =>
        roundTrip(engineOpts(url, dir), { tables: [] }).then((r) =>
          r.ok ? r : Promise.reject(new Error(r.problems[0])),
        ),
    ]) {
      const e = await failure(run());
      expect(e.message).toMatch(/no migrations in .*migrations: nothing would be applied or checked/);
    }
    expect((await status(engineOpts(url, dir, { allowEmpty: true }))).migrations).toEqual([]);
  });
});
