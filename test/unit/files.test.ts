import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { checksum } from '../../src/engine/checksum.js';
import { FilesError, parseMigrationName, readMigrations, readSeeds } from '../../src/engine/files.js';
import { thrown as rejection } from '../support/thrown.js';

const NOT_A_NAME =
  "not a migration file name: expected NNN_description.sql (e.g. 001_create_users.sql), NNN_description.down.sql, rollback_NNN.sql or Flyway's V1__description.sql. Rename it, or move it out of this folder";
const FLYWAY_ONLY =
  'not a Flyway migration name: expected V1__description.sql or U1__description.sql (migrations.format is "flyway")';
const NO_FLYWAY =
  'Flyway names are not read when migrations.format is "schemagate": rename it to NNN_description.sql or set migrations.format to "auto"';
const REPEATABLE =
  'Flyway repeatable migrations (R__) are not supported: turn it into a versioned migration (V<n>__description.sql)';

/** A migrations folder outside the working directory (so paths are shown absolute). */
function folder(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'schemagate-files-')), 'migrations');
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('parseMigrationName: plain names (NNN_description.sql)', () => {
  it.each([
    ['001_create_users.sql', { kind: 'up', version: '001', description: 'create users' }],
    ['1_x.sql', { kind: 'up', version: '1', description: 'x' }],
    ['20240101120000_add_index.sql', { kind: 'up', version: '20240101120000', description: 'add index' }],
    ['7.sql', { kind: 'up', version: '7', description: '' }],
    ['0000_cool_name.sql', { kind: 'up', version: '0000', description: 'cool name' }],
  ])('reads %s as a migration', (name, parsed) => {
    expect(parseMigrationName(name, 'auto')).toEqual(parsed);
    expect(parseMigrationName(name, 'schemagate')).toEqual(parsed);
  });

  it('reads golang-migrate / dbmate .up.sql and .down.sql pairs', () => {
    expect(parseMigrationName('3_add_posts.up.sql', 'auto')).toEqual({
      kind: 'up',
      version: '3',
      description: 'add posts',
    });
    expect(parseMigrationName('3_add_posts.down.sql', 'auto')).toEqual({
      kind: 'down',
      version: '3',
      description: 'add posts',
    });
    expect(parseMigrationName('3.down.sql', 'auto')).toEqual({ kind: 'down', version: '3', description: '' });
  });

  it('reads rollback_NNN.sql, with or without a description, as a down script', () => {
    expect(parseMigrationName('rollback_012.sql', 'auto')).toEqual({
      kind: 'down',
      version: '012',
      description: undefined,
    });
    expect(parseMigrationName('rollback_12_users.sql', 'schemagate')).toEqual({
      kind: 'down',
      version: '12',
      description: 'users',
    });
  });
});

describe('parseMigrationName: Flyway names', () => {
  it('reads versioned and undo migrations, with dotted and underscored versions', () => {
    expect(parseMigrationName('V1__init.sql', 'auto')).toEqual({ kind: 'up', version: '1', description: 'init' });
    expect(parseMigrationName('V1.2__add_users_table.sql', 'flyway')).toEqual({
      kind: 'up',
      version: '1.2',
      description: 'add users table',
    });
    expect(parseMigrationName('V1_2__x.sql', 'flyway')).toEqual({ kind: 'up', version: '1_2', description: 'x' });
    expect(parseMigrationName('U1.2__add_users_table.sql', 'auto')).toEqual({
      kind: 'down',
      version: '1.2',
      description: 'add users table',
    });
  });

  it('refuses a repeatable migration (R__)', () => {
    expect(parseMigrationName('R__views.sql', 'auto')).toEqual({ kind: 'invalid', message: REPEATABLE });
    expect(parseMigrationName('R__views.sql', 'flyway')).toEqual({ kind: 'invalid', message: REPEATABLE });
  });

  it('tells a single underscore after the version what to rename it to', () => {
    expect(parseMigrationName('V1_init.sql', 'auto')).toEqual({
      kind: 'invalid',
      message: 'Flyway names need two underscores after the version: rename it to V1__init.sql',
    });
    expect(parseMigrationName('V1.2_add_x.sql', 'flyway')).toEqual({
      kind: 'invalid',
      message: 'Flyway names need two underscores after the version: rename it to V1.2__add_x.sql',
    });
  });

  it('with format "schemagate", refuses Flyway names instead of reading them', () => {
    for (const name of ['V1__init.sql', 'U1__init.sql', 'R__views.sql', 'V1_init.sql']) {
      expect(parseMigrationName(name, 'schemagate')).toEqual({ kind: 'invalid', message: NO_FLYWAY });
    }
  });

  it('with format "flyway", refuses every other layout', () => {
    for (const name of ['001_users.sql', 'rollback_1.sql', '1_x.down.sql', 'users.sql']) {
      expect(parseMigrationName(name, 'flyway')).toEqual({ kind: 'invalid', message: FLYWAY_ONLY });
    }
  });
});

