import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectLayout, readDownScript, readMigrationFolder, readMigrations } from '../../src/engine/files.js';
import { parseGoose } from '../../src/engine/formats/goose.js';
import { parseSqlMigrate } from '../../src/engine/formats/sql-migrate.js';
import { thrown } from '../support/thrown.js';

/** A migrations folder (outside the working directory, so paths are shown absolute) with the given files. */
function folder(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'schemagate-layouts-')), 'migrations');
  mkdirSync(dir);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

// goose: https://pressly.github.io/goose/documentation/annotations and pressly/goose internal/sqlparser/parser.go
describe('goose files', () => {
  const FILE = `-- +goose Up
CREATE TABLE g (id int);

-- +goose StatementBegin
CREATE FUNCTION g_one() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  RETURN 1;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION g_one();
DROP TABLE g;
`;

  it('run the Up section only, with the file line numbers, and keep the Down section as the down script', () => {
    const [m] = readMigrations(folder({ '20240101000000_init.sql': FILE }));
    expect(m!.version.text).toBe('20240101000000');
    expect(m!.description).toBe('init');
    expect(m!.sql).not.toContain('DROP');
    expect(m!.sql.split('\n')[1]).toBe('CREATE TABLE g (id int);');
    const down = readDownScript(m!.down!);
    expect(down).not.toContain('CREATE');
    expect(down.split('\n')[12]).toBe('DROP FUNCTION g_one();');
  });

  it('turn StatementBegin ... StatementEnd into one block and NO TRANSACTION into both directions', () => {
    const s = parseGoose(`-- +goose NO TRANSACTION\n-- +goose Up\n${FILE.split('\n').slice(1).join('\n')}`);
    expect(s.upNoTransaction).toBe('-- +goose NO TRANSACTION');
    expect(s.downNoTransaction).toBe('-- +goose NO TRANSACTION');
    expect(s.upBlocks).toHaveLength(1);
    const [a, b] = s.upBlocks[0]!;
    expect(s.up.slice(a, b)).toMatch(/^CREATE FUNCTION g_one\(\)[\s\S]*\$\$;\n$/);
  });

  it('read annotations case-insensitively, as goose 3.19 and later do', () => {
    const s = parseGoose('-- +goose up\nCREATE TABLE a (id int);\n-- +goose down\nDROP TABLE a;\n');
    expect(s.problems).toEqual([]);
    expect(s.up).toBe('\nCREATE TABLE a (id int);\n');
    expect(s.down).toBe('\n\n\nDROP TABLE a;\n');
  });

  it.each([
    [
      '-- +goose Up\n-- +goose Sideways\nSELECT 1;\n',
      2,
      'unknown goose annotation "-- +goose Sideways": goose knows Up, Down, StatementBegin, StatementEnd, NO TRANSACTION, ENVSUB ON, ENVSUB OFF, and refuses the file otherwise',
    ],
    ['  -- +goose Up\nSELECT 1;\n', 1, 'a goose annotation must start its line (goose refuses leading whitespace)'],
    ['SELECT 1;\n-- +goose Up\n', 1, 'SQL before -- +goose Up: goose refuses it; move it below the annotation'],
    ['CREATE TABLE a (id int);\n', 1, 'SQL before -- +goose Up: goose refuses it; move it below the annotation'],
    ['-- +goose Down\nSELECT 1;\n', 1, '-- +goose Down must come after -- +goose Up, outside a statement block'],
    [
      '-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n',
      3,
      '-- +goose StatementBegin without a StatementEnd after it',
    ],
    [
      "-- +goose ENVSUB ON\n-- +goose Up\nSELECT '${REGION}';\n",
      1,
      '-- +goose ENVSUB ON makes goose substitute environment variables into the SQL when it runs; schemagate runs the text of the file as it is, so that its checksum says what ran. Write the values into the file (or remove the annotation if the file uses no ${VAR})',
    ],
  ])('refuse %j before anything runs', (text, line, message) => {
    const dir = folder({ '00001_a.sql': text, '00002_b.sql': '-- +goose Up\nSELECT 2;\n' });
    const e = thrown(() => readMigrations(dir));
    expect(e.exitCode).toBe(4);
    expect(e.message).toBe(`${join(dir, '00001_a.sql')}:${line}: ${message}`);
  });

  it('refuse a Go migration in the folder: schemagate runs SQL only', () => {
    const dir = folder({ '00001_a.sql': '-- +goose Up\nSELECT 1;\n', '00002_b.go': 'package migrations\n' });
    expect(thrown(() => readMigrations(dir)).message).toBe(
      `${join(dir, '00002_b.go')}: a goose Go migration: schemagate runs SQL only. Rewrite it as a .sql migration, or apply it with goose and record it with \`schemagate db adopt\``,
    );
  });
});

