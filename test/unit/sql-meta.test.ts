import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/engine/analyze.js';
import { indexStatement } from '../../src/engine/resume-index.js';
import { describeBlockers } from '../../src/engine/blockers.js';
import { thrown } from '../support/thrown.js';

describe('psql meta-commands are refused before anything runs', () => {
  it('names \\connect at its line as a psql command and says what to do instead', () => {
    const e = thrown(() =>
      analyze({
        file: 'm/3_x.sql',
        version: '3',
        sql: 'CREATE TABLE a (id int);\n\\connect other\nCREATE TABLE b (id int);\n',
      }),
    );
    expect(e.exitCode).toBe(4);
    expect(e.message).toBe(
      'm/3_x.sql:2:1: \\connect is a psql meta-command: schemagate sends SQL to the server and does not run psql commands',
    );
    expect(e.hint).toBe(
      'Instead, schemagate migrates the one database of its URL: keep migrations of another database in their own folder. Nothing was run.',
    );
  });

  it('finds \\set, \\i and a \\gset after a query, but not a backslash inside a string, an identifier or a comment', () => {
    const first = (sql: string) => thrown(() => analyze({ file: 'f.sql', version: '1', sql })).message;
    expect(first('\\set n 3\nSELECT :n;\n')).toMatch(/^f\.sql:1:1: \\set is a psql meta-command/);
    expect(first('\\i other.sql\n')).toMatch(/^f\.sql:1:1: \\i is a psql meta-command/);
    expect(first('SELECT 1 AS n \\gset\n')).toMatch(/^f\.sql:1:15: \\gset is a psql meta-command/);
    expect(() =>
      analyze({
        file: 'f.sql',
        version: '1',
        sql: "SELECT E'a\\\\b', '\\x' AS \"\\y\"; -- \\set\n/* \\i x */ SELECT 2;\n",
      }),
    ).not.toThrow();
  });
});

describe('the statements a stopped run may leave half done', () => {
  it('reads the index and table of CREATE INDEX CONCURRENTLY in its forms, and the index of DROP INDEX CONCURRENTLY', () => {
    expect(indexStatement('CREATE INDEX CONCURRENTLY big_b_idx ON big (b)')).toEqual({
      verb: 'create',
      name: 'big_b_idx',
      table: 'big',
    });
    expect(
      indexStatement('create unique index concurrently if not exists "Odd" on only app."T" using btree (x)'),
    ).toEqual({ verb: 'create', name: '"Odd"', table: 'app."T"' });
    expect(indexStatement('DROP INDEX CONCURRENTLY IF EXISTS app.big_b_idx')).toEqual({
      verb: 'drop',
      name: 'app.big_b_idx',
    });
    expect(indexStatement('CREATE INDEX CONCURRENTLY ON big (b)')).toBeUndefined();
    expect(indexStatement('CREATE INDEX big_b_idx ON big (b)')).toBeUndefined();
    expect(indexStatement('DROP INDEX CONCURRENTLY a, b')).toBeUndefined();
  });
});

describe('describeBlockers', () => {
  it('explains a query hidden from this role instead of printing <insufficient privilege>', () => {
    expect(
      describeBlockers([
        { pid: 7, applicationName: '', state: null, xactStart: null, query: '<insufficient privilege>' },
      ]),
    ).toBe(
      'pid 7, its state and query are hidden from this role (a session of another role: membership in pg_read_all_stats shows them)',
    );
  });
});
