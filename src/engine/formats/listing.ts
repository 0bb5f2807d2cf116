import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ExitCode, SchemagateError } from '../../errors.js';
import { normalizeSql } from '../checksum.js';
import { fileSystemProblem, readSqlText } from '../read-text.js';
import { FilesError, type FileProblem } from './types.js';
import { itemAt } from '../../util/defined.js';

/** What a folder holds, sorted by name; hidden entries (`.gitkeep`, `.DS_Store`) are left out. */
export interface Listing {
  dir: string;
  /** The folder as shown to the user. */
  shown: string;
  /** `.sql` files, whatever the case of the extension (`001_a.SQL`). */
  sql: string[];
  folders: string[];
  other: string[];
}

export function displayPath(path: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') ? rel : path;
}

export const SQL_FILE = /\.sql$/i;

/** `dir/name` for a name read from `dir` (path.join would normalise a thousand times what is normal already). */
export function inside(dir: string, name: string): string {
  return dir.endsWith(sep) ? dir + name : dir + sep + name;
}

/** Is the SQL only whitespace and comments? (Quotes do not matter for this test.) */
export function isBlankSql(sql: string): boolean {
  // A line that starts with anything but a comment is SQL, unless a block comment may span it.
  if (!sql.includes('/*')) return !/^[ \t]*(?!--)\S/m.test(sql);
  return !/\S/.test(sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, ''));
}

/** Lists a migrations or seeds folder; a missing folder, or a file in its place, is an error that names it. */
export function listFolder(dir: string, what: string, configKey: string, flag: string): Listing {
  const shown = displayPath(dir);
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    throw new SchemagateError('files.missing-dir', `${what} folder not found: ${shown}`, {
      exitCode: ExitCode.validation,
      context: { file: shown },
      hint: `Create it, or point ${configKey} in schemagate.yaml (or ${flag}) at the folder that holds them.`,
    });
  }
  if (!stat.isDirectory()) {
    throw new SchemagateError('files.not-a-dir', `${shown} is not a folder`, {
      exitCode: ExitCode.validation,
      context: { file: shown },
      hint: `Point ${configKey} (or ${flag}) at the folder that holds the ${what.toLowerCase()} files.`,
    });
  }
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new SchemagateError('files.unreadable-dir', `${shown} ${fileSystemProblem(e, dir)}`, {
      exitCode: ExitCode.validation,
      context: { file: shown },
    });
  }
  const listing: Listing = { dir, shown, sql: [], folders: [], other: [] };
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && isFolder(join(dir, entry.name)));
    if (isDir) listing.folders.push(entry.name);
    else if (SQL_FILE.test(entry.name)) listing.sql.push(entry.name);
    else listing.other.push(entry.name);
  }
  listing.sql.sort();
  listing.folders.sort();
  listing.other.sort();
  return listing;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A file's text as schemagate runs and checksums it (BOM stripped, line
 * endings LF), or its problem added to `problems` (not UTF-8, a NUL byte, a
 * file-system error: see readSqlText) and undefined, so that every file's
 * problem is reported at once.
 */
export function readSql(path: string, shown: string, problems: FileProblem[]): string | undefined {
  const read = readSqlText(path);
  if ('problem' in read) {
    problems.push({ file: shown, message: read.problem });
    return undefined;
  }
  return normalizeSql(read.text);
}

/** The same for one file: its problem is thrown. */
export function readText(path: string, shown: string): string {
  const problems: FileProblem[] = [];
  const text = readSql(path, shown, problems);
  if (text === undefined) throw new FilesError(problems);
  return text;
}

/** Documentation beside migrations, which no tool runs and schemagate leaves alone. */
export function isDocumentation(name: string): boolean {
  return /\.(md|markdown|txt|rst|adoc)$/i.test(name) || /^(LICENSE|NOTICE|CODEOWNERS)$/i.test(name);
}

/** Text with every line outside `keep` blanked, so line numbers stay the file's. */
export function keepLines(lines: readonly string[], keep: (index: number) => boolean): string {
  let last = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (keep(i)) {
      last = i;
      break;
    }
  }
  const out: string[] = [];
  for (let i = 0; i <= last; i++) out.push(keep(i) ? itemAt(lines, i, `line ${i + 1}`) : '');
  return out.join('\n') + (last >= 0 ? '\n' : '');
}
