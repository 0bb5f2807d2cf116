/**
 * Images with content: a directory copied at "build" time stands for the
 * image's WORKDIR, so a test can run an image whose files (migrations, say)
 * differ from the checkout's, and the image's digest is a hash of those
 * files, as a registry's digest is a hash of the image.
 * https://kubernetes.io/docs/concepts/containers/images/#image-names
 */
import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ImageContent } from './images.js';

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Copies `from` (skipping node_modules, .git and dist unless asked) into `to` and hashes what was copied. */
export function snapshotImage(from: string, to: string, include?: (rel: string) => boolean): ImageContent {
  const skip = new Set(['node_modules', '.git']);
  cpSync(from, to, {
    recursive: true,
    filter: (src) => {
      const rel = relative(from, src);
      if (rel === '') return true;
      if (skip.has(rel.split(/[\\/]/)[0] ?? '')) return false;
      return include ? statSync(src).isDirectory() || include(rel) : true;
    },
  });
  const hash = createHash('sha256');
  let size = 0;
  for (const f of files(to)) {
    const data = readFileSync(f);
    size += data.length;
    hash.update(relative(to, f)).update('\0').update(data).update('\0');
  }
  return { dir: to, digest: `sha256:${hash.digest('hex')}`, size };
}
