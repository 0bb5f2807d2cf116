import { describe, expect, it } from 'vitest';
import { splitStatements } from '../../src/engine/sql/splitter.js';
import { thrown } from '../support/thrown.js';

describe('COPY ... FROM STDIN in the splitter', () => {
  it('keeps the data lines after the statement as its data, up to the \\. line, and goes on after it', () => {
    const sql = "CREATE TABLE t (a int, b text);\nCOPY t (a, b) FROM stdin;\n1\tx;y\n2\t'q\n\\.\nSELECT 1;\n";
    const st = splitStatements(sql);
    expect(st.map((s) => s.text)).toEqual(['CREATE TABLE t (a int, b text)', 'COPY t (a, b) FROM stdin', 'SELECT 1']);
    expect(st[1]!.copy).toEqual({ text: "1\tx;y\n2\t'q\n", start: 58, line: 3, end: 71 });
    expect(sql.slice(st[1]!.copy!.start, st[1]!.copy!.end)).toBe("1\tx;y\n2\t'q\n\\.");
    expect(st[2]!.line).toBe(6);
    expect(st[0]!.copy).toBeUndefined();
  });

  it('reads FROM STDIN in any case, with options, and not COPY ... FROM a file or TO STDOUT', () => {
    const sql = "copy t from STDIN with (format csv);\na,b\n\\.\nCOPY t FROM '/tmp/x';\nCOPY (SELECT 1) TO STDOUT;\n";
    const st = splitStatements(sql);
    expect(st.map((s) => s.copy?.text)).toEqual(['a,b\n', undefined, undefined]);
  });

  it('takes an empty data block, and a CRLF end line', () => {
    const st = splitStatements('COPY t FROM stdin;\r\n\\.\r\nSELECT 2;');
    expect(st.map((s) => [s.text, s.copy?.text])).toEqual([
      ['COPY t FROM stdin', ''],
      ['SELECT 2', undefined],
    ]);
  });

  it('refuses data without its \\. end line, pointing at the COPY', () => {
    const e = thrown(() => splitStatements('SELECT 1;\nCOPY t FROM stdin;\n1\n2\n'));
    expect(e.message).toBe('unterminated COPY ... FROM STDIN data starting at line 2, column 1');
    expect(e.hint).toBe(
      'The data lines of COPY ... FROM STDIN follow the statement and end with a line holding only \\. (as psql reads them).',
    );
  });
});
