import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate as drizzleMigrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { statusExitCode } from '../../src/cli/print-status.js';
import { adopt } from '../../src/engine/adopt/adopt.js';
import { migrate } from '../../src/engine/migrate.js';
import { status } from '../../src/engine/status.js';
import { cli } from '../support/cli.js';
import { engineOpts, failure } from '../support/engine.js';
import { freshDatabase, rows, withDb } from '../support/pg.js';
import { snapshot } from '../support/snapshot.js';

/*
 * Each tool's history table is created with the tool's own DDL and filled as
 * the tool fills it, on a database the tool's migrations were applied to;
 * the source followed is named above each case.
 */

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'schemagate-adopt-'));
  mkdirSync(join(dir, 'migrations'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, 'migrations', rel)), { recursive: true });
    writeFileSync(join(dir, 'migrations', rel), text);
  }
  return dir;
}

const raw = (dir: string, rel: string) => readFileSync(join(dir, 'migrations', rel));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Case {
  tool: string;
  /** Its history table, as `db status` names it. */
  table: string;
  files: Record<string, string>;
  /** Applies the schema the tool applied and fills its history as the tool does. */
  migrated(c: pg.Client, dir: string): Promise<void>;
  /** How many migrations adoption records, and how many are left for db migrate. */
  adopted: number;
  pending: number;
  /** Breaks the history the way the tool leaves it after a failure, or edits a file; then adoption must refuse. */
  broken: { what: string; apply(c: pg.Client, dir: string): Promise<void>; problem: RegExp };
}

const USERS = 'CREATE TABLE users (id int PRIMARY KEY, name text);\n';
const POSTS = 'CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users);\n';

