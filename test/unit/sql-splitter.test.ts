import { describe, expect, it } from 'vitest';
import { SplitError, splitStatements, type Statement } from '../../src/engine/sql/splitter.js';

const texts = (sql: string): string[] => splitStatements(sql).map((s) => s.text);

/** Every statement's text must be exactly the source between start and end. */
function expectConsistent(sql: string, statements: readonly Statement[]): void {
  for (const s of statements) expect(sql.slice(s.start, s.end)).toBe(s.text);
}

describe('splitStatements', () => {
  it('splits on semicolons and keeps a last statement that has none', () => {
    const sql = 'CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\nSELECT 1';
    expect(texts(sql)).toEqual(['CREATE TABLE a (id int)', 'INSERT INTO a VALUES (1)', 'SELECT 1']);
  });

  it('reports offsets, 1-based lines and columns of each statement', () => {
    const sql = 'SELECT 1;\n  SELECT 2; SELECT 3;';
    const statements = splitStatements(sql);
    expect(statements).toEqual([
      { text: 'SELECT 1', start: 0, end: 8, line: 1, column: 1 },
      { text: 'SELECT 2', start: 12, end: 20, line: 2, column: 3 },
      { text: 'SELECT 3', start: 22, end: 30, line: 2, column: 13 },
    ]);
  });

  it('drops empty statements made of semicolons, whitespace and comments', () => {
    expect(texts(';;  ; -- nothing\n; /* still nothing */ ;SELECT 1;;')).toEqual(['SELECT 1']);
    expect(splitStatements('')).toEqual([]);
    expect(splitStatements('  \n-- only a comment\n/* and another */\n')).toEqual([]);
  });

  it('starts a statement at its first token, after leading comments', () => {
    const sql = '-- create the table\n/* really */ CREATE TABLE t (id int);';
    const [s] = splitStatements(sql);
    expect(s).toMatchObject({ text: 'CREATE TABLE t (id int)', line: 2, column: 14 });
    expect(sql.slice(s!.start, s!.end)).toBe(s!.text);
  });

  it('keeps comments between tokens but leaves out trailing whitespace and comments', () => {
    expect(texts('SELECT 1 -- one\n  + 2 /* two */ ;\nSELECT 3 -- the end\n')).toEqual([
      'SELECT 1 -- one\n  + 2',
      'SELECT 3',
    ]);
  });

  it('ignores semicolons and comment markers inside single-quoted strings', () => {
    expect(texts("INSERT INTO t VALUES ('a;b', '-- not a comment', '/* nor this');SELECT 2")).toEqual([
      "INSERT INTO t VALUES ('a;b', '-- not a comment', '/* nor this')",
      'SELECT 2',
    ]);
  });

  it("treats '' as an escaped quote and a backslash as an ordinary character in standard strings", () => {
    expect(texts("SELECT 'it''s; fine';SELECT 'C:\\';SELECT 3")).toEqual([
      "SELECT 'it''s; fine'",
      "SELECT 'C:\\'",
      'SELECT 3',
    ]);
  });

  it("understands backslash escapes in E'...' strings, upper or lower case", () => {
    expect(texts("SELECT E'it\\'s; \\\\';SELECT e'\\'';SELECT 3")).toEqual([
      "SELECT E'it\\'s; \\\\'",
      "SELECT e'\\''",
      'SELECT 3',
    ]);
  });

  it("does not treat an identifier ending in e before a string as an E'' prefix", () => {
    // `somee'\'` is the identifier somee then the standard string '\'.
    expect(texts("SELECT somee'\\';SELECT 2")).toEqual(["SELECT somee'\\'", 'SELECT 2']);
  });

  it("reads U&'...', N'...', B'...' and X'...' literals and U&\"...\" identifiers", () => {
    expect(texts(`SELECT U&'d\\0061t;a', N'n;', B'101', X'1F', U&"a;b";SELECT 2`)).toEqual([
      `SELECT U&'d\\0061t;a', N'n;', B'101', X'1F', U&"a;b"`,
      'SELECT 2',
    ]);
  });

  it('ignores semicolons in double-quoted identifiers with "" escapes', () => {
    expect(texts('CREATE TABLE "we""ird;name" ("x;" int);SELECT 2')).toEqual([
      'CREATE TABLE "we""ird;name" ("x;" int)',
      'SELECT 2',
    ]);
  });

  it('does not split inside dollar-quoted strings, with or without a tag', () => {
    const sql = `DO $$ BEGIN RAISE NOTICE 'x;y'; END $$;
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;`;
    expect(texts(sql)).toEqual([
      "DO $$ BEGIN RAISE NOTICE 'x;y'; END $$",
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$',
    ]);
  });

  it('keeps a PL/pgSQL function with a $$ string nested in a $outer$ body as one statement', () => {
    const sql = `CREATE OR REPLACE FUNCTION audit() RETURNS trigger
LANGUAGE plpgsql AS $outer$
DECLARE
  q text := 'it''s -- not a comment; really';
BEGIN
  EXECUTE $$INSERT INTO log VALUES ('a;b')$$;
  /* a comment with a ' quote; */
  -- and one with a $$ dollar
  RETURN NEW;
END;
$outer$;
CREATE TRIGGER t AFTER INSERT ON x FOR EACH ROW EXECUTE FUNCTION audit();`;
    const statements = splitStatements(sql);
    expect(statements).toHaveLength(2);
    expect(statements[0]!.text.endsWith('$outer$')).toBe(true);
    expect(statements[1]).toMatchObject({ line: 12, column: 1 });
    expectConsistent(sql, statements);
  });

  it('ends a dollar quote only at its own tag', () => {
    expect(texts('SELECT $a$ $b$ ; $b$ $ab$ ; $a$;SELECT 2')).toEqual(['SELECT $a$ $b$ ; $b$ $ab$ ; $a$', 'SELECT 2']);
  });

  it('does not take a $1 parameter or a $ inside an identifier for a dollar quote', () => {
    expect(texts('PREPARE p AS SELECT $1;EXECUTE p(1);SELECT a$b$c FROM t;SELECT 4')).toEqual([
      'PREPARE p AS SELECT $1',
      'EXECUTE p(1)',
      'SELECT a$b$c FROM t',
      'SELECT 4',
    ]);
  });

  it('starts a dollar quote right after a number, which cannot contain $', () => {
    expect(texts('SELECT 1$$;$$;SELECT 2')).toEqual(['SELECT 1$$;$$', 'SELECT 2']);
  });

  it('allows non-ASCII letters in dollar-quote tags', () => {
    expect(texts('SELECT $é$ ; $é$;SELECT 2')).toEqual(['SELECT $é$ ; $é$', 'SELECT 2']);
  });

  it('ignores semicolons and quotes in line comments and nested block comments', () => {
    const sql = "SELECT 1 /* outer /* inner; ' */ still; comment */ + 1; -- don't; split\nSELECT 2";
    expect(texts(sql)).toEqual(["SELECT 1 /* outer /* inner; ' */ still; comment */ + 1", 'SELECT 2']);
  });

  it('ends a line comment at a carriage return as PostgreSQL does', () => {
    expect(texts('SELECT 1 -- c\r+ 1;SELECT 2')).toEqual(['SELECT 1 -- c\r+ 1', 'SELECT 2']);
  });

  it('does not split on semicolons inside parentheses, so CREATE RULE with several actions stays whole', () => {
    const sql =
      'CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));\nSELECT 1;';
    expect(texts(sql)).toEqual([
      'CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))',
      'SELECT 1',
    ]);
  });

  it('does not let a stray closing parenthesis stop later semicolons from splitting', () => {
    expect(texts('SELECT 1);SELECT (2);SELECT 3')).toEqual(['SELECT 1)', 'SELECT (2)', 'SELECT 3']);
  });

  it('keeps a BEGIN ATOMIC ... END function body as one statement', () => {
    const sql = `CREATE FUNCTION add_one(i int) RETURNS int
LANGUAGE sql
BEGIN ATOMIC
  INSERT INTO calls VALUES (i);
  SELECT i + 1;
END;
SELECT add_one(1);`;
    const statements = splitStatements(sql);
    expect(statements.map((s) => s.text)).toEqual([sql.slice(0, sql.indexOf('END;') + 3), 'SELECT add_one(1)']);
    expect(statements[1]).toMatchObject({ line: 7, column: 1 });
  });

  it('counts CASE ... END inside a BEGIN ATOMIC body', () => {
    const sql = `CREATE OR REPLACE PROCEDURE p(x int)
BEGIN ATOMIC
  INSERT INTO t SELECT CASE WHEN x > 0 THEN 'pos;' ELSE CASE x WHEN 0 THEN 'zero' END END;
  UPDATE t SET n = (CASE WHEN n IS NULL THEN 0 ELSE n END);
END;
SELECT 2;`;
    expect(texts(sql)).toHaveLength(2);
    expect(texts(sql)[1]).toBe('SELECT 2');
  });

  it('does not count END used as a column name or label inside a BEGIN ATOMIC body', () => {
    const sql = `CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT r.end, 1 AS end FROM r; END;SELECT 2`;
    expect(texts(sql)).toEqual([
      'CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT r.end, 1 AS end FROM r; END',
      'SELECT 2',
    ]);
  });

  it('treats BEGIN, END and CASE outside routine bodies as ordinary words', () => {
    expect(texts('BEGIN;SELECT CASE WHEN true THEN 1 END;COMMIT;END')).toEqual([
      'BEGIN',
      'SELECT CASE WHEN true THEN 1 END',
      'COMMIT',
      'END',
    ]);
  });

  it('does not look for BEGIN ATOMIC in statements other than CREATE FUNCTION and CREATE PROCEDURE', () => {
    expect(texts('SELECT begin atomic FROM t;SELECT 2')).toEqual(['SELECT begin atomic FROM t', 'SELECT 2']);
  });

  it('handles CRLF line endings, counting the line break once', () => {
    const sql = 'SELECT 1;\r\n-- comment\r\nSELECT 2;\r\n';
    expect(splitStatements(sql)).toEqual([
      { text: 'SELECT 1', start: 0, end: 8, line: 1, column: 1 },
      { text: 'SELECT 2', start: 23, end: 31, line: 3, column: 1 },
    ]);
  });

  it('counts columns in code points, so an emoji before a statement is one column', () => {
    const [, second] = splitStatements("SELECT '😀'; SELECT 2");
    expect(second).toMatchObject({ text: 'SELECT 2', start: 13, line: 1, column: 13 });
  });

  it('skips a byte-order mark at the start of the text', () => {
    expect(splitStatements('\uFEFFSELECT 1')).toEqual([{ text: 'SELECT 1', start: 1, end: 9, line: 1, column: 2 }]);
  });

  describe('unterminated constructs', () => {
    const error = (sql: string): SplitError => {
      try {
        splitStatements(sql);
      } catch (e) {
        if (e instanceof SplitError) return e;
        throw e;
      }
      throw new Error('expected a SplitError');
    };

    it('names an unterminated dollar quote with its tag and position', () => {
      const e = error('SELECT 1;\n\nCREATE FUNCTION f() RETURNS int AS $fn$\n  SELECT 1;\n$fm$;');
      expect(e.message).toBe('unterminated dollar-quoted string $fn$ starting at line 3, column 36');
      expect(e).toMatchObject({ offset: 46, line: 3, column: 36 });
    });

    it('explains that AS$$ is read as one identifier', () => {
      // PostgreSQL reads `AS$$` as an identifier, so the closing $$ opens a quote that never ends.
      const e = error('CREATE FUNCTION f() RETURNS int LANGUAGE sql AS$$ SELECT 1 $$;');
      expect(e.message).toBe('unterminated dollar-quoted string $$ starting at line 1, column 60');
      expect(e.hint).toContain('"AS $$"');
    });

    it('reports unterminated strings, identifiers and comments', () => {
      expect(error("SELECT 'abc").message).toBe('unterminated quoted string starting at line 1, column 8');
      expect(error("SELECT E'abc\\'").message).toBe('unterminated quoted string starting at line 1, column 8');
      expect(error('SELECT "abc').message).toBe('unterminated quoted identifier starting at line 1, column 8');
      expect(error('SELECT 1 /* a /* b */').message).toBe('unterminated /* comment starting at line 1, column 10');
    });

    it('reports a BEGIN ATOMIC body without its END', () => {
      const e = error('CREATE FUNCTION f() RETURNS int\nBEGIN ATOMIC\n  SELECT CASE WHEN true THEN 1 END;\n');
      expect(e.message).toBe('unterminated BEGIN ATOMIC body starting at line 2, column 1');
    });

    it('is an error with the validation exit code', () => {
      expect(error("'").exitCode).toBe(4);
    });
  });

  it('splits a 5 MB file of mixed statements correctly', () => {
    const chunk = (i: number): string =>
      `-- migration step ${i}\nINSERT INTO t VALUES (${i}, 'a;b''c', E'\\';', $$x;y$$, "q;""");\n` +
      `CREATE FUNCTION f${i}() RETURNS int LANGUAGE plpgsql AS $f$ BEGIN RETURN ${i}; END $f$;\n` +
      `/* block ; /* nested */ */ SELECT ${i} -- tail\n;\n`;
    const parts: string[] = [];
    let size = 0;
    let n = 0;
    while (size < 5_000_000) {
      const c = chunk(n++);
      parts.push(c);
      size += c.length;
    }
    const sql = parts.join('');
    const statements = splitStatements(sql);
    expect(statements).toHaveLength(n * 3);
    expectConsistent(sql, statements);
    const last = statements[statements.length - 1]!;
    expect(last.text).toBe(`SELECT ${n - 1}`);
    expect(last.line).toBe(sql.slice(0, last.start).split('\n').length);
    expect(statements[3]!.text).toBe(`INSERT INTO t VALUES (1, 'a;b''c', E'\\';', $$x;y$$, "q;""")`);
  });

  it('handles a 5 MB statement on a single line', () => {
    const sql = `INSERT INTO t VALUES ${Array.from({ length: 400_000 }, (_, i) => `(${i})`).join(',')};SELECT 'end'`;
    expect(sql.length).toBeGreaterThan(3_000_000);
    const statements = splitStatements(sql);
    expect(statements).toHaveLength(2);
    expect(statements[1]).toMatchObject({ text: "SELECT 'end'", line: 1, column: sql.length - 11 });
  });
});
