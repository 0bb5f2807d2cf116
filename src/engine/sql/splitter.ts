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

  const finish = (): void => {
    if (start >= 0) {
      const { line, column } = lines.at(start);
      statements.push({ text: sql.slice(start, end), start, end, line, column });
    }
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
        finish();
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