const cases: Case[] = [
  {
    // flyway-database-postgresql PostgreSQLDatabase.java (getRawCreateScript); flyway-core ChecksumCalculator.java
    tool: 'flyway',
    table: 'public.flyway_schema_history',
    files: { 'V1__users.sql': USERS, 'V2__posts.sql': POSTS, 'V3__later.sql': 'CREATE TABLE later (id int);\n' },
    async migrated(c, dir) {
      await c.query(USERS + POSTS);
      await c.query(`CREATE TABLE "public"."flyway_schema_history" (
    "installed_rank" INT NOT NULL,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL
);
ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");`);
      // CRC32 over each line without its line break: the same as CRC32 of the text with the breaks removed.
      const checksum = (rel: string) => crc32(Buffer.from(raw(dir, rel).toString('utf8').replace(/\r?\n/g, ''))) | 0;
      await c.query(
        `INSERT INTO flyway_schema_history VALUES
           (1, '1', 'users', 'SQL', 'V1__users.sql', $1, 'app', now(), 5, true),
           (2, '2', 'posts', 'SQL', 'V2__posts.sql', $2, 'app', now(), 4, true)`,
        [checksum('V1__users.sql'), checksum('V2__posts.sql')],
      );
    },
    adopted: 2,
    pending: 1,
    broken: {
      what: 'a failed migration (success = false)',
      async apply(c) {
        await c.query(
          `INSERT INTO flyway_schema_history VALUES (3, '3', 'later', 'SQL', 'V3__later.sql', 0, 'app', now(), 1, false)`,
        );
      },
      problem: /V3__later\.sql \(version 3\) failed \(success = false\)/,
    },
  },
  {
    // golang-migrate database/postgres/postgres.go (ensureVersionTable, SetVersion)
    tool: 'golang-migrate',
    table: 'public.schema_migrations',
    files: {
      '1_users.up.sql': USERS,
      '1_users.down.sql': 'DROP TABLE users;\n',
      '2_posts.up.sql': `BEGIN;\n${POSTS}COMMIT;\n`,
      '2_posts.down.sql': 'DROP TABLE posts;\n',
    },
    async migrated(c) {
      await c.query(USERS + POSTS);
      await c.query(
        'CREATE TABLE IF NOT EXISTS "public"."schema_migrations" (version bigint not null primary key, dirty boolean not null)',
      );
      await c.query('INSERT INTO "public"."schema_migrations" (version, dirty) VALUES (2, false)');
    },
    adopted: 2,
    pending: 0,
    broken: {
      what: 'a dirty version',
      async apply(c) {
        await c.query('UPDATE schema_migrations SET dirty = true');
      },
      problem: /version 2 is dirty: a golang-migrate run failed part-way/,
    },
  },
  {
    // dbmate pkg/driver/postgres/postgres.go (CreateMigrationsTable, InsertMigration)
    tool: 'dbmate',
    table: 'public.schema_migrations',
    files: {
      '20240101000000_users.sql': `-- migrate:up\n${USERS}\n-- migrate:down\nDROP TABLE users;\n`,
      '20240102000000_posts.sql': `-- migrate:up\n${POSTS}\n-- migrate:down\nDROP TABLE posts;\n`,
    },
    async migrated(c) {
      await c.query(USERS + POSTS);
      await c.query('create table if not exists "public"."schema_migrations" (version varchar(128) primary key)');
      await c.query(`insert into "public"."schema_migrations" (version) values ('20240101000000'), ('20240102000000')`);
    },
    adopted: 2,
    pending: 0,
    broken: {
      what: 'an applied version whose file is gone',
      async apply(c) {
        await c.query(`insert into schema_migrations (version) values ('20240103000000')`);
      },
      problem: /records version 20240103000000 as applied, but no migration in .* is it/,
    },
  },
  {
    // sqlx-postgres src/migrate.rs (ensure_migrations_table, apply); sqlx-core src/migrate/migration.rs (SHA-384)
    tool: 'sqlx',
    table: 'public._sqlx_migrations',
    files: { '20240101000000_users.sql': USERS, '20240102000000_posts.sql': POSTS },
    async migrated(c, dir) {
      await c.query(USERS + POSTS);
      await c.query(`CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
    success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL,
    execution_time BIGINT NOT NULL
)`);
      const sum = (rel: string) => createHash('sha384').update(raw(dir, rel)).digest();
      await c.query(
        `INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (20240101000000, 'users', TRUE, $1, 1000), (20240102000000, 'posts', TRUE, $2, 1000)`,
        [sum('20240101000000_users.sql'), sum('20240102000000_posts.sql')],
      );
    },
    adopted: 2,
    pending: 0,
    broken: {
      what: 'a file edited after it was applied',
      apply(_c, dir) {
        writeFileSync(join(dir, 'migrations', '20240102000000_posts.sql'), `${POSTS}-- edited\n`);
        return Promise.resolve();
      },
      problem:
        /20240102000000_posts\.sql differs from what public\._sqlx_migrations recorded for version 20240102000000/,
    },
  },
  {
    // goose internal/dialect/dialectquery/postgres.go (CreateTable, InsertVersion, DeleteVersion)
    tool: 'goose',
    table: 'public.goose_db_version',
    files: {
      '00001_users.sql': `-- +goose Up\n${USERS}-- +goose Down\nDROP TABLE users;\n`,
      '00002_posts.sql': `-- +goose Up\n${POSTS}-- +goose Down\nDROP TABLE posts;\n`,
      '00003_later.sql': '-- +goose Up\nCREATE TABLE later (id int);\n-- +goose Down\nDROP TABLE later;\n',
    },
    async migrated(c) {
      await c.query(USERS + POSTS);
      await c.query(`CREATE TABLE goose_db_version (
        id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,
        version_id bigint NOT NULL,
        is_applied boolean NOT NULL,
        tstamp timestamp NOT NULL DEFAULT now()
      )`);
      // The table's first row is version 0; 3 was applied, then rolled back by an older goose (is_applied false).
      await c.query(
        `INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true), (2, true), (3, true), (3, false)`,
      );
    },
    adopted: 2,
    pending: 1,
    broken: {
      what: 'an applied version whose file is gone',
      async apply(c) {
        await c.query('INSERT INTO goose_db_version (version_id, is_applied) VALUES (4, true)');
      },
      problem: /records version 4 as applied, but no migration/,
    },
  },
  {
    // sql-migrate migrate.go (MigrationRecord: id, applied_at; checksum in newer releases)
    tool: 'sql-migrate',
    table: 'public.gorp_migrations',
    files: {
      '1_users.sql': `-- +migrate Up\n${USERS}-- +migrate Down\nDROP TABLE users;\n`,
      '1_zposts.sql': `-- +migrate Up\n${POSTS}-- +migrate Down\nDROP TABLE posts;\n`,
    },
    async migrated(c, dir) {
      await c.query(USERS + POSTS);
      await c.query(
        'create table if not exists "gorp_migrations" ("id" varchar(255) not null primary key, "checksum" text, "applied_at" timestamp with time zone)',
      );
      await c.query(
        `insert into "gorp_migrations" ("id","checksum","applied_at") values ('1_users.sql', $1, now()), ('1_zposts.sql', '', now())`,
        [sha256(raw(dir, '1_users.sql'))],
      );
    },
    adopted: 2,
    pending: 0,
    broken: {
      what: 'a file edited after it was applied (its checksum recorded)',
      apply(_c, dir) {
        writeFileSync(
          join(dir, 'migrations', '1_users.sql'),
          `-- +migrate Up\n${USERS}-- +migrate Down\nDROP TABLE users CASCADE;\n`,
        );
        return Promise.resolve();
      },
      problem: /1_users\.sql differs from what public\.gorp_migrations recorded for 1_users\.sql/,
    },
  },
  {
    // Prisma: the _prisma_migrations table its schema engine creates; schema-connector src/checksum.rs (SHA-256 hex)
    tool: 'prisma',
    table: 'public._prisma_migrations',
    files: {
      'migration_lock.toml': 'provider = "postgresql"\n',
      '20210101000000_init/migration.sql': USERS,
      '20210102000000_posts/migration.sql': POSTS,
    },
    async migrated(c, dir) {
      await c.query(USERS + POSTS);
      await c.query(`CREATE TABLE "_prisma_migrations" (
    "id" VARCHAR(36) NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "_prisma_migrations_pkey" PRIMARY KEY ("id")
)`);
      const row = (id: string, name: string) =>
        c.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, $2, now(), $3, 1)`,
          [id, sha256(raw(dir, `${name}/migration.sql`)), name],
        );
      await row('a3f1c7e2-0000-4000-8000-000000000001', '20210101000000_init');
      await row('a3f1c7e2-0000-4000-8000-000000000002', '20210102000000_posts');
    },
    adopted: 2,
    pending: 0,
    broken: {
      what: 'a migration that did not finish (P3009)',
      async apply(c) {
        await c.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs) VALUES ('a3f1c7e2-0000-4000-8000-000000000003', 'x', '20210103000000_broken', 'error')`,
        );
      },
      problem: /20210103000000_broken is not finished \(finished_at is empty\)/,
    },
  },
  {
    // diesel_migrations src/migration/setup_migration_table.sql
    tool: 'diesel',
    table: 'public.__diesel_schema_migrations',
    files: {
      '2019-02-26-002946_create_users/up.sql': USERS,
      '2019-02-26-002946_create_users/down.sql': 'DROP TABLE users;\n',
      '2019-02-27-000000_create_posts/up.sql': POSTS,
      '2019-02-27-000000_create_posts/down.sql': 'DROP TABLE posts;\n',
    },
    async migrated(c) {
      await c.query(USERS + POSTS);
      await c.query(`CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
       version VARCHAR(50) PRIMARY KEY NOT NULL,
       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
)`);
      await c.query(`INSERT INTO __diesel_schema_migrations (version) VALUES ('20190226002946'), ('20190227000000')`);
    },
    adopted: 2,
    pending: 0,
    broken: {
      what: 'an applied version whose folder is gone',
      async apply(c) {
        await c.query(`INSERT INTO __diesel_schema_migrations (version) VALUES ('20190301000000')`);
      },
      problem: /records version 20190301000000 as applied, but no migration/,
    },
  },
  {
    // node-pg-migrate src/runner.ts (ensureMigrationsTable: id SERIAL, name varchar(255), run_on timestamp)
    tool: 'node-pg-migrate',
    table: 'public.pgmigrations',
    files: {
      '1700000000000_create-users.sql': `-- Up Migration\n${USERS}\n-- Down Migration\nDROP TABLE users;\n`,
      '1700000001000_create-posts.sql': `-- Up Migration\n${POSTS}\n-- Down Migration\nDROP TABLE posts;\n`,
    },
    async migrated(c) {
      await c.query(USERS + POSTS);
      await c.query(
        'CREATE TABLE "public"."pgmigrations" ( id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)',
      );
      await c.query(
        `INSERT INTO "public"."pgmigrations" (name, run_on) VALUES ('1700000000000_create-users', NOW()), ('1700000001000_create-posts', NOW())`,
      );
    },
    adopted: 2,
    pending: 0,
    broken: {
      what: 'an applied migration whose file is gone',
      async apply(c) {
        await c.query(`INSERT INTO pgmigrations (name, run_on) VALUES ('1700000002000_gone', NOW())`);
      },
      problem: /records 1700000002000_gone as applied, but no migration/,
    },
  },
  {
    // the seed layout: schema_migrations(version, description, applied_at, applied_by, execution_time_ms, checksum), SHA-256 of the file
    tool: 'schema-migrations',
    table: 'public.schema_migrations',
    files: { '001_users.sql': USERS, '002_posts.sql': POSTS },
    async migrated(c, dir) {
      await c.query(USERS + POSTS);
      await c.query(
        'CREATE TABLE schema_migrations (version text PRIMARY KEY, description text, applied_at timestamptz DEFAULT now(), applied_by text DEFAULT current_user, execution_time_ms integer, checksum text)',
      );
      await c.query(
        `INSERT INTO schema_migrations (version, description, execution_time_ms, checksum) VALUES ('001', 'users', 3, $1), ('002', 'posts', 2, $2)`,
        [sha256(raw(dir, '001_users.sql')), sha256(raw(dir, '002_posts.sql'))],
      );
    },
    adopted: 2,
    pending: 0,
    broken: {
      what: 'a checksum that does not match',
      async apply(c) {
        await c.query(`UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = '002'`);
      },
      problem: /002_posts\.sql differs from what public\.schema_migrations recorded for version 002/,
    },
  },
  {
    // the seed layout's __MigrationHistory
    tool: 'migration-history',
    table: 'public.__MigrationHistory',
    files: { '001_users.sql': USERS, '002_posts.sql': POSTS },
    async migrated(c) {
      await c.query(USERS + POSTS);
      await c.query(
        'CREATE TABLE "__MigrationHistory" ("MigrationId" text PRIMARY KEY, "AppliedAt" timestamptz DEFAULT now())',
      );
      await c.query(`INSERT INTO "__MigrationHistory" ("MigrationId") VALUES ('001_users'), ('002_posts')`);
    },
    adopted: 2,
    pending: 0,
    broken: {
      what: 'an applied migration whose file is gone',
      async apply(c) {
        await c.query(`INSERT INTO "__MigrationHistory" ("MigrationId") VALUES ('003_gone')`);
      },
      problem: /records 003_gone as applied, but no migration/,
    },
  },
];

