import { SqlLexer, type Token } from './lexer.js';
import { LineCounter, lineColumnAt } from './position.js';
import { SplitError } from './split-error.js';

export { SplitError } from './split-error.js';

/** One SQL statement of a file, located in the file's text. */
export interface Statement {
  /**
   * The statement text exactly as in the source, without the terminating
   * semicolon, from its first non-comment non-space character to the end of
   * its last token (whitespace and comments before the `;` are left out).
   */
  text: string;
  /** 0-based UTF-16 offset of `text` in the source. */
  start: number;
  /** 0-based offset just past the end of `text`. */
  end: number;
  /** 1-based line of `start`. */
  line: number;
  /** 1-based column of `start`, in characters (code points). */
  column: number;
  /** `COPY ... FROM STDIN`: the data lines that follow it in the file, sent as the COPY's data. */
  copy?: CopyData;
}

/** The data of a `COPY ... FROM STDIN` (psql's format: the lines after the statement, up to a line `\.`). */
export interface CopyData {
  /** The data lines, each ending in a line break, without the `\.` line. */
  text: string;
  /** 0-based offset of the data in the source. */
  start: number;
  /** 1-based line of the first data line. */
  line: number;
  /** 0-based offset just past the `\\.` line. */
  end: number;
}

/**
 * Splits a SQL text into statements the way psql does, so each can be sent
 * as its own query. Semicolons end a statement except inside strings,
 * quoted identifiers, dollar quotes, comments, parentheses (CREATE RULE
 * takes `(a; b)`) and `BEGIN ATOMIC ... END` bodies of CREATE FUNCTION and
 * CREATE PROCEDURE. Empty statements are dropped; a last statement without a
 * semicolon is kept. Runs in time linear in the length of the text.
 *
 * @throws {SplitError} when a string, identifier, dollar quote, comment or
 * BEGIN ATOMIC body is not terminated.
 */
export function splitStatements(sql: string): Statement[] {
  const lexer = new SqlLexer(sql);
  const lines = new LineCounter(sql);
  const statements: Statement[] = [];

  let start = -1;
  let end = -1;
  let parenDepth = 0;
  // Up to the first four words, to recognise CREATE [OR REPLACE] FUNCTION|PROCEDURE.
  let head = '';
  let headWords = 0;
  let routine = false;
  // 0 outside a BEGIN ATOMIC body; inside, 1 plus the number of open CASEs.
  let atomicDepth = 0;
  let atomicStart = -1;
  let previous: Token | undefined;
  let previousWord = '';
  // COPY ... FROM STDIN (at parenthesis depth 0): data lines follow the statement.
  let fromStdin = false;

  const finish = (terminator?: number): void => {
    if (start >= 0) {
      const { line, column } = lines.at(start);
      const statement: Statement = { text: sql.slice(start, end), start, end, line, column };
      if (fromStdin) {
        statement.copy = copyData(sql, terminator ?? sql.length, start, lines);
        lexer.skipTo(statement.copy.end);
      }
      statements.push(statement);
    }
    fromStdin = false;
    start = -1;
    parenDepth = 0;
    head = '';
    headWords = 0;
    routine = false;
    previous = undefined;
    previousWord = '';
  };

  for (let token = lexer.next(); token; token = lexer.next()) {
    if (token.kind === 'punct') {
      const c = sql.charCodeAt(token.start);
      if (c === 59 /* ; */ && parenDepth === 0 && atomicDepth === 0) {
        finish(token.end);
        continue;
      }
      if (c === 40 /* ( */) parenDepth++;
      else if (c === 41 /* ) */ && parenDepth > 0) parenDepth--;
    }
    if (start < 0) start = token.start;
    end = token.end;

    let word = '';
    if (token.kind === 'word') {
      // Keywords are short; skip lowercasing long identifiers and numbers.
      word = token.end - token.start <= 9 ? sql.slice(token.start, token.end).toLowerCase() : '\0';
      if (headWords < 4) {
        headWords++;
        head += head ? ` ${word}` : word;
        routine ||= /^create (or replace )?(function|procedure)$/.test(head);
      }
      if (word === 'stdin' && previousWord === 'from' && parenDepth === 0 && head.startsWith('copy')) fromStdin = true;
      // After `.` or AS a keyword is a column name or label (t.end, 1 AS case).
      const isLabel =
        previous !== undefined &&
        ((previous.kind === 'punct' && sql.charCodeAt(previous.start) === 46) || previousWord === 'as');
      if (routine && !isLabel) {
        if (atomicDepth === 0) {
          if (word === 'atomic' && previousWord === 'begin') {
            atomicDepth = 1;
            atomicStart = previous?.start ?? token.start;
          }
        } else if (word === 'case') {
          atomicDepth++;
        } else if (word === 'end') {
          atomicDepth--;
        }
      }
    }
    previous = token;
    previousWord = word;
  }

  if (atomicDepth > 0) {
    const { line, column } = lineColumnAt(sql, atomicStart);
    throw new SplitError(
      'BEGIN ATOMIC body',
      atomicStart,
      line,
      column,
      'A BEGIN ATOMIC body ends with END (and each CASE inside it with its own END).',
    );
  }
  finish();
  return statements;
}

/**
 * The data lines of a COPY ... FROM STDIN that ends at `terminator` (just
 * past its `;`): from the next line up to a line that is exactly `\.`, as
 * psql reads them.
 */
function copyData(sql: string, terminator: number, start: number, lines: LineCounter): CopyData {
  const lineEnd = sql.indexOf('\n', terminator);
  const dataStart = lineEnd === -1 ? sql.length : lineEnd + 1;
  const rest = sql.slice(dataStart);
  const m = /^\\\.\r?$/m.exec(rest);
  if (!m) {
    const { line, column } = lineColumnAt(sql, start);
    throw new SplitError(
      'COPY ... FROM STDIN data',
      start,
      line,
      column,
      'The data lines of COPY ... FROM STDIN follow the statement and end with a line holding only \\. (as psql reads them).',
    );
  }
  return {
    text: rest.slice(0, m.index),
    start: dataStart,
    line: lines.at(dataStart).line,
    end: dataStart + m.index + m[0].length,
  };
}
