/**
 * A folder tree as one compressed file: how a migration set too large for a
 * ConfigMap's plain keys still fits in one (binaryData, gzip). The CLI packs
 * it when it renders the ConfigMap; the pod unpacks it (`db --bundle`).
 */
import { gunzipSync, gzipSync } from 'node:zlib';

/** The ConfigMap key (and file name in the pod) of a bundle. */
export const BUNDLE_KEY = 'files.json.gz';

const FORMAT = 'schemagate-files/v1';

/** Relative path (`migrations/001_x.sql`) -> bytes. */
export type BundleFiles = ReadonlyMap<string, Buffer>;

/** Whether a path stays inside the folder it is unpacked into. */
export function isSafeRelativePath(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.includes('\\') || path.includes('\0')) return false;
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

export function packBundle(files: BundleFiles): Buffer {
  const entries = [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const json = JSON.stringify({
    format: FORMAT,
    files: Object.fromEntries(entries.map(([p, b]) => [p, b.toString('base64')])),
  });
  const gz = gzipSync(Buffer.from(json), { level: 9 });
  // The header's OS byte varies with the platform zlib was built for: "unknown" everywhere, so the same
  // files give the same bytes (and the same ConfigMap name) on every machine. Its mtime is already 0.
  gz[9] = 255;
  return gz;
}

/** The files of a bundle; throws an Error naming what is wrong with it. */
export function unpackBundle(bytes: Buffer): BundleFiles {
  let raw: unknown;
  try {
    raw = JSON.parse(gunzipSync(bytes).toString('utf8'));
  } catch (e) {
    throw new Error(`not a gzip-compressed JSON bundle: ${(e as Error).message}`, { cause: e });
  }
  const r = raw as { format?: unknown; files?: unknown } | null;
  if (r?.format !== FORMAT || typeof r.files !== 'object' || r.files === null)
    throw new Error(`not a ${FORMAT} bundle`);
  const out = new Map<string, Buffer>();
  for (const [path, b64] of Object.entries(r.files as Record<string, unknown>)) {
    if (!isSafeRelativePath(path) || typeof b64 !== 'string') throw new Error(`bad entry ${JSON.stringify(path)}`);
    out.set(path, Buffer.from(b64, 'base64'));
  }
  return out;
}