async function prepared(k: Case) {
  const url = await freshDatabase();
  const dir = folder(k.files);
  await withDb(url, (c) => k.migrated(c, dir));
  return { url, dir };
}

describe.each(cases)('db adopt from $tool', (k) => {
  it('records its history; then db status named nothing to adopt, db migrate applies only what it had not, and db status exits 0', async () => {
    const { url, dir } = await prepared(k);
    const before = await status(engineOpts(url, dir));
    expect(before.foreign?.map((f) => [f.tool, f.table])).toEqual([[k.tool, k.table]]);
    const otherBefore = (await snapshot(url, [k.table])).history[k.table];
    const r = await adopt(engineOpts(url, dir));
    expect(r.tool).toBe(k.tool);
    expect(r.adopted).toHaveLength(k.adopted);
    expect(r.pending).toHaveLength(k.pending);
    expect((await snapshot(url, [k.table])).history[k.table]).toEqual(otherBefore);
    const m = await migrate(engineOpts(url, dir));
    expect(m.applied).toHaveLength(k.pending);
    const after = await status(engineOpts(url, dir));
    expect(after.foreign).toBeUndefined();
    expect(statusExitCode(after)).toBe(0);
    expect((await adopt(engineOpts(url, dir))).alreadyAdopted).toBe(true);
  });

  it(`refuses ${k.broken.what}, naming it, and writes nothing`, async () => {
    const { url, dir } = await prepared(k);
    await withDb(url, (c) => k.broken.apply(c, dir));
    const before = await snapshot(url, [k.table]);
    const e = await failure(adopt(engineOpts(url, dir)));
    expect(e.exitCode).toBe(4);
    expect(e.message).toMatch(k.broken.problem);
    expect(e.hint).toMatch(/^Nothing was written/);
    expect(await snapshot(url, [k.table])).toEqual(before);
  });
});