// sql-migrate: rubenv/sql-migrate sqlparse/sqlparse.go (commands) and migrate.go (identity, order)
describe('sql-migrate files', () => {
  it('are identified by file name: two files may share a number and run in name order', () => {
    const dir = folder({
      '2_b.sql': '-- +migrate Up\nCREATE TABLE b (id int);\n-- +migrate Down\nDROP TABLE b;\n',
      '1_z.sql': '-- +migrate Up\nCREATE TABLE z (id int);\n',
      '1_a.sql': '-- +migrate Up\nCREATE TABLE a (id int);\n',
      '10_c.sql': '-- +migrate Up\nCREATE TABLE c (id int);\n',
    });
    const r = readMigrationFolder(dir);
    expect(r.layout).toBe('sql-migrate');
    expect(r.files.map((f) => f.version.text)).toEqual(['1_a.sql', '1_z.sql', '2_b.sql', '10_c.sql']);
    expect(r.files[0]!.down).toBeUndefined();
    expect(readDownScript(r.files[2]!.down!)).toBe('\n\n\nDROP TABLE b;\n');
  });

  it('take notransaction for its own direction only, and alternate sections', () => {
    const s = parseSqlMigrate(
      '-- +migrate Up notransaction\nCREATE INDEX CONCURRENTLY i ON t (x);\n-- +migrate Down\nDROP INDEX i;\n-- +migrate Up\nSELECT 1;\n',
    );
    expect(s.problems).toEqual([]);
    expect(s.upNoTransaction).toBe('-- +migrate Up notransaction');
    expect(s.downNoTransaction).toBeUndefined();
    expect(s.up).toBe('\nCREATE INDEX CONCURRENTLY i ON t (x);\n\n\n\nSELECT 1;\n');
  });

  it.each([
    [
      '-- +migrate up\nSELECT 1;\n',
      1,
      'unknown sql-migrate command "up" (sql-migrate commands are case-sensitive: Up, Down, StatementBegin, StatementEnd): sql-migrate would skip it silently, and what follows would not run as written. Known: Up, Down, StatementBegin, StatementEnd',
    ],
    ['-- +migrate Up notx\nSELECT 1;\n', 1, 'unknown option "notx" of -- +migrate Up: the one option is notransaction'],
    [
      '--+migrate Up\nSELECT 1;\n',
      1,
      '"--+migrate Up" is not read by sql-migrate, which reads only lines that start with exactly "-- +migrate " (two dashes, one space, +migrate, one space, then Up, Down, StatementBegin or StatementEnd)',
    ],
    [
      'CREATE TABLE lost (id int);\n-- +migrate Up\nSELECT 1;\n',
      1,
      'SQL before the first -- +migrate Up: sql-migrate never runs it; move it into the Up section',
    ],
  ])('refuse %j before anything runs', (text, line, message) => {
    const dir = folder({ '1_a.sql': text, '2_b.sql': '-- +migrate Up\nSELECT 2;\n' });
    expect(thrown(() => readMigrations(dir)).message).toBe(`${join(dir, '1_a.sql')}:${line}: ${message}`);
  });

  it('refuse a folder that mixes goose and sql-migrate files', () => {
    const dir = folder({ '1_a.sql': '-- +migrate Up\nSELECT 1;\n', '2_b.sql': '-- +goose Up\nSELECT 2;\n' });
    const e = thrown(() => readMigrations(dir));
    expect(e.message).toContain(`${join(dir, '2_b.sql')}: has goose section markers`);
    expect(e.message).toContain(`${join(dir, '1_a.sql')}: has sql-migrate section markers`);
  });
});

