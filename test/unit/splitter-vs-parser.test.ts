import { describe, expect, it } from 'vitest';
import { splitDbmate } from '../../src/engine/files.js';
import { loadParser } from '../../src/engine/syntax-check.js';
import { SplitError, splitStatements } from '../../src/engine/sql/splitter.js';
import { sqlCorpus } from '../support/sql-corpus.js';

/** Past whitespace and comments (`--` to the end of the line, nested `/* *\/`) from `i`. */
function skipBlank(sql: string, i: number): number {
  for (;;) {
    while (i < sql.length && /\s/.test(sql[i]!)) i++;
    if (sql.startsWith('--', i)) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (sql.startsWith('/*', i)) {
      let depth = 0;
      do {
        if (sql.startsWith('/*', i)) {
          depth++;
          i += 2;
        } else if (sql.startsWith('*/', i)) {
          depth--;
          i += 2;
        } else i++;
      } while (depth > 0 && i < sql.length);
    } else return i;
  }
}

/** UTF-16 index of every UTF-8 byte offset of `sql` (the parser's locations count bytes). */
function byteToIndex(sql: string): (byte: number) => number {
  const map: number[] = [];
  let i = 0;
  for (const ch of sql) {
    for (let b = 0; b < Buffer.byteLength(ch); b++) map.push(i);
    i += ch.length;
  }
  map.push(i);
  return (byte) => map[byte] ?? sql.length;
}

interface Boundary {
  start: number;
  /** Where the statement's text ends for the parser: its `;`, or the end of the text. */
  end: number;
}

/** PostgreSQL's statement boundaries: from the start of each statement's first token to its semicolon. */
function parserBoundaries(sql: string, stmts: { stmt_location?: number; stmt_len?: number }[]): Boundary[] {
  const at = byteToIndex(sql);
  return stmts.map((s) => {
    const from = at(s.stmt_location ?? 0);
    const to = s.stmt_len ? at((s.stmt_location ?? 0) + s.stmt_len) : sql.length;
    return { start: skipBlank(sql, from), end: to };
  });
}

describe("the engine's statement splitter agrees with PostgreSQL's parser", () => {
  it('finds the same statements, at the same places, in every migration the tests have', async () => {
    const parser = (await loadParser()) as unknown as { parseSync(sql: string): { stmts?: [] } };
    const { entries, skipped } = sqlCorpus();
    let compared = 0;
    let rejectedByBoth = 0;
    const disagreements: string[] = [];
    for (const { source, sql: text } of entries) {
      // A dbmate file is two scripts: the up section, then the down section.
      const { up, markerLine } = splitDbmate(text);
      const scripts =
        markerLine === undefined
          ? [text]
          : [
              up,
              text
                .split('\n')
                .slice(markerLine + 1)
                .join('\n'),
            ];
      for (const sql of scripts) {
        let ours;
        try {
          ours = splitStatements(sql);
        } catch (e) {
          if (!(e instanceof SplitError)) throw e;
          // An unterminated quote or comment: PostgreSQL must reject the text too.
          let parsed = true;
          try {
            parser.parseSync(sql);
          } catch {
            parsed = false;
          }
          if (parsed) disagreements.push(`${source}: the splitter rejects what PostgreSQL parses: ${e.message}`);
          else rejectedByBoth++;
          continue;
        }
        let theirs;
        try {
          theirs = parser.parseSync(sql).stmts ?? [];
        } catch {
          // SQL the tests feed on purpose (syntax errors, psql commands): no boundaries to compare.
          continue;
        }
        compared++;
        const want = parserBoundaries(sql, theirs);
        const same =
          want.length === ours.length &&
          want.every(
            (w, i) => ours[i]!.start === w.start && ours[i]!.end <= w.end && skipBlank(sql, ours[i]!.end) === w.end,
          );
        if (!same)
          disagreements.push(
            `${source}:\n  parser:   ${JSON.stringify(want.map((w) => sql.slice(w.start, w.end)))}\n  splitter: ${JSON.stringify(ours.map((s) => s.text))}`,
          );
      }
    }
    expect(disagreements).toEqual([]);
    // The corpus is what the test is worth: it must hold every kind of migration the suite uses.
    expect(compared).toBeGreaterThan(500);
    expect(rejectedByBoth).toBeGreaterThan(0);
    expect(skipped.length, `test SQL that could not be evaluated:\n${skipped.join('\n')}`).toBeLessThan(compared / 5);
    // Reading every test file with TypeScript's parser takes a few seconds on a busy machine.
  }, 60_000);

  it('would notice a splitter that cut a statement in two', async () => {
    const parser = (await loadParser()) as unknown as { parseSync(sql: string): { stmts?: [] } };
    const sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\nSELECT 'a;b';";
    const want = parserBoundaries(sql, parser.parseSync(sql).stmts ?? []);
    expect(want.map((w) => sql.slice(w.start, w.end))).toEqual([
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END',
      "SELECT 'a;b'",
    ]);
    expect(splitStatements(sql).map((s) => s.text)).toEqual(want.map((w) => sql.slice(w.start, w.end)));
    // A naive split on every semicolon disagrees, and the comparison says so.
    const naive = sql.split(';').filter((s) => s.trim());
    expect(naive.length).not.toBe(want.length);
  });
});