// drizzle: the real drizzle-orm migrator fills drizzle.__drizzle_migrations (src/migrator.ts, pg-core/dialect.js)
describe('db adopt from drizzle', () => {
  const files = {
    'meta/_journal.json': JSON.stringify({
      version: '7',
      dialect: 'postgresql',
      entries: [
        { idx: 0, version: '7', when: 1700000000000, tag: '0000_users', breakpoints: true },
        { idx: 1, version: '7', when: 1700000001000, tag: '0001_posts', breakpoints: true },
      ],
    }),
    '0000_users.sql': USERS,
    '0001_posts.sql': POSTS,
  };

  async function byDrizzle() {
    const url = await freshDatabase();
    const dir = folder(files);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await drizzleMigrate(drizzle(client), { migrationsFolder: join(dir, 'migrations') });
    } finally {
      await client.end();
    }
    return { url, dir };
  }

  it('adopts what drizzle applied, checked against its SHA-256 hashes; then nothing is left to apply', async () => {
    const { url, dir } = await byDrizzle();
    const r = await adopt(engineOpts(url, dir), { from: 'drizzle' });
    expect(r.adopted.map((a) => a.version)).toEqual(['0', '1']);
    expect((await migrate(engineOpts(url, dir))).applied).toEqual([]);
    expect(statusExitCode(await status(engineOpts(url, dir)))).toBe(0);
  });

  it('refuses a file edited after drizzle applied it, writing nothing', async () => {
    const { url, dir } = await byDrizzle();
    writeFileSync(join(dir, 'migrations', '0001_posts.sql'), `${POSTS}-- edited\n`);
    const e = await failure(adopt(engineOpts(url, dir)));
    expect(e.message).toMatch(
      /0001_posts\.sql differs from what drizzle\.__drizzle_migrations recorded for 0001_posts/,
    );
    expect(await rows(url, `SELECT to_regclass('public.schemagate_migrations') AS t`)).toEqual([{ t: null }]);
  });
});

