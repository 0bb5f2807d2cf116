import { join } from 'node:path';
import type { MigrationFormat } from '../config/types.js';
import { checksum } from './checksum.js';
import { readMigrationFolder, type ReadOptions } from './formats/detect.js';
import { listFolder, readSql, readText } from './formats/listing.js';
import { FilesError, type Blocks, type DownScript, type FileProblem, type MigrationFile } from './formats/types.js';

export { parseMigrationName, splitDbmate } from './formats/flat.js';
export { displayPath } from './formats/listing.js';
export { FilesError, type DownScript, type FileProblem, type MigrationFile } from './formats/types.js';
export { detectLayout, readMigrationFolder, readMigrationFolderYielding, type ReadOptions } from './formats/detect.js';

/**
 * Reads every migration in `dir`, in the order its layout's tool runs them.
 * All problems (bad names, duplicate versions, orphan down scripts, empty
 * files, files no layout reads, no migrations at all) are reported at once.
 */
export function readMigrations(dir: string, format: MigrationFormat = 'auto', opts: ReadOptions = {}): MigrationFile[] {
  return readMigrationFolder(dir, format, opts).files;
}

/** A seed file: run in name order, each in its own transaction. */
export interface SeedFile {
  /** The file name: the seed's identity in the history table. */
  readonly name: string;
  readonly file: string;
  readonly path: string;
  readonly sql: string;
  readonly checksum: string;
}

export function readSeeds(dir: string): SeedFile[] {
  const listing = listFolder(dir, 'Seeds', 'seeds.dir', '--seeds');
  const problems: FileProblem[] = [];
  const seeds: SeedFile[] = [];
  for (const name of listing.sql) {
    const path = join(dir, name);
    const file = join(listing.shown, name);
    const sql = readSql(path, file, problems);
    if (sql !== undefined) seeds.push({ name, file, path, sql, checksum: checksum(sql) });
  }
  if (problems.length > 0) throw new FilesError(problems);
  return seeds;
}

export function readDownScript(down: DownScript): string {
  if (down.sql !== undefined) return down.sql;
  const text = readText(down.path, down.file);
  if (down.markerLine === undefined) return text;
  // The section after the marker, with the lines above it blanked: error lines stay the file's.
  const lines = text.split('\n');
  return '\n'.repeat(down.markerLine + 1) + lines.slice(down.markerLine + 1).join('\n');
}

/** What `analyze` needs of a migration: its text, and what its tool says about transactions and statement blocks. */
export function fileScript(f: Pick<MigrationFile, 'file' | 'version' | 'sql' | 'noTransaction' | 'blocks'>): {
  file: string;
  version: string;
  sql: string;
  noTransaction?: string;
  blocks?: Blocks;
} {
  return {
    file: f.file,
    version: f.version.text,
    sql: f.sql,
    ...(f.noTransaction ? { noTransaction: f.noTransaction } : {}),
    ...(f.blocks ? { blocks: f.blocks } : {}),
  };
}
