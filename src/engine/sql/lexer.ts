import { lineColumnAt } from './position.js';
import { SplitError } from './split-error.js';

/*
 * A lexer for PostgreSQL SQL text that knows just enough to find where
 * strings, identifiers, comments and words are: it follows the rules of the
 * server's own scanner (src/backend/parser/scan.l) for everything that can
 * hide a semicolon or a keyword, and treats every other character as a
 * one-character punctuation token. Regular strings follow
 * standard_conforming_strings = on (the default since PostgreSQL 9.1):
 * a backslash escapes nothing outside E'...' strings.
 */

/** What a {@link Token} is. */
export type TokenKind =
  /** Identifier, keyword or number: `create`, `my_table`, `x$1`, `42`. */
  | 'word'
  /** '...', E'...', N'...', B'...', X'...', U&'...' (prefix included). */
  | 'string'
  /** "..." or U&"..." */
  | 'quoted-ident'
  /** $$...$$ or $tag$...$tag$ */
  | 'dollar-string'
  /** $1 */
  | 'param'
  /** Any other single character: ( ) ; , . : + and so on. */
  | 'punct'
  | 'line-comment'
  | 'block-comment';

export interface Token {
  kind: TokenKind;
  /** 0-based UTF-16 offset of the first character. */
  start: number;
  /** 0-based UTF-16 offset just past the last character. */
  end: number;
}

export interface LexerOptions {
  /**
   * Return comments as tokens instead of skipping them.
   * @default false
   */
  comments?: boolean;
}

// Character codes (UTF-16 code units).
const CH_TAB = 9;
const CH_LF = 10;
const CH_CR = 13;
const CH_SPACE = 32;
const CH_DOUBLE_QUOTE = 34;
const CH_DOLLAR = 36;
const CH_AMPERSAND = 38;
const CH_QUOTE = 39;
const CH_STAR = 42;
const CH_MINUS = 45;
const CH_SLASH = 47;
const CH_ZERO = 48;
const CH_NINE = 57;
const CH_BACKSLASH = 92;
const CH_UNDERSCORE = 95;
const CH_BOM = 0xfeff;

function isSpace(c: number): boolean {
  return c === CH_SPACE || (c >= CH_TAB && c <= CH_CR);
}

function isDigit(c: number): boolean {
  return c >= CH_ZERO && c <= CH_NINE;
}

/** A letter, underscore or any non-ASCII character (scan.l: `[A-Za-z\200-\377_]`). */
function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === CH_UNDERSCORE || (c >= 0x80 && c !== CH_BOM);
}