describe('db adopt on the command line', () => {
  it('--dry-run writes nothing; --table names a renamed history; two histories need --from', async () => {
    const goose = cases.find((c) => c.tool === 'goose')!;
    const { url, dir } = await prepared(goose);
    await withDb(url, (c) => c.query('ALTER TABLE goose_db_version RENAME TO custom_goose'));
    const dry = await cli(
      ['db', 'adopt', '--dry-run', '--table', 'public.custom_goose', '--json', '--migrations', `${dir}/migrations`],
      {
        env: { DATABASE_URL: url },
      },
    );
    expect(dry.exitCode, dry.all).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ tool: 'goose', table: 'public.custom_goose', dryRun: true });
    expect(await rows(url, `SELECT to_regclass('public.schemagate_migrations') AS t`)).toEqual([{ t: null }]);

    await withDb(url, (c) =>
      c.query('CREATE TABLE goose_db_version (id serial, version_id bigint, is_applied boolean, tstamp timestamp)'),
    );
    await withDb(url, (c) => c.query('CREATE TABLE pgmigrations (id serial, name text, run_on timestamp)'));
    const two = await cli(['db', 'adopt', '--migrations', `${dir}/migrations`], { env: { DATABASE_URL: url } });
    expect(two.exitCode).toBe(4);
    expect(two.stderr).toContain(
      "error: more than one tool's history in this database: public.goose_db_version (goose), public.pgmigrations (node-pg-migrate)",
    );
    expect(two.stderr).toContain('hint: Say which one to adopt with --from goose or --from node-pg-migrate.');

    const real = await cli(
      ['db', 'adopt', '--from', 'goose', '--table', 'custom_goose', '--migrations', `${dir}/migrations`],
      {
        env: { DATABASE_URL: url },
      },
    );
    expect(real.exitCode, real.all).toBe(0);
    expect(real.stdout).toContain(
      'adopted 2 migrations from goose (public.custom_goose) into public.schemagate_migrations; 1 pending',
    );
  });

  it('db status before adoption names the tool and suggests db adopt', async () => {
    const { url, dir } = await prepared(cases.find((c) => c.tool === 'diesel')!);
    const r = await cli(['db', 'status', '--migrations', `${dir}/migrations`], { env: { DATABASE_URL: url } });
    expect(r.exitCode).toBe(7);
    expect(r.stdout).toContain(
      "found diesel's history public.__diesel_schema_migrations: this database was migrated by diesel. Take it over with `schemagate db adopt` (`--dry-run` first shows what it records)",
    );
  });
});
