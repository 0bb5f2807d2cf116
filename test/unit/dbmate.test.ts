import { describe, expect, it } from 'vitest';
import { readDownScript, readMigrations, splitDbmate } from '../../src/engine/files.js';
import { parseDirectives } from '../../src/engine/sql/directives.js';
import { migrationsDir } from '../support/engine.js';
import { join } from 'node:path';

const FILE = `-- migrate:up
CREATE TABLE a (id int);
CREATE INDEX a_id ON a (id);

-- migrate:down
DROP INDEX a_id;
DROP TABLE a;
`;

describe('dbmate files (up and down in one file)', () => {
  it("run only the part before -- migrate:down, with the file's own line numbers", () => {
    const { up, markerLine } = splitDbmate(FILE);
    expect(up).toBe('-- migrate:up\nCREATE TABLE a (id int);\nCREATE INDEX a_id ON a (id);\n\n');
    expect(markerLine).toBe(4);
  });

  it('are read as a migration whose down script is its -- migrate:down section, lines kept', () => {
    const dir = migrationsDir({ '20240101120000_a.sql': FILE });
    const [m] = readMigrations(join(dir, 'migrations'));
    expect(m!.version.text).toBe('20240101120000');
    expect(m!.sql).not.toContain('DROP TABLE');
    const down = readDownScript(m!.down!);
    expect(down.split('\n')[5]).toBe('DROP INDEX a_id;');
    expect(down).not.toContain('CREATE TABLE');
  });

  it('leave a file without the markers alone, even one that mentions migrate:down later', () => {
    expect(splitDbmate('CREATE TABLE b (id int);\n-- migrate:down\n')).toEqual({
      up: 'CREATE TABLE b (id int);\n-- migrate:down\n',
      markerLine: undefined,
    });
  });

  it('take -- migrate:up transaction:false as a no-transaction migration', () => {
    expect(
      parseDirectives('-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY x ON a (id);\n').directives
        .noTransaction,
    ).toBe(true);
    expect(parseDirectives('-- migrate:up\nCREATE TABLE x (id int);\n').directives.noTransaction).toBe(false);
  });

  it('refuse a down section together with a separate down script', () => {
    const dir = migrationsDir({ '1_a.sql': FILE, '1_a.down.sql': 'DROP TABLE a;' });
    expect(() => readMigrations(join(dir, 'migrations'))).toThrow(
      /1_a\.sql: has a -- migrate:down section and a down script .*1_a\.down\.sql: keep one/,
    );
  });
});