/** Dollar-quote tags may not contain `$`; identifiers may. */
function isTagChar(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

/** Produces the tokens of a SQL text one at a time; throws {@link SplitError} on an unterminated construct. */
export class SqlLexer {
  private pos = 0;

  constructor(
    private readonly source: string,
    private readonly options: LexerOptions = {},
  ) {}

  /** Continues lexing at `offset` (past text that is not SQL: the data lines of COPY ... FROM STDIN). */
  skipTo(offset: number): void {
    this.pos = Math.max(this.pos, Math.min(offset, this.source.length));
  }

  /** The next token, or `undefined` at the end of the text. */
  next(): Token | undefined {
    const s = this.source;
    const n = s.length;
    for (;;) {
      let i = this.pos;
      while (i < n) {
        const c = s.charCodeAt(i);
        // A byte-order mark is invisible; psql and editors ignore it too.
        if (isSpace(c) || (c === CH_BOM && i === 0)) i++;
        else break;
      }
      if (i >= n) {
        this.pos = n;
        return undefined;
      }
      const start = i;
      const c = s.charCodeAt(i);
      const c1 = i + 1 < n ? s.charCodeAt(i + 1) : -1;

      if (c === CH_MINUS && c1 === CH_MINUS) {
        let j = i + 2;
        while (j < n) {
          const d = s.charCodeAt(j);
          if (d === CH_LF || d === CH_CR) break;
          j++;
        }
        this.pos = j;
        if (this.options.comments) return { kind: 'line-comment', start, end: j };
        continue;
      }
      if (c === CH_SLASH && c1 === CH_STAR) {
        const end = this.blockComment(start);
        this.pos = end;
        if (this.options.comments) return { kind: 'block-comment', start, end };
        continue;
      }
      return this.token(start, c, c1);
    }
  }

  private token(start: number, c: number, c1: number): Token {
    const s = this.source;
    if (c === CH_QUOTE) return this.quoted(start, start + 1, CH_QUOTE, 'string', false);
    if (c === CH_DOUBLE_QUOTE) return this.quoted(start, start + 1, CH_DOUBLE_QUOTE, 'quoted-ident', false);
    if (c === CH_DOLLAR) return this.dollar(start, c1);
    if (isIdentStart(c)) {
      const lower = c | 0x20;
      if (c1 === CH_QUOTE) {
        if (lower === 101 /* e */) return this.quoted(start, start + 2, CH_QUOTE, 'string', true);
        if (lower === 98 /* b */ || lower === 120 /* x */ || lower === 110 /* n */) {
          return this.quoted(start, start + 2, CH_QUOTE, 'string', false);
        }
      }
      if (lower === 117 /* u */ && c1 === CH_AMPERSAND) {
        const c2 = s.charCodeAt(start + 2);
        if (c2 === CH_QUOTE) return this.quoted(start, start + 3, CH_QUOTE, 'string', false);
        if (c2 === CH_DOUBLE_QUOTE) return this.quoted(start, start + 3, CH_DOUBLE_QUOTE, 'quoted-ident', false);
      }
      let j = start + 1;
      while (j < s.length) {
        const d = s.charCodeAt(j);
        if (isTagChar(d) || d === CH_DOLLAR) j++;
        else break;
      }
      this.pos = j;
      return { kind: 'word', start, end: j };
    }
    if (isDigit(c)) {
      // Numbers never contain `$`: in `1$$x$$` the dollar quote starts after the 1.
      let j = start + 1;
      while (j < s.length && isTagChar(s.charCodeAt(j))) j++;
      this.pos = j;
      return { kind: 'word', start, end: j };
    }
    this.pos = start + 1;
    return { kind: 'punct', start, end: start + 1 };
  }

  /** A quoted string or identifier whose body starts at `from`; a doubled quote is an escaped quote. */
  private quoted(
    start: number,
    from: number,
    quote: number,
    kind: 'string' | 'quoted-ident',
    backslashEscapes: boolean,
  ): Token {
    const s = this.source;
    let j = from;
    for (;;) {
      if (backslashEscapes) {
        while (j < s.length) {
          const d = s.charCodeAt(j);
          if (d === quote) break;
          j += d === CH_BACKSLASH ? 2 : 1;
        }
      } else {
        j = s.indexOf(quote === CH_QUOTE ? "'" : '"', j);
        if (j === -1) j = s.length;
      }
      if (j >= s.length) {
        throw kind === 'string'
          ? this.unterminated(
              'quoted string',
              start,
              "A quote inside a string is written twice ('it''s'), or use dollar quoting ($$it's$$).",
            )
          : this.unterminated(
              'quoted identifier',
              start,
              'A double quote inside a quoted identifier is written twice ("a""b").',
            );
      }
      if (s.charCodeAt(j + 1) === quote) {
        j += 2;
        continue;
      }
      this.pos = j + 1;
      return { kind, start, end: j + 1 };
    }
  }

  private dollar(start: number, c1: number): Token {
    const s = this.source;
    if (isDigit(c1)) {
      let j = start + 2;
      while (j < s.length && isDigit(s.charCodeAt(j))) j++;
      this.pos = j;
      return { kind: 'param', start, end: j };
    }
    let j = start + 1;
    if (c1 !== CH_DOLLAR) {
      if (!isIdentStart(c1)) {
        this.pos = start + 1;
        return { kind: 'punct', start, end: start + 1 };
      }
      while (j < s.length && isTagChar(s.charCodeAt(j))) j++;
      if (s.charCodeAt(j) !== CH_DOLLAR) {
        // `$abc` not followed by `$` is not a delimiter (scan.l: dolqfailed).
        this.pos = start + 1;
        return { kind: 'punct', start, end: start + 1 };
      }
    }
    const delimiter = s.slice(start, j + 1);
    const close = s.indexOf(delimiter, j + 1);
    if (close === -1) {
      throw this.unterminated(
        `dollar-quoted string ${delimiter}`,
        start,
        `Close it with ${delimiter}. PostgreSQL reads letters, digits and $ after a word as part of it, so write "AS $$" rather than "AS$$".`,
      );
    }
    const end = close + delimiter.length;
    this.pos = end;
    return { kind: 'dollar-string', start, end };
  }

  /** Block comments nest in PostgreSQL, unlike in the SQL standard and most languages. */
  private blockComment(start: number): number {
    const s = this.source;
    let depth = 1;
    let j = start + 2;
    while (j < s.length) {
      const d = s.charCodeAt(j);
      if (d === CH_STAR && s.charCodeAt(j + 1) === CH_SLASH) {
        j += 2;
        if (--depth === 0) return j;
      } else if (d === CH_SLASH && s.charCodeAt(j + 1) === CH_STAR) {
        j += 2;
        depth++;
      } else {
        j++;
      }
    }
    throw this.unterminated(
      '/* comment',
      start,
      'Block comments nest in PostgreSQL: every /* inside a comment needs its own */.',
    );
  }

  private unterminated(what: string, offset: number, hint?: string): SplitError {
    const { line, column } = lineColumnAt(this.source, offset);
    return new SplitError(what, offset, line, column, hint);
  }
}

/** Lowercases an ASCII word token for keyword comparison (keywords are ASCII). */
export function wordText(source: string, token: Token): string {
  return source.slice(token.start, token.end).toLowerCase();
}