// node-pg-migrate: salsita/node-pg-migrate src/sqlMigration.ts (getActions)
describe('node-pg-migrate SQL files', () => {
  it('cut the file at -- Up Migration / -- Down Migration', () => {
    const r = readMigrationFolder(
      folder({
        '1700000000000_create-users.sql':
          '-- Up Migration\nCREATE TABLE users (id int);\n\n-- Down Migration\nDROP TABLE users;\n',
      }),
    );
    expect(r.layout).toBe('node-pg-migrate');
    const [m] = r.files;
    expect(m!.version.text).toBe('1700000000000');
    // Its marker pattern starts with ^\s*, so the blank line above -- Down Migration belongs to the down section.
    expect(m!.sql).toBe('-- Up Migration\nCREATE TABLE users (id int);\n');
    expect(readDownScript(m!.down!)).toBe('\n\n\n-- Down Migration\nDROP TABLE users;\n');
  });

  it('refuse a Down marker without an Up marker: node-pg-migrate would run the down SQL as the migration', () => {
    const dir = folder({ '1700000000000_x.sql': 'CREATE TABLE x (id int);\n-- Down Migration\nDROP TABLE x;\n' });
    expect(thrown(() => readMigrations(dir)).message).toContain(
      '1700000000000_x.sql:2: a -- Down Migration marker without a -- Up Migration marker',
    );
  });
});

// drizzle: drizzle-orm src/migrator.ts (readMigrationFiles): the journal decides what runs
describe('drizzle folders', () => {
  const journal = (tags: string[]) =>
    JSON.stringify({
      version: '7',
      dialect: 'postgresql',
      entries: tags.map((tag, idx) => ({ idx, version: '7', when: 1700000000000 + idx, tag, breakpoints: true })),
    });

  it('run what meta/_journal.json lists, in its order, and report a .sql file it does not list', () => {
    const dir = folder({
      'meta/_journal.json': journal(['0000_first', '0001_second']),
      'meta/0000_snapshot.json': '{}',
      '0000_first.sql': 'CREATE TABLE a (id int);\n--> statement-breakpoint\nCREATE TABLE b (id int);\n',
      '0001_second.sql': 'CREATE TABLE c (id int);\n',
      '0002_stray.sql': 'DROP TABLE a;\n',
    });
    const r = readMigrationFolder(dir);
    expect(r.layout).toBe('drizzle');
    expect(r.files.map((f) => [f.version.text, f.description])).toEqual([
      ['0', 'first'],
      ['1', 'second'],
    ]);
    expect(r.ignored).toEqual([
      {
        file: join(dir, '0002_stray.sql'),
        message: `not listed in ${join(dir, 'meta/_journal.json')}: drizzle does not run it, and neither does schemagate. Add it to the journal (drizzle-kit generate), or delete it`,
      },
    ]);
  });

  it('refuse a journal entry whose file is missing, as drizzle does', () => {
    const dir = folder({ 'meta/_journal.json': journal(['0000_gone']) });
    expect(thrown(() => readMigrations(dir)).message).toBe(
      `${join(dir, '0000_gone.sql')}: listed in ${join(dir, 'meta/_journal.json')} (idx 0) but not in the folder: drizzle fails on it too. Restore the file, or remove the entry`,
    );
  });
});

// Prisma: prisma-engines schema-connector src/migrations_directory.rs; Prisma docs "Migration histories"
describe('Prisma folders', () => {
  it('read <timestamp>_<name>/migration.sql in name order, identified by folder name, with down.sql', () => {
    const dir = folder({
      'migration_lock.toml': '# Please do not edit this file manually\nprovider = "postgresql"\n',
      '20210102000000_posts/migration.sql': 'CREATE TABLE posts (id int);\n',
      '20210101000000_init/migration.sql': '-- CreateTable\nCREATE TABLE "User" (id int);\n',
      '20210101000000_init/down.sql': 'DROP TABLE "User";\n',
    });
    const r = readMigrationFolder(dir);
    expect(r.layout).toBe('prisma');
    expect(r.files.map((f) => f.version.text)).toEqual(['20210101000000_init', '20210102000000_posts']);
    expect(r.files[0]!.down!.file).toBe(join(dir, '20210101000000_init/down.sql'));
  });

  it('refuse a folder without migration.sql, a loose .sql file and another provider', () => {
    const dir = folder({
      'migration_lock.toml': 'provider = "mysql"\n',
      '20210101000000_init/migration.sql': 'SELECT 1;\n',
      '20210102000000_empty/notes.md': 'nothing\n',
      'loose.sql': 'SELECT 2;\n',
    });
    const e = thrown(() => readMigrations(dir));
    expect(e.message).toContain(
      `${join(dir, 'migration_lock.toml')}: the migrations were written for provider "mysql"`,
    );
    expect(e.message).toContain(`${join(dir, 'loose.sql')}: Prisma reads only <folder>/migration.sql`);
    expect(e.message).toContain(`${join(dir, '20210102000000_empty')}: a Prisma migration folder needs migration.sql`);
  });
});