describe('parseMigrationName: invalid names', () => {
  it.each([
    'users.sql',
    '1a_x.sql',
    'x1_users.sql',
    '_1_x.sql',
    'v1__lowercase.sql',
    'V__no_version.sql',
    'V1__.sql',
    'rollback_x.sql',
    '1-x.sql',
    ' 1_x.sql',
  ])('refuses %s and says what names look like', (name) => {
    expect(parseMigrationName(name, 'auto')).toEqual({ kind: 'invalid', message: NOT_A_NAME });
  });
});

describe('readMigrations', () => {
  it('orders by version numerically, so 9 comes before 10 whatever the padding', () => {
    const dir = folder({
      '10_b.sql': 'SELECT 10;',
      '9_a.sql': 'SELECT 9;',
      '0011_c.sql': 'SELECT 11;',
      '2_x.sql': 'SELECT 2;',
    });
    expect(readMigrations(dir).map((f) => f.version.text)).toEqual(['2', '9', '10', '11']);
  });

  it('drops leading zeros from the version and keeps the file name as shown', () => {
    const dir = folder({ '007_users.sql': 'SELECT 1;' });
    const [f] = readMigrations(dir);
    expect(f!.version).toEqual({ text: '7', parts: [7n] });
    expect(f!.description).toBe('users');
    expect(f!.file).toBe(join(dir, '007_users.sql'));
    expect(f!.path).toBe(join(dir, '007_users.sql'));
  });

  it('treats 001_a.sql and 1_b.sql as the same version: a duplicate', () => {
    const dir = folder({ '001_a.sql': 'SELECT 1;', '1_b.sql': 'SELECT 1;' });
    const e = rejection(() => readMigrations(dir));
    expect(e).toBeInstanceOf(FilesError);
    expect(e.exitCode).toBe(ExitCode.validation);
    expect(e.message).toBe(
      `${join(dir, '1_b.sql')}: duplicate version 1: ${join(dir, '001_a.sql')} has the same version. Give one of them the next free number`,
    );
    expect(e.context).toEqual({ file: join(dir, '1_b.sql') });
  });

  it('reads Flyway V1.2__x.sql with its U1.2__x.sql undo script, ordered by dotted version', () => {
    const dir = folder({
      'V1.10__c.sql': 'SELECT 3;',
      'V1.2__add_x.sql': 'SELECT 2;',
      'U1.2__add_x.sql': 'SELECT -2;',
      'V1__init.sql': 'SELECT 1;',
    });
    const files = readMigrations(dir);
    expect(files.map((f) => [f.version.text, f.description, f.down?.file])).toEqual([
      ['1', 'init', undefined],
      ['1.2', 'add x', join(dir, 'U1.2__add_x.sql')],
      ['1.10', 'c', undefined],
    ]);
  });

  it('pairs .up.sql with .down.sql, and NNN_x.sql with rollback_NNN.sql', () => {
    const dir = folder({
      '1_users.up.sql': 'CREATE TABLE u (id int);',
      '1_users.down.sql': 'DROP TABLE u;',
      '2_posts.sql': 'CREATE TABLE p (id int);',
      'rollback_002.sql': 'DROP TABLE p;',
    });
    const files = readMigrations(dir);
    expect(files.map((f) => [f.file, f.down])).toEqual([
      [join(dir, '1_users.up.sql'), { file: join(dir, '1_users.down.sql'), path: join(dir, '1_users.down.sql') }],
      [join(dir, '2_posts.sql'), { file: join(dir, 'rollback_002.sql'), path: join(dir, 'rollback_002.sql') }],
    ]);
  });

  it('ignores files that are not .sql, and hidden files', () => {
    const dir = folder({
      '1_a.sql': 'SELECT 1;',
      'README.md': '# notes',
      '.2_hidden.sql': 'SELECT 2;',
      'notes.txt': 'x',
    });
    expect(readMigrations(dir).map((f) => f.version.text)).toEqual(['1']);
  });

  it('checksums the BOM-stripped, LF-normalised text it will send', () => {
    const dir = folder({ '1_a.sql': '\uFEFFCREATE TABLE a (\r\n  id int\r\n);\r\n' });
    const [f] = readMigrations(dir);
    expect(f!.sql).toBe('CREATE TABLE a (\n  id int\n);\n');
    expect(f!.checksum).toBe(checksum('CREATE TABLE a (\n  id int\n);\n'));
  });

  it('refuses an empty folder, naming it and the layouts it reads, unless allowEmpty', () => {
    const dir = folder({});
    const e = rejection(() => readMigrations(dir));
    expect(e.exitCode).toBe(ExitCode.validation);
    expect(e.code).toBe('files.empty');
    expect(e.message).toBe(`no migrations in ${dir}: nothing would be applied or checked`);
    expect(e.hint).toContain('goose NNN_name.sql with -- +goose Up / -- +goose Down');
    expect(e.hint).toContain('where an empty folder is expected, pass --allow-empty');
    expect(readMigrations(dir, 'auto', { allowEmpty: true })).toEqual([]);
  });

  it('reports every problem at once: names, duplicates, orphan and second down scripts, empty files', () => {
    const dir = folder({
      '1_ok.sql': 'SELECT 1;',
      '1_ok.down.sql': 'SELECT -1;',
      'rollback_1.sql': 'SELECT -1;',
      '01_again.sql': 'SELECT 1;',
      '1a_x.sql': 'SELECT 1;',
      '2_empty.sql': '  -- nothing here\n/* nor here */\n',
      '3_x.down.sql': 'SELECT -3;',
      'users.sql': 'SELECT 1;',
    });
    const e = rejection(() => readMigrations(dir)) as FilesError;
    const f = (name: string) => join(dir, name);
    expect(e.problems).toEqual([
      {
        file: f('1_ok.sql'),
        message: `duplicate version 1: ${f('01_again.sql')} has the same version. Give one of them the next free number`,
      },
      { file: f('1a_x.sql'), message: NOT_A_NAME },
      { file: f('users.sql'), message: NOT_A_NAME },
      { file: f('rollback_1.sql'), message: `second down script for version 1 (also ${f('1_ok.down.sql')}): keep one` },
      {
        file: f('3_x.down.sql'),
        message:
          'down script for version 3, but there is no migration 3: rename it to match its migration, or delete it',
      },
      {
        file: f('2_empty.sql'),
        message: 'the migration is empty (only whitespace or comments): write its SQL, or delete the file',
      },
    ]);
    expect(e.message).toBe(
      `6 problems in the migration files:\n${e.problems.map((p) => `  - ${p.file}: ${p.message}`).join('\n')}`,
    );
    expect(e.exitCode).toBe(ExitCode.validation);
  });

  it('refuses Flyway names in a folder read with format "schemagate"', () => {
    const dir = folder({ 'V1__init.sql': 'SELECT 1;' });
    expect(rejection(() => readMigrations(dir, 'schemagate')).message).toBe(
      `${join(dir, 'V1__init.sql')}: ${NO_FLYWAY}`,
    );
  });

  it('names a missing folder and the key and flag that set it', () => {
    const dir = join(folder({}), 'nope');
    const e = rejection(() => readMigrations(dir));
    expect(e.code).toBe('files.missing-dir');
    expect(e.exitCode).toBe(ExitCode.validation);
    expect(e.message).toBe(`Migrations folder not found: ${dir}`);
    expect(e.hint).toBe(
      'Create it, or point migrations.dir in schemagate.yaml (or --migrations) at the folder that holds them.',
    );
  });

  it('names a path that is a file, not a folder', () => {
    const dir = folder({ '1_a.sql': 'SELECT 1;' });
    const e = rejection(() => readMigrations(join(dir, '1_a.sql')));
    expect(e.code).toBe('files.not-a-dir');
    expect(e.message).toBe(`${join(dir, '1_a.sql')} is not a folder`);
    expect(e.hint).toBe('Point migrations.dir (or --migrations) at the folder that holds the migrations files.');
  });
});

describe('readSeeds', () => {
  it('reads every .sql file in name order, normalised and checksummed', () => {
    const dir = folder({
      '02_posts.sql': 'INSERT INTO p VALUES (1);\r\n',
      '01_users.sql': 'INSERT INTO u VALUES (1);\n',
      'x.txt': '',
    });
    expect(readSeeds(dir).map((s) => [s.name, s.sql, s.checksum])).toEqual([
      ['01_users.sql', 'INSERT INTO u VALUES (1);\n', checksum('INSERT INTO u VALUES (1);\n')],
      ['02_posts.sql', 'INSERT INTO p VALUES (1);\n', checksum('INSERT INTO p VALUES (1);\n')],
    ]);
  });

  it('names a missing seeds folder and the key that sets it', () => {
    const dir = join(folder({}), 'seeds');
    expect(rejection(() => readSeeds(dir)).hint).toBe(
      'Create it, or point seeds.dir in schemagate.yaml (or --seeds) at the folder that holds them.',
    );
  });
});
