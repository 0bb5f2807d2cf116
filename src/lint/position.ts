import { LineCounter, type LineColumn } from '../engine/sql/position.js';

/**
 * Maps Squawk's positions in the text schemagate runs back to the file a
 * person edits. Squawk reports a 0-based line and a 0-based column counted in
 * UTF-8 bytes of the text it was given; the file's position is 1-based, its
 * column counted in code points (as engine errors count them).
 *
 * The text that runs is not always the whole file, and readers normalise line
 * endings and strip a BOM. Two shapes are mapped:
 * - a contiguous part of the file's normalised text (a dbmate file's
 *   `-- migrate:up` section): its offset there is added;
 * - the file's lines, some blanked (goose, sql-migrate and node-pg-migrate
 *   keep only their up section's lines; a file's own BEGIN and COMMIT are
 *   blanked to spaces when schemagate runs it as the migration's
 *   transaction): a line and column of the run text are the file's.
 * Anything else is a reader's bug, refused rather than pointed at a wrong line.
 */
export class SourceMap {
  private readonly lineStarts: number[];
  private readonly toFile: (offset: number) => number;
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
    this.lineStarts = lineStartsOf(runText);
    this.counter = new LineCounter(fileText);
    const at = fileText.startsWith(runText) ? 0 : fileText.indexOf(runText);
    if (at >= 0) {
      this.toFile = (offset) => at + offset;
    } else if (sameLines(fileText, runText)) {
      const fileStarts = lineStartsOf(fileText);
      this.toFile = (offset) => {
        const line = lineIndex(this.lineStarts, offset);
        return (fileStarts[line] ?? fileText.length) + offset - (this.lineStarts[line] ?? 0);
      };
    } else {
      throw new Error(`BUG: the text that runs for ${file} is not part of the file`);
    }
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
    return this.counter.at(this.toFile(offset));
  }
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** The index of the line that holds `offset`, given the lines' start offsets. */
function lineIndex(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Is every line of `run` the file's line at the same index, empty, or that line with some characters blanked to spaces? */
export function sameLines(file: string, run: string): boolean {
  const fileLines = file.split('\n');
  const runLines = run.split('\n');
  if (runLines.length > fileLines.length) return false;
  return runLines.every((r, i) => {
    const f = fileLines[i] ?? '';
    if (r === '' || r === f) return true;
    if (r.length !== f.length) return false;
    for (let j = 0; j < r.length; j++) if (r[j] !== f[j] && r[j] !== ' ') return false;
    return true;
  });
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
