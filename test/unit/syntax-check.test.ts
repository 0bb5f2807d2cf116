import { describe, expect, it } from 'vitest';
import { checkSyntax, SyntaxCheckError } from '../../src/engine/syntax-check.js';

describe("checkSyntax: every statement through PostgreSQL's parser", () => {
  it('accepts what PostgreSQL parses, including dollar quotes, BEGIN ATOMIC and directives', async () => {
    const sql = [
      '-- schemagate:lock-timeout 10s',
      'CREATE TABLE t (id int PRIMARY KEY, note text);',
      'CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;',
      'CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;',
      'CREATE INDEX CONCURRENTLY t_note ON t (note)',
    ].join('\n');
    expect(await checkSyntax([{ file: 'migrations/001_t.sql', sql }])).toEqual([]);
  });

  it("reports each statement the parser rejects at file:line:column, with the parser's message and a caret", async () => {
    const sql = "CREATE TABLE a (id int);\n\n  CREATE TABLEE b (id int);\nSELECT '😀', 'é' FROMM t;\n";
    const problems = await checkSyntax([{ file: 'migrations/002_b.sql', sql }]);
    expect(problems.map(({ frame: _f, ...p }) => p)).toEqual([
      { file: 'migrations/002_b.sql', line: 3, column: 10, message: 'syntax error at or near "TABLEE"' },
      // Columns count characters: the emoji is one.
      { file: 'migrations/002_b.sql', line: 4, column: 23, message: 'syntax error at or near "t"' },
    ]);
    expect(problems[0]!.frame).toBe(
      [
        '   1 | CREATE TABLE a (id int);',
        '   2 |',
        ' > 3 |   CREATE TABLEE b (id int);',
        '     |          ^',
        "   4 | SELECT '😀', 'é' FROMM t;",
        '   5 |',
      ].join('\n'),
    );
  });

  it('names the end of the text when a statement stops short', async () => {
    const [p] = await checkSyntax([{ file: 'seeds/001.sql', sql: 'INSERT INTO t VALUES (1,\n' }]);
    expect(p).toMatchObject({ file: 'seeds/001.sql', line: 1, column: 25, message: 'syntax error at end of input' });
  });

  it('keeps the line numbers of a dbmate down section, whose up part is blanked', async () => {
    const down = '\n\n\nDROP TABLEE x;\n';
    const [p] = await checkSyntax([{ file: 'migrations/20240101000000_x.sql', sql: down }]);
    expect(p).toMatchObject({ line: 4, column: 6 });
  });

  it('leaves an unterminated quote to the splitter, which names it itself', async () => {
    expect(await checkSyntax([{ file: 'm.sql', sql: "SELECT 'open;\n" }])).toEqual([]);
  });

  it('a SyntaxCheckError lists every problem, exits 4, and its JSON names file, line and column', async () => {
    const problems = await checkSyntax([
      { file: 'a.sql', sql: 'CREATE TABLEE x();' },
      { file: 'b.sql', sql: 'SELEC 1;' },
    ]);
    const e = new SyntaxCheckError(problems);
    expect(e.exitCode).toBe(4);
    expect(e.message.split('\n')[0]).toBe('2 statements do not parse:');
    expect(e.message).toContain('a.sql:1:8: syntax error at or near "TABLEE"');
    expect(e.message).toContain('b.sql:1:1: syntax error at or near "SELEC"');
    expect(e.toJSON()).toMatchObject({
      error: 'syntax',
      exitCode: 4,
      problems: [
        { file: 'a.sql', line: 1, column: 8, message: 'syntax error at or near "TABLEE"' },
        { file: 'b.sql', line: 1, column: 1, message: 'syntax error at or near "SELEC"' },
      ],
    });
  });
});
