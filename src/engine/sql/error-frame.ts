import { charWidth } from '../../util/display-width.js';
import { SqlLexer } from './lexer.js';
import { advanceCodePoints, lineColumnAt } from './position.js';
import { SplitError } from './split-error.js';

/** The fields of a PostgreSQL ErrorResponse, as `pg`'s DatabaseError has them. */
export interface PgErrorFields {
  message: string;
  code?: string;
  severity?: string;
  position?: string;
  internalPosition?: string;
  internalQuery?: string;
  detail?: string;
  hint?: string;
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

export interface CodeFrameOptions {
  /**
   * Lines shown above the marked line.
   * @default 2
   */
  above?: number;
  /**
   * Lines shown below the marked line.
   * @default 2
   */
  below?: number;
}

/** Lines longer than this many characters are cut to a window around the caret. */
const MAX_LINE = 160;

/**
 * Converts a 1-based PostgreSQL character position within `sent` (which
 * starts at `sentOffset` in `source`) into a 1-based line/column in `source`
 * (column counted in code points) and a 0-based UTF-16 offset. PostgreSQL
 * counts characters, not UTF-16 units, so an emoji before the error moves the
 * position by one, not two. Positions past the end of `sent` (PostgreSQL's
 * "at end of input") point just past it.
 */
export function locatePosition(
  source: string,
  sentOffset: number,
  sent: string,
  position: number,
): { line: number; column: number; offset: number } {
  const characters = Number.isFinite(position) && position > 1 ? Math.floor(position) - 1 : 0;
  const offset = sentOffset + advanceCodePoints(sent, 0, characters);
  return { ...lineColumnAt(source, offset), offset };
}

/**
 * A code frame: the numbered lines around `line` of `source`, the line marked
 * with `>` and a caret under `column` (1-based, in code points). Tabs before
 * the caret are repeated in the caret line and wide characters count double,
 * so the caret stays under its character. Lines longer than 160 characters
 * are cut to a window around the caret, with `…` where text was left out.
 */
export function codeFrame(source: string, line: number, column: number, opts: CodeFrameOptions = {}): string {
  const lines = source.split('\n');
  const target = Math.min(Math.max(1, line), lines.length);
  const first = Math.max(1, target - (opts.above ?? 2));
  const last = Math.min(lines.length, target + (opts.below ?? 2));
  const width = String(last).length;

  const caretChars = Array.from(stripCr(lines[target - 1] ?? ''));
  const caretIndex = Math.max(0, column - 1);
  // One window for every long line, so that they stay aligned with the caret.
  const windowStart =
    caretChars.length > MAX_LINE ? Math.max(0, Math.min(caretIndex - MAX_LINE / 2, caretChars.length - MAX_LINE)) : 0;

  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const chars = Array.from(stripCr(lines[n - 1] ?? ''));
    const shown = chars.length > MAX_LINE ? cut(chars, windowStart) : { text: chars.join(''), shift: 0 };
    const gutter = `${n === target ? ' > ' : '   '}${String(n).padStart(width)} |`;
    out.push(shown.text ? `${gutter} ${shown.text}` : gutter);
    if (n === target) {
      const before =
        chars.length > MAX_LINE
          ? chars.slice(windowStart, Math.max(windowStart, caretIndex))
          : chars.slice(0, caretIndex);
      const pad =
        ' '.repeat(shown.shift) + before.map(padFor).join('') + ' '.repeat(Math.max(0, caretIndex - chars.length));
      out.push(`   ${' '.repeat(width)} | ${pad}^`);
    }
  }
  return out.join('\n');
}

/**
 * Formats a PostgreSQL error raised by text sent from a migration file:
 * `file:line:column: message (SQLSTATE code)`, a code frame with a caret,
 * then PostgreSQL's detail, hint, where, constraint, table and column (those
 * present). The location comes from, in order: `internalPosition` within
 * `internalQuery` when that query is found in the sent text (an error inside
 * a function body created by the statement), `position`, else the start of
 * the sent statement.
 */
export function formatSqlError(input: {
  file: string;
  source: string;
  sentOffset: number;
  sent: string;
  error: PgErrorFields;
  /** Index of the statement in the file (informational; line and column already identify it). */
  statementIndex?: number;
}): { message: string; line: number; column: number; frame: string } {
  const { file, source, sentOffset, sent, error } = input;
  const { offset, internalLocated } = errorOffset(sentOffset, sent, error);
  const { line, column } = lineColumnAt(source, offset);
  const frame = codeFrame(source, line, column);

  const severity = error.severity && error.severity !== 'ERROR' ? `${error.severity}: ` : '';
  const code = error.code ? ` (SQLSTATE ${error.code})` : '';
  const parts = [`${file}:${line}:${column}: ${severity}${error.message}${code}`, frame];
  const field = (label: string, value: string | undefined): void => {
    if (!value) return;
    const indent = ' '.repeat(label.length + 4);
    parts.push(`  ${label}: ${value.split('\n').join(`\n${indent}`)}`);
  };
  field('detail', error.detail);
  field('hint', error.hint);
  field('where', error.where);
  if (!internalLocated) field('internal query', error.internalQuery);
  field('constraint', error.constraint);
  field('table', error.table && error.schema ? `${error.schema}.${error.table}` : error.table);
  if (!error.table) field('schema', error.schema);
  field('column', error.column);
  return { message: parts.join('\n'), line, column, frame };
}

function errorOffset(
  sentOffset: number,
  sent: string,
  error: PgErrorFields,
): { offset: number; internalLocated: boolean } {
  const internalPosition = parsePosition(error.internalPosition);
  if (internalPosition !== undefined && error.internalQuery) {
    const at = sent.indexOf(error.internalQuery);
    if (at >= 0) {
      return { offset: sentOffset + advanceCodePoints(sent, at, internalPosition - 1), internalLocated: true };
    }
  }
  const position = parsePosition(error.position);
  if (position !== undefined) {
    return { offset: sentOffset + advanceCodePoints(sent, 0, position - 1), internalLocated: false };
  }
  return { offset: sentOffset + firstTokenOffset(sent), internalLocated: false };
}

function parsePosition(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const n = Number.parseInt(text, 10);
  return Number.isFinite(n) && n >= 1 ? n : undefined;
}

/** Where the first token of `sent` starts, past leading whitespace and comments (0 if there is none). */
function firstTokenOffset(sent: string): number {
  try {
    return new SqlLexer(sent).next()?.start ?? 0;
  } catch (e) {
    if (e instanceof SplitError) return 0;
    throw e;
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

function cut(chars: readonly string[], start: number): { text: string; shift: number } {
  const from = Math.min(start, chars.length);
  const to = Math.min(chars.length, from + MAX_LINE);
  const text = (from > 0 ? '…' : '') + chars.slice(from, to).join('') + (to < chars.length ? '…' : '');
  return { text, shift: from > 0 ? 1 : 0 };
}

function padFor(char: string): string {
  if (char === '\t') return '\t';
  return ' '.repeat(charWidth(char.codePointAt(0) ?? 32));
}
