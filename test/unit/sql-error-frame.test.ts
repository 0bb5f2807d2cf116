import { describe, expect, it } from 'vitest';
import { codeFrame, formatSqlError, locatePosition } from '../../src/engine/sql/error-frame.js';
import { splitStatements } from '../../src/engine/sql/splitter.js';

const numbered = (lines: readonly string[]): string => lines.join('\n');

describe('locatePosition', () => {
  it('adds the offset of the sent text in the file to PostgreSQL position', () => {
    const source = 'SELECT 1;\nSELECT oops FROM t;';
    const sentOffset = source.indexOf('SELECT oops');
    const sent = 'SELECT oops FROM t';
    expect(locatePosition(source, sentOffset, sent, 8)).toEqual({ line: 2, column: 8, offset: sentOffset + 7 });
  });

  it('counts PostgreSQL positions in characters, so an emoji before the error is one step, not two', () => {
    const source = "-- header\nINSERT INTO t VALUES ('😀 ünï', bogus);";
    const sentOffset = 10;
    const sent = source.slice(sentOffset);
    // Characters: INSERT INTO t VALUES (' is 23, then 😀 ünï', is 7 more, then a space: bogus is character 32.
    const located = locatePosition(source, sentOffset, sent, 32);
    expect(source.slice(located.offset, located.offset + 5)).toBe('bogus');
    expect(located).toMatchObject({ line: 2, column: 32 });
  });

  it('points just past the sent text for an error at end of input', () => {
    const source = 'SELECT (1';
    expect(locatePosition(source, 0, source, 10)).toEqual({ line: 1, column: 10, offset: 9 });
    expect(locatePosition(source, 0, source, 99)).toEqual({ line: 1, column: 10, offset: 9 });
  });

  it('treats a missing or nonsensical position as the start of the sent text', () => {
    expect(locatePosition('SELECT 1', 0, 'SELECT 1', 0)).toEqual({ line: 1, column: 1, offset: 0 });
    expect(locatePosition('SELECT 1', 0, 'SELECT 1', Number.NaN)).toEqual({ line: 1, column: 1, offset: 0 });
  });
});

describe('codeFrame', () => {
  const source = numbered(['one', 'two', 'three', 'four', 'five', 'six', 'seven']);

  it('shows two lines either side, marks the line and puts a caret under the column', () => {
    expect(codeFrame(source, 4, 3)).toBe(
      numbered(['   2 | two', '   3 | three', ' > 4 | four', '     |   ^', '   5 | five', '   6 | six']),
    );
  });

  it('stops at the start and end of the file and honours above/below', () => {
    expect(codeFrame(source, 1, 1, { above: 3, below: 1 })).toBe(numbered([' > 1 | one', '     | ^', '   2 | two']));
    expect(codeFrame(source, 7, 6, { above: 0, below: 5 })).toBe(numbered([' > 7 | seven', '     |      ^']));
  });

  it('pads the gutter to the widest line number shown', () => {
    const long = numbered(Array.from({ length: 12 }, (_, i) => `l${i + 1}`));
    expect(codeFrame(long, 9, 2)).toBe(
      numbered(['    7 | l7', '    8 | l8', ' >  9 | l9', '      |  ^', '   10 | l10', '   11 | l11']),
    );
  });

  it('keeps the caret under its character after tabs and wide characters', () => {
    expect(codeFrame('\tSELECT\t1', 1, 9)).toBe(numbered([' > 1 | \tSELECT\t1', '     | \t      \t^']));
    expect(codeFrame("SELECT '日本', x", 1, 14)).toBe(
      numbered([" > 1 | SELECT '日本', x", `     | ${' '.repeat(15)}^`]),
    );
  });

  it('drops the carriage return of CRLF lines', () => {
    expect(codeFrame('SELECT 1;\r\nSELECT x;\r\n', 2, 8, { below: 0 })).toBe(
      numbered(['   1 | SELECT 1;', ' > 2 | SELECT x;', '     |        ^']),
    );
  });

  it('cuts lines longer than 160 characters to a window around the caret', () => {
    const line = `${'a'.repeat(300)}X${'b'.repeat(300)}`;
    const frame = codeFrame(line, 1, 301);
    const [text, caret] = frame.split('\n');
    expect(text).toBe(` > 1 | …${'a'.repeat(80)}X${'b'.repeat(79)}…`);
    expect(caret!.indexOf('^')).toBe(text!.indexOf('X'));
  });

  it('cuts a long line near its start without a leading ellipsis', () => {
    const [text, caret] = codeFrame('x'.repeat(200), 1, 3).split('\n');
    expect(text).toBe(` > 1 | ${'x'.repeat(160)}…`);
    expect(caret).toBe('     |   ^');
  });
});

