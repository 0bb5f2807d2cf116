/**
 * Offsets in a source text (UTF-16 code units, as JavaScript indexes strings)
 * turned into the 1-based line and column people see in an editor. Lines end
 * at `\n` (a `\r` before it is part of the line break); columns count code
 * points, so an emoji is one column, as PostgreSQL counts characters.
 */
export interface LineColumn {
  line: number;
  column: number;
}

/** Counts the code points in `source[from, to)`: code units minus the low halves of surrogate pairs. */
export function codePointsBetween(source: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = source.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > from) {
      const p = source.charCodeAt(i - 1);
      if (p >= 0xd800 && p <= 0xdbff) continue;
    }
    n++;
  }
  return n;
}

/** The 1-based line and code-point column of `offset` in `source` (clamped to the text). */
export function lineColumnAt(source: string, offset: number): LineColumn {
  return new LineCounter(source).at(offset);
}

/**
 * Answers line/column questions for increasing offsets in time proportional
 * to the distance moved, so a splitter can locate every statement of a large
 * file in one linear pass. A smaller offset than the last one starts over.
 */
export class LineCounter {
  private pos = 0;
  private line = 1;
  private column = 1;

  constructor(private readonly source: string) {}

  at(offset: number): LineColumn {
    const target = Math.max(0, Math.min(offset, this.source.length));
    if (target < this.pos) {
      this.pos = 0;
      this.line = 1;
      this.column = 1;
    }
    let lastBreak = -1;
    // A plain loop rather than indexOf: indexOf would look past `target` for
    // the next line break, which is quadratic on a file with very long lines.
    for (let i = this.pos; i < target; i++) {
      if (this.source.charCodeAt(i) === 10) {
        this.line++;
        lastBreak = i;
      }
    }
    this.column =
      lastBreak === -1
        ? this.column + codePointsBetween(this.source, this.pos, target)
        : codePointsBetween(this.source, lastBreak + 1, target) + 1;
    this.pos = target;
    return { line: this.line, column: this.column };
  }
}

/** The UTF-16 offset reached by moving `codePoints` code points forward from `from` (stops at the end of `text`). */
export function advanceCodePoints(text: string, from: number, codePoints: number): number {
  let i = from;
  for (let n = 0; n < codePoints && i < text.length; n++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
  }
  return i;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
