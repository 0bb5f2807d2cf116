/**
 * Which migration and seed files a Job was made for: the CLI computes it from
 * the checkout, the Job carries it to its pod (in `EXPECTED_FILES_ENV`), and
 * the pod's `db` command compares it with the files it sees before anything
 * runs. An image tag is a name, never evidence of content: this is.
 */
import { createHash } from 'node:crypto';

/** The variable a Job's container carries the manifest in (JSON, see `encodeManifest`). */
export const EXPECTED_FILES_ENV = 'SCHEMAGATE_EXPECTED_FILES';

/** The folders a Job reads, by their configuration key. */
export const FileSetName = { migrations: 'migrations', seeds: 'seeds' } as const;
export type FileSetName = (typeof FileSetName)[keyof typeof FileSetName];

/** Hex digits of each file's SHA-256 kept in the manifest: 64 bits tell two versions of one file apart. */
export const FILE_CHECKSUM_LENGTH = 16;

/** File name (within its folder) -> the first FILE_CHECKSUM_LENGTH hex digits of its checksum. */
export type FileSet = Readonly<Record<string, string>>;

export interface FileManifest {
  /** The image the Job runs, named in the advice when the files differ. */
  image?: string;
  /** Where the pod's files come from (`kubernetes.migration.source`), for the same advice. */
  source?: 'image' | 'configMap';
  migrations?: FileSet;
  seeds?: FileSet;
}

/** What differs between the files a Job expects and the ones its pod sees, by file name. */
export interface FileSetDiff {
  /** In the checkout, not in the pod. */
  added: string[];
  /** In the pod, not in the checkout. */
  removed: string[];
  /** In both, with other content. */
  changed: string[];
}

const SET_NAMES: readonly FileSetName[] = [FileSetName.migrations, FileSetName.seeds];

function sortedEntries(set: FileSet): [string, string][] {
  return Object.entries(set).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `sha256:<64 hex>` of the sets a manifest names (not of the image): equal digests, equal files. */
export function manifestDigest(m: FileManifest): string {
  const h = createHash('sha256');
  for (const name of SET_NAMES) {
    const set = m[name];
    if (!set) continue;
    h.update(`[${name}]\n`);
    for (const [file, sum] of sortedEntries(set)) h.update(`${file}\t${sum}\n`);
  }
  return `sha256:${h.digest('hex')}`;
}

/** The first 12 hex digits of a digest, as messages show it. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** Canonical JSON (sets and files in a fixed order), so equal manifests render equal Jobs. */
export function encodeManifest(m: FileManifest): string {
  const out: Record<string, unknown> = {};
  if (m.image !== undefined) out['image'] = m.image;
  if (m.source !== undefined) out['source'] = m.source;
  for (const name of SET_NAMES) {
    const set = m[name];
    if (set) out[name] = Object.fromEntries(sortedEntries(set));
  }
  return JSON.stringify(out);
}

function isFileSet(v: unknown): v is FileSet {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v as Record<string, unknown>).every((x) => typeof x === 'string')
  );
}

/** Reads a manifest; `undefined` when the text is not one (the caller names the variable it came from). */
export function parseManifest(text: string): FileManifest | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    if (e instanceof SyntaxError) return undefined;
    throw e;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const m: FileManifest = {};
  if (r['image'] !== undefined) {
    if (typeof r['image'] !== 'string') return undefined;
    m.image = r['image'];
  }
  if (r['source'] !== undefined) {
    if (r['source'] !== 'image' && r['source'] !== 'configMap') return undefined;
    m.source = r['source'];
  }
  for (const name of SET_NAMES) {
    const set = r[name];
    if (set === undefined) continue;
    if (!isFileSet(set)) return undefined;
    m[name] = set;
  }
  return m;
}

/** The sets a manifest names, in a fixed order. */
export function setsOf(m: FileManifest): FileSetName[] {
  return SET_NAMES.filter((n) => m[n] !== undefined);
}

/** Which files differ between what a Job expects and what its pod sees, each list in name order. */
export function diffFileSets(expected: FileSet, actual: FileSet): FileSetDiff {
  const diff: FileSetDiff = { added: [], removed: [], changed: [] };
  for (const [file, sum] of sortedEntries(expected)) {
    const found = actual[file];
    if (found === undefined) diff.added.push(file);
    else if (found !== sum) diff.changed.push(file);
  }
  for (const [file] of sortedEntries(actual)) if (expected[file] === undefined) diff.removed.push(file);
  return diff;
}

export function isEmptyDiff(d: FileSetDiff): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
}