describe('formatSqlError', () => {
  const lines = [
    '-- 003: add the b table',
    ...Array.from({ length: 13 }, (_, i) => `-- filler ${i + 2}`),
    'CREATE TABLE a (id int);',
    '',
    'CREATE TABLEE b (',
    '  id int',
    ');',
    '',
  ];
  const source = lines.join('\n');

  it('names file, line and column, shows a code frame and PostgreSQL fields in a fixed format', () => {
    const sentOffset = source.indexOf('CREATE TABLEE');
    const sent = 'CREATE TABLEE b (\n  id int\n)';
    const result = formatSqlError({
      file: 'migrations/003_add_index.sql',
      source,
      sentOffset,
      sent,
      error: {
        message: 'syntax error at or near "TABLEE"',
        code: '42601',
        severity: 'ERROR',
        position: '8',
        detail: 'Some detail.',
        hint: 'Some hint.',
        where: 'first context\nsecond context',
      },
      statementIndex: 1,
    });
    expect(result.message).toBe(
      numbered([
        'migrations/003_add_index.sql:17:8: syntax error at or near "TABLEE" (SQLSTATE 42601)',
        '   15 | CREATE TABLE a (id int);',
        '   16 |',
        ' > 17 | CREATE TABLEE b (',
        '      |        ^',
        '   18 |   id int',
        '   19 | );',
        '  detail: Some detail.',
        '  hint: Some hint.',
        '  where: first context',
        '         second context',
      ]),
    );
    expect(result).toMatchObject({ line: 17, column: 8 });
    expect(result.message).toContain(result.frame);
  });

  it('points at the start of the statement, past leading comments, when PostgreSQL gives no position', () => {
    const source2 = 'CREATE TABLE a (id int PRIMARY KEY);\n-- copy the rows\n  INSERT INTO a VALUES (1), (1);\n';
    const sentOffset = source2.indexOf('-- copy');
    const result = formatSqlError({
      file: 'm.sql',
      source: source2,
      sentOffset,
      sent: source2.slice(sentOffset, source2.lastIndexOf(';')),
      error: {
        message: 'duplicate key value violates unique constraint "a_pkey"',
        code: '23505',
        detail: 'Key (id)=(1) already exists.',
        schema: 'public',
        table: 'a',
        constraint: 'a_pkey',
      },
    });
    expect(result.message).toBe(
      numbered([
        'm.sql:3:3: duplicate key value violates unique constraint "a_pkey" (SQLSTATE 23505)',
        '   1 | CREATE TABLE a (id int PRIMARY KEY);',
        '   2 | -- copy the rows',
        ' > 3 |   INSERT INTO a VALUES (1), (1);',
        '     |   ^',
        '   4 |',
        '  detail: Key (id)=(1) already exists.',
        '  constraint: a_pkey',
        '  table: public.a',
      ]),
    );
  });

  it('locates an error inside a DO block from internalPosition within internalQuery, after an emoji', () => {
    const file = [
      '-- 😀 emoji first, to shift UTF-16 offsets',
      'DO $$',
      'BEGIN',
      "  RAISE NOTICE '🎉';",
      '  INSERT INTO missing VALUES (1);',
      'END',
      '$$;',
      '',
    ].join('\n');
    const [statement] = splitStatements(file);
    const result = formatSqlError({
      file: 'migrations/004_do.sql',
      source: file,
      sentOffset: statement!.start,
      sent: statement!.text,
      error: {
        message: 'relation "missing" does not exist',
        code: '42P01',
        internalPosition: '13',
        internalQuery: 'INSERT INTO missing VALUES (1)',
        where: 'PL/pgSQL function inline_code_block line 4 at SQL statement',
      },
    });
    expect(result).toMatchObject({ line: 5, column: 15 });
    expect(result.message).toBe(
      numbered([
        'migrations/004_do.sql:5:15: relation "missing" does not exist (SQLSTATE 42P01)',
        '   3 | BEGIN',
        "   4 |   RAISE NOTICE '🎉';",
        ' > 5 |   INSERT INTO missing VALUES (1);',
        '     |               ^',
        '   6 | END',
        '   7 | $$;',
        '  where: PL/pgSQL function inline_code_block line 4 at SQL statement',
      ]),
    );
  });

  it('counts the position in characters of a statement that contains emoji', () => {
    const file = "SELECT 1;\nSELECT '👩‍👩‍👧' AS family, nope;\n";
    const sentOffset = file.indexOf("SELECT '");
    const sent = file.slice(sentOffset, file.lastIndexOf(';'));
    // 👩‍👩‍👧 is 5 code points (3 emoji, 2 joiners) but 8 UTF-16 units.
    const position = Array.from(sent.slice(0, sent.indexOf('nope'))).length + 1;
    const result = formatSqlError({
      file: 'f.sql',
      source: file,
      sentOffset,
      sent,
      error: { message: 'column "nope" does not exist', code: '42703', position: String(position) },
    });
    expect(result).toMatchObject({ line: 2, column: position });
    expect(file.split('\n')[1]!.slice(sent.indexOf('nope'))).toMatch(/^nope/);
  });

  it('falls back to position and shows the internal query when it is not in the sent text', () => {
    const file = 'SELECT run_report();\n';
    const result = formatSqlError({
      file: 'f.sql',
      source: file,
      sentOffset: 0,
      sent: 'SELECT run_report()',
      error: {
        message: 'division by zero',
        code: '22012',
        internalPosition: '8',
        internalQuery: 'SELECT 1/0',
        where: 'SQL function "run_report" statement 1',
      },
    });
    expect(result.message).toBe(
      numbered([
        'f.sql:1:1: division by zero (SQLSTATE 22012)',
        ' > 1 | SELECT run_report();',
        '     | ^',
        '   2 |',
        '  where: SQL function "run_report" statement 1',
        '  internal query: SELECT 1/0',
      ]),
    );
  });

  it('shows a severity other than ERROR and leaves out SQLSTATE when there is no code', () => {
    const result = formatSqlError({
      file: 'f.sql',
      source: 'SELECT 1',
      sentOffset: 0,
      sent: 'SELECT 1',
      error: { message: 'terminating connection', severity: 'FATAL' },
    });
    expect(result.message.split('\n')[0]).toBe('f.sql:1:1: FATAL: terminating connection');
  });

  it('lists column and a schema without a table', () => {
    const result = formatSqlError({
      file: 'f.sql',
      source: 'SELECT 1',
      sentOffset: 0,
      sent: 'SELECT 1',
      error: { message: 'm', schema: 's', column: 'c' },
    });
    expect(result.message.split('\n').slice(-2)).toEqual(['  schema: s', '  column: c']);
  });
});
