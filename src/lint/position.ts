import { LineCounter, type LineColumn } from '../engine/sql/position.js';

/**
 * Maps Squawk's positions in the text schemagate runs back to the file a
 * person edits. Squawk reports a 0-based line and a 0-based column counted in
 * UTF-8 bytes of the text it was given; the file's position is 1-based, its
 * column counted in code points (as engine errors count them).
 *
 * The text that runs is not always the whole file: a dbmate file runs only
 * its `-- migrate:up` section, and readers normalise line endings and strip a
 * BOM. So the run text is located inside the file's normalised text, and its
 * offset there added: what is right for every reader whose up text is a
 * contiguous part of its file.
 */
export class SourceMap {
  private readonly offset: number;
  private readonly lineStarts: number[] = [0];
  private readonly counter: LineCounter;

  /**
   * @param fileText the file's normalised text (BOM stripped, LF line endings)
   * @param runText the text schemagate runs for the migration
   */
  constructor(
    readonly file: string,
    readonly fileText: string,
    private readonly runText: string,
  ) {
    const at = fileText.startsWith(runText) ? 0 : fileText.indexOf(runText);
    if (at < 0) throw new Error(`BUG: the text that runs for ${file} is not part of the file`);
    this.offset = at;
    for (let i = runText.indexOf('\n'); i !== -1; i = runText.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    this.counter = new LineCounter(fileText);
  }

  /** The file's 1-based line and code-point column of Squawk's (line, byte column), both 0-based. */
  at(line: number, byteColumn: number): LineColumn {
    const l = Math.max(0, Math.min(line, this.lineStarts.length - 1));
    const start = this.lineStarts[l] ?? 0;
    const next = this.lineStarts[l + 1];
    const end = next === undefined ? this.runText.length : next - 1;
    return this.atOffset(start + unitsForBytes(this.runText, start, end, byteColumn));
  }

  /** The file's 1-based line and code-point column of a UTF-16 offset in the run text. */
  atOffset(offset: number): LineColumn {
    return this.counter.at(this.offset + offset);
  }
}

/** How many UTF-16 code units of `text[from, to)` its first `bytes` UTF-8 bytes hold (clamped to the line). */
export function unitsForBytes(text: string, from: number, to: number, bytes: number): number {
  let i = from;
  let seen = 0;
  while (i < to && seen < bytes) {
    const c = text.codePointAt(i) ?? 0;
    seen += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    i += c > 0xffff ? 2 : 1;
  }
  return i - from;
}
