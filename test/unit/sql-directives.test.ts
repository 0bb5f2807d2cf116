import { describe, expect, it } from 'vitest';
import { parseDirectives } from '../../src/engine/sql/directives.js';

describe('parseDirectives', () => {
  it('defaults to a transactional file with no timeouts', () => {
    expect(parseDirectives('CREATE TABLE t (id int);')).toEqual({ directives: { noTransaction: false }, problems: [] });
  });

  it('reads no-transaction and both timeouts from comments before the first statement', () => {
    const sql = `-- Add the index without locking writes.
-- schemagate:no-transaction
/* a block comment does not end the header */
--schemagate:lock-timeout 10s
-- schemagate:statement-timeout 5m

CREATE INDEX CONCURRENTLY i ON t (x);`;
    expect(parseDirectives(sql)).toEqual({
      directives: { noTransaction: true, lockTimeoutMs: 10_000, statementTimeoutMs: 300_000 },
      problems: [],
    });
  });

  it('reads 0 as a disabled timeout and a plain integer as milliseconds', () => {
    expect(
      parseDirectives('-- schemagate:lock-timeout 0\n-- schemagate:statement-timeout 1500\nSELECT 1').directives,
    ).toEqual({
      noTransaction: false,
      lockTimeoutMs: 0,
      statementTimeoutMs: 1500,
    });
  });

  it("accepts sqlx's -- no-transaction on the first line only", () => {
    expect(parseDirectives('-- no-transaction\nVACUUM t;').directives.noTransaction).toBe(true);
    expect(parseDirectives('-- intro\n-- no-transaction\nVACUUM t;').directives.noTransaction).toBe(false);
  });

  it('suggests the directive meant by a misspelt name', () => {
    expect(parseDirectives('-- schemagate:no-transation\nSELECT 1').problems).toEqual([
      { line: 1, message: 'unknown directive "schemagate:no-transation" (did you mean "schemagate:no-transaction"?)' },
    ]);
  });

  it('lists the known directives when nothing is close', () => {
    expect(parseDirectives('-- schemagate:yolo\n').problems).toEqual([
      {
        line: 1,
        message:
          'unknown directive "schemagate:yolo"; known directives: schemagate:no-transaction, schemagate:lock-timeout, schemagate:statement-timeout',
      },
    ]);
  });

  it('reports a bad or missing duration with its line', () => {
    const { directives, problems } = parseDirectives(
      '-- schemagate:lock-timeout 10x\n-- schemagate:statement-timeout\nSELECT 1',
    );
    expect(directives).toEqual({ noTransaction: false });
    expect(problems).toEqual([
      {
        line: 1,
        message:
          'bad duration "10x" for "schemagate:lock-timeout": expected 500ms, 10s, 5m, 1h, or a number of milliseconds; 0 disables',
      },
      {
        line: 2,
        message:
          'directive "schemagate:statement-timeout" needs a duration (500ms, 10s, 5m, 1h, or a number of milliseconds; 0 disables), e.g. "-- schemagate:statement-timeout 10s"',
      },
    ]);
  });

  it('reports a timeout longer than PostgreSQL allows', () => {
    expect(parseDirectives('-- schemagate:lock-timeout 30d').problems).toEqual([
      {
        line: 1,
        message:
          'duration "30d" for "schemagate:lock-timeout" is longer than PostgreSQL\'s lock_timeout allows (about 24 days)',
      },
    ]);
  });

  it('reports extra text, values given to no-transaction and repeated directives', () => {
    const sql = '-- schemagate:no-transaction please\n-- schemagate:lock-timeout 1s 2s\n-- schemagate:no-transaction\n';
    expect(parseDirectives(sql)).toEqual({
      directives: { noTransaction: true },
      problems: [
        { line: 1, message: 'directive "schemagate:no-transaction" takes no value, found "please"' },
        { line: 2, message: 'directive "schemagate:lock-timeout" takes one duration, found extra text "2s"' },
        { line: 3, message: 'directive "schemagate:no-transaction" is given more than once; keep one' },
      ],
    });
  });

  it('reports a directive placed after the first statement instead of silently ignoring it', () => {
    const { directives, problems } = parseDirectives('CREATE TABLE t (id int);\n-- schemagate:no-transaction\n');
    expect(directives.noTransaction).toBe(false);
    expect(problems).toEqual([
      {
        line: 2,
        message:
          'directive "schemagate:no-transaction" comes after the first statement and is ignored; move it to the top of the file',
      },
    ]);
  });

  it('ignores directive-like text inside strings and dollar quotes', () => {
    const sql = "SELECT '\n-- schemagate:no-transaction\n';\nDO $$\n-- schemagate:bogus\n$$;";
    expect(parseDirectives(sql)).toEqual({ directives: { noTransaction: false }, problems: [] });
  });

  it('ignores ordinary comments and does not throw on an unterminated string', () => {
    expect(parseDirectives("-- just a note: schemagate:no-transaction is not at the start\nSELECT 'oops")).toEqual({
      directives: { noTransaction: false },
      problems: [],
    });
  });

  it('counts lines across CRLF line endings', () => {
    expect(parseDirectives('-- header\r\n-- schemagate:lock-timeout nope\r\n').problems[0]?.line).toBe(2);
  });
});
