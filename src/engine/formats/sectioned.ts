import { checksum } from '../checksum.js';
import { compareVersions, type Version } from '../version.js';
import { inside, keepLines, type Listing } from './listing.js';
import { FilesError, type FileProblem, type LayoutName, type MigrationFile } from './types.js';
import { itemAt } from '../../util/defined.js';

/** A file's up and down sections, as its tool reads them. */
export interface Sections {
  /** The file's text with every line outside the up section blanked (line numbers are the file's). */
  up: string;
  /** The same for the down section; undefined when the file has none. */
  down: string | undefined;
  upNoTransaction?: string | undefined;
  downNoTransaction?: string | undefined;
  /** Statement blocks, as [start, end) offsets in `up` and `down`. */
  upBlocks: [number, number][];
  downBlocks: [number, number][];
  /** What the tool would refuse, or what schemagate will not guess at; `line` is 1-based. */
  problems: { line: number; message: string }[];
}

/** A tool whose files hold up and down sections: goose, sql-migrate, node-pg-migrate. */
export interface SectionTool {
  layout: LayoutName;
  identity(name: string): { version: Version; description: string } | { problem: string };
  parse(text: string): Sections;
}

/** The lines of a file and which section each belongs to; blocks are kept as line ranges until the text is cut. */
export class LineSections {
  readonly lines: string[];
  readonly up = new Set<number>();
  readonly down = new Set<number>();
  private readonly blockLines = { up: [] as [number, number][], down: [] as [number, number][] };
  constructor(text: string) {
    this.lines = text.split('\n');
    // The break that ends the last line starts no line of its own.
    if (this.lines.length > 1 && this.lines.at(-1) === '') this.lines.pop();
  }
  /** A statement block of lines [first, end) in a section. */
  block(which: 'up' | 'down', first: number, end: number): void {
    this.blockLines[which].push([first, end]);
  }
  text(which: 'up' | 'down'): string {
    const set = which === 'up' ? this.up : this.down;
    return keepLines(this.lines, (i) => set.has(i));
  }
  /** The blocks as offsets in `text(which)`, where every line outside the section is empty. */
  blocks(which: 'up' | 'down'): [number, number][] {
    const set = which === 'up' ? this.up : this.down;
    const starts: number[] = [];
    let at = 0;
    for (let i = 0; i <= this.lines.length; i++) {
      starts.push(at);
      at += (set.has(i) ? itemAt(this.lines, i, `line ${i + 1}`).length : 0) + 1;
    }
    return this.blockLines[which].map(([a, b]) => [
      itemAt(starts, a, `line ${a + 1}`),
      itemAt(starts, b, `line ${b + 1}`),
    ]);
  }
}

/** Reads a flat folder of sectioned files in the tool's order; every problem is reported at once. */
export function readSectioned(
  listing: Listing,
  texts: ReadonlyMap<string, string>,
  tool: SectionTool,
): MigrationFile[] {
  const problems: FileProblem[] = [];
  const files: MigrationFile[] = [];
  const seen = new Map<string, string>();
  for (const name of listing.sql) {
    const shown = inside(listing.shown, name);
    const id = tool.identity(name);
    if ('problem' in id) {
      problems.push({ file: shown, message: id.problem });
      continue;
    }
    const other = seen.get(id.version.text);
    if (other) {
      problems.push({
        file: shown,
        message: `duplicate version ${id.version.text}: ${inside(listing.shown, other)} has the same version. Give one of them the next free number`,
      });
      continue;
    }
    seen.set(id.version.text, name);
    const s = tool.parse(texts.get(name) ?? '');
    // The first problem, as the tool stops at it: what follows may only be its echo.
    const p = s.problems[0];
    if (p) {
      problems.push({ file: `${shown}:${p.line}`, message: p.message });
      continue;
    }
    const path = inside(listing.dir, name);
    files.push({
      version: id.version,
      description: id.description,
      file: shown,
      path,
      sql: s.up,
      checksum: checksum(s.up),
      down:
        s.down === undefined
          ? undefined
          : {
              file: shown,
              path,
              sql: s.down,
              ...(s.downNoTransaction ? { noTransaction: s.downNoTransaction } : {}),
              ...(s.downBlocks.length ? { blocks: s.downBlocks } : {}),
            },
      ...(s.upNoTransaction ? { noTransaction: s.upNoTransaction } : {}),
      ...(s.upBlocks.length ? { blocks: s.upBlocks } : {}),
    });
  }
  if (problems.length > 0) throw new FilesError(problems);
  return files.sort((a, b) => compareVersions(a.version, b.version));
}

/** Is the line SQL (not blank, not a `--` comment)? */
export function isSqlLine(line: string): boolean {
  const t = line.trim();
  return t !== '' && !t.startsWith('--');
}
