/**
 * A folder's migration or seed files as a set: every `*.sql` file the engine
 * would read (hidden files left out, as the engine does), with its bytes and
 * the checksum of its text. What the CLI delivers to a Job and what the pod
 * compares with the Job's manifest.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FILE_CHECKSUM_LENGTH, type FileSet } from '../util/file-manifest.js';
import { checksum, normalizeSql } from './checksum.js';

export interface FolderFile {
  /** The file's name within its folder. */
  name: string;
  /** The file as it is on disk. */
  bytes: Buffer;
  /** SHA-256 of its normalised text (a CRLF checkout is the same file), as the engine's checksums. */
  checksum: string;
}

/** Every `*.sql` file of `dir`, in name order; none when the folder does not exist. */
export function readFolderFiles(dir: string): FolderFile[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.sql') && !n.startsWith('.'))
    .sort()
    .map((name) => {
      const bytes = readFileSync(join(dir, name));
      return { name, bytes, checksum: checksum(normalizeSql(bytes.toString('utf8'))) };
    });
}

/** The manifest entry of a folder: file name -> checksum prefix. */
export function fileSetOf(files: readonly FolderFile[]): FileSet {
  return Object.fromEntries(files.map((f) => [f.name, f.checksum.slice(0, FILE_CHECKSUM_LENGTH)]));
}
