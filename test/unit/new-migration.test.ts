import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDownScript, readMigrations } from '../../src/engine/files.js';
import {
  defaultShape,
  detectLayout,
  type FolderShape,
  newMigrationFiles,
  nextVersion,
  slug,
  writeNewMigration,
} from '../../src/engine/new-migration.js';
import { thrown } from '../support/thrown.js';

function folder(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'schemagate-new-')), 'migrations');
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const NOW = new Date(Date.UTC(2025, 2, 7, 9, 5, 30));

/** `new NAME` as the CLI does it, at a fixed time: detect, number, write. */
function create(dir: string, name: string, now = NOW): { shape: FolderShape; files: string[] } {
  const shape = detectLayout(dir) ?? defaultShape('schemagate');
  const files = newMigrationFiles(shape, slug(name), nextVersion(shape, now)).map((f) => f.name);
  writeNewMigration(dir, newMigrationFiles(shape, slug(name), nextVersion(shape, now)));
  return { shape, files };
}

describe("new: the next migration in the folder's own layout", () => {
  it('schemagate: the next sequence number at the same width, with its down script', () => {
    const dir = folder({
      '001_users.sql': 'CREATE TABLE users (id int);',
      '001_users.down.sql': 'DROP TABLE users;',
      '002_posts.sql': 'CREATE TABLE posts (id int);',
    });
    const { shape, files } = create(dir, 'add user notes');
    expect(shape).toMatchObject({ layout: 'schemagate', numbering: { kind: 'sequence', width: 3 }, last: '002' });
    expect(files).toEqual(['003_add_user_notes.sql', '003_add_user_notes.down.sql']);
    // Once written, the engine reads it as migration 3 with its down script.
    appendFileSync(join(dir, files[0]!), 'CREATE TABLE notes (id int);\n');
    const m = readMigrations(dir).at(-1)!;
    expect([m.version.text, m.description, m.down?.file.endsWith('003_add_user_notes.down.sql')]).toEqual([
      '3',
      'add user notes',
      true,
    ]);
  });

  it('grows a sequence past its width instead of wrapping (9 -> 10, 099 -> 100)', () => {
    const seq = (last: string): FolderShape => ({
      layout: 'schemagate',
      numbering: { kind: 'sequence', width: last.length },
      last,
      undo: false,
      from: undefined,
    });
    expect(nextVersion(seq('9'), NOW)).toBe('10');
    expect(nextVersion(seq('099'), NOW)).toBe('100');
    expect(nextVersion(seq('00041'), NOW)).toBe('00042');
  });

  it('Flyway: V<n+1>__name.sql, the next major version after a dotted one, and an undo script when the folder has them', () => {
    const dir = folder({ 'V1__init.sql': 'SELECT 1;', 'V1.2__more.sql': 'SELECT 2;', 'U1.2__more.sql': 'SELECT 3;' });
    const { shape, files } = create(dir, 'Add-Index');
    expect(shape).toMatchObject({ layout: 'flyway', undo: true, last: '1' });
    expect(files).toEqual(['V2__Add_Index.sql', 'U2__Add_Index.sql']);
    const plain = folder({ 'V7__init.sql': 'SELECT 1;' });
    expect(create(plain, 'x').files).toEqual(['V8__x.sql']);
  });

  it('golang-migrate (and sqlx -r): an .up.sql / .down.sql pair, by timestamp when the folder uses them', () => {
    const dir = folder({
      '20240101000000_init.up.sql': 'CREATE TABLE a (id int);',
      '20240101000000_init.down.sql': 'DROP TABLE a;',
    });
    const { shape, files } = create(dir, 'add_b');
    expect(shape).toMatchObject({ layout: 'golang-migrate', numbering: { kind: 'timestamp' } });
    expect(files).toEqual(['20250307090530_add_b.up.sql', '20250307090530_add_b.down.sql']);
    const seq = folder({ '000001_init.up.sql': 'SELECT 1;', '000001_init.down.sql': 'SELECT 1;' });
    expect(create(seq, 'next').files).toEqual(['000002_next.up.sql', '000002_next.down.sql']);
  });

  it("dbmate: one timestamped file with dbmate's -- migrate:up / -- migrate:down template", () => {
    const dir = folder({
      '20240101000000_init.sql': '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n',
    });
    const { shape, files } = create(dir, 'add_b');
    expect(shape.layout).toBe('dbmate');
    expect(files).toEqual(['20250307090530_add_b.sql']);
    expect(readFileSync(join(dir, files[0]!), 'utf8')).toBe('-- migrate:up\n\n\n-- migrate:down\n\n');
    // Filled in, its down section is the down script the engine reads.
    writeFileSync(join(dir, files[0]!), '-- migrate:up\nCREATE TABLE b (id int);\n-- migrate:down\nDROP TABLE b;\n');
    const m = readMigrations(dir).at(-1)!;
    expect(m.sql).toBe('-- migrate:up\nCREATE TABLE b (id int);\n');
    expect(readDownScript(m.down!).trim()).toBe('DROP TABLE b;');
  });

  it('goose: -- +goose Up / -- +goose Down sections, by sequence (00005) or timestamp as the folder has it', () => {
    // goose's SQL annotations: https://pressly.github.io/goose/blog/2022/overview-sql-file ("goose -s create" numbers 00001).
    const dir = folder({ '00004_init.sql': '-- +goose Up\nCREATE TABLE a (id int);\n-- +goose Down\nDROP TABLE a;\n' });
    const { shape, files } = create(dir, 'add b');
    expect(shape).toMatchObject({ layout: 'goose', numbering: { kind: 'sequence', width: 5 } });
    expect(files).toEqual(['00005_add_b.sql']);
    expect(readFileSync(join(dir, files[0]!), 'utf8')).toBe('-- +goose Up\n\n\n-- +goose Down\n\n');
    const stamped = folder({ '20230201093158_a.sql': '-- +goose Up\nSELECT 1;\n' });
    expect(create(stamped, 'b').files).toEqual(['20250307090530_b.sql']);
  });

  it('sqlx: timestamped files without down scripts stay simple migrations', () => {
    const dir = folder({ '20240101000000_init.sql': 'CREATE TABLE a (id int);' });
    const { shape, files } = create(dir, 'add_b');
    expect(shape.layout).toBe('sqlx');
    expect(files).toEqual(['20250307090530_add_b.sql']);
  });

  it('writes a goose file that the engine then reads as goose: its Down section is the down script, never run by migrate', () => {
    const dir = folder({ '00001_a.sql': '-- +goose Up\nCREATE TABLE a (id int);\n-- +goose Down\nDROP TABLE a;\n' });
    const { files } = create(dir, 'b');
    const path = join(dir, files[0]!);
    writeFileSync(
      path,
      readFileSync(path, 'utf8')
        .replace(/(-- \+goose Up\n)/, '$1CREATE TABLE b (id int);\n')
        .replace(/(-- \+goose Down\n)/, '$1DROP TABLE b;\n'),
    );
    const b = readMigrations(dir).find((m) => m.file.endsWith(files[0]!))!;
    expect(b.sql).toContain('CREATE TABLE b');
    expect(b.sql).not.toContain('DROP TABLE b');
    expect(b.down).toBeDefined();
    expect(readDownScript(b.down!)).toContain('DROP TABLE b');
  });

  it("refuses a folder whose tool keeps more than files (Prisma, diesel, drizzle's journal), naming that tool's own command", () => {
    const dir = folder({});
    mkdirSync(join(dir, '20240101000000_init'));
    writeFileSync(join(dir, '20240101000000_init', 'migration.sql'), 'CREATE TABLE p (id int);');
    writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
    const e = thrown(() => detectLayout(dir));
    expect(e.message).toMatch(/holds prisma migrations, which schemagate reads but does not create$/);
    expect(e.hint).toContain('prisma migrate dev --create-only --name NAME');
    expect(e.exitCode).toBe(2);
  });

  it('a timestamp never goes backwards: a clock behind the newest migration gives newest + 1', () => {
    const dir = folder({ '20991231235959_future.sql': 'SELECT 1;' });
    expect(create(dir, 'x').files).toEqual(['20991231235960_x.sql']);
  });

  it('an empty folder gets each tool’s own first number', () => {
    const first = (layout: Parameters<typeof defaultShape>[0], numbering?: 'sequence' | 'timestamp') =>
      newMigrationFiles(defaultShape(layout, numbering), 'init', nextVersion(defaultShape(layout, numbering), NOW))[0]!
        .name;
    expect(first('schemagate')).toBe('001_init.sql');
    expect(first('flyway')).toBe('V1__init.sql');
    expect(first('golang-migrate')).toBe('20250307090530_init.up.sql');
    expect(first('golang-migrate', 'sequence')).toBe('000001_init.up.sql');
    expect(first('goose', 'sequence')).toBe('00001_init.sql');
    expect(first('dbmate')).toBe('20250307090530_init.sql');
    expect(first('schemagate', 'timestamp')).toBe('20250307090530_init.sql');
    expect(detectLayout(join(tmpdir(), 'schemagate-no-such-folder'))).toBeUndefined();
  });

  it('creates a missing folder, and never overwrites a file', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'schemagate-new-')), 'db', 'migrations');
    writeNewMigration(dir, [{ name: '001_a.sql', text: '-- a\n' }]);
    expect(readdirSync(dir)).toEqual(['001_a.sql']);
    const e = thrown(() => writeNewMigration(dir, [{ name: '001_a.sql', text: 'other' }]));
    expect([e.exitCode, e.message]).toEqual([4, `${join(dir, '001_a.sql')} already exists`]);
    expect(readFileSync(join(dir, '001_a.sql'), 'utf8')).toBe('-- a\n');
  });

  it('turns a name into a file name part', () => {
    expect(slug('  add user notes! ')).toBe('add_user_notes');
    expect(slug('Add-Index_v2')).toBe('Add_Index_v2');
    expect(slug('!!!')).toBe('');
  });
});