// diesel: diesel_migrations src/file_based_migrations.rs, migrations_internals version_from_string
describe('diesel folders', () => {
  it('take the version from the folder name without dashes, and run_in_transaction = false from metadata.toml', () => {
    const dir = folder({
      '2019-02-26-002946_create_user/up.sql': 'CREATE TABLE users (id int);\n',
      '2019-02-26-002946_create_user/down.sql': 'DROP TABLE users;\n',
      '2019-03-01-000000_index/up.sql': 'CREATE INDEX CONCURRENTLY users_id ON users (id);\n',
      '2019-03-01-000000_index/down.sql': 'DROP INDEX users_id;\n',
      '2019-03-01-000000_index/metadata.toml': '# diesel\nrun_in_transaction = false\n',
    });
    const r = readMigrationFolder(dir);
    expect(r.layout).toBe('diesel');
    expect(r.files.map((f) => f.version.text)).toEqual(['20190226002946', '20190301000000']);
    expect(r.files[1]!.noTransaction).toBe('metadata.toml: run_in_transaction = false');
    expect(r.files[1]!.down!.noTransaction).toBe('metadata.toml: run_in_transaction = false');
  });

  it('refuse a folder without up.sql and a bad run_in_transaction', () => {
    const dir = folder({
      '2019-02-26-002946_a/down.sql': 'SELECT 1;\n',
      '2019-02-27-000000_b/up.sql': 'SELECT 1;\n',
      '2019-02-27-000000_b/metadata.toml': 'run_in_transaction = "no"\n',
    });
    const e = thrown(() => readMigrations(dir, 'diesel'));
    expect(e.message).toContain(`${join(dir, '2019-02-26-002946_a')}: a diesel migration folder needs up.sql`);
    expect(e.message).toContain('run_in_transaction must be true or false, found "no"');
  });
});

describe('a folder no layout reads', () => {
  it('names every stray folder and file, and the layouts schemagate reads', () => {
    const dir = folder({
      '1_a.sql': 'SELECT 1;\n',
      'old/2_b.sql': 'SELECT 2;\n',
      'notes.json': '{}',
      'README.md': 'hi',
    });
    const e = thrown(() => readMigrations(dir));
    expect(e.exitCode).toBe(4);
    expect(e.message).toContain(`${join(dir, 'old')}: a folder among NNN_description.sql`);
    expect(e.message).toContain(`${join(dir, 'notes.json')}: fits no migration layout schemagate reads`);
    expect(e.message).not.toContain('README.md');
    expect(e.hint).toContain('diesel YYYY-MM-DD-HHMMSS_name/up.sql');
  });

  it('reads an uppercase .SQL extension like .sql', () => {
    const dir = folder({ '001_a.SQL': 'CREATE TABLE a (id int);\n', '001_a.down.SQL': 'DROP TABLE a;\n' });
    const [m] = readMigrations(dir);
    expect(m!.version.text).toBe('1');
    expect(m!.down!.file).toBe(join(dir, '001_a.down.SQL'));
  });

  it('detectLayout tells the layout without reading the folder whole (for schemagate new)', () => {
    expect(detectLayout(folder({}))).toBeUndefined();
    expect(detectLayout(folder({ 'V1__a.sql': 'SELECT 1;' }))).toBe('flyway');
    expect(detectLayout(folder({ '1_a.up.sql': 'SELECT 1;' }))).toBe('golang-migrate');
    expect(detectLayout(folder({ '1_a.sql': '-- migrate:up\nSELECT 1;' }))).toBe('dbmate');
    expect(detectLayout(folder({ '1_a.sql': '-- +goose Up\nSELECT 1;' }))).toBe('goose');
    expect(detectLayout(folder({ 'x/up.sql': 'SELECT 1;' }))).toBe('diesel');
    expect(detectLayout(folder({ '1_a.sql': 'SELECT 1;' }), 'prisma')).toBe('prisma');
  });
});
