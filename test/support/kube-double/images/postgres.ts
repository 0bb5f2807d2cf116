/**
 * The ImageConfig of the emulated `postgres` image (postgres-entrypoint.ts,
 * built to dist/ by `npm run build`), and its pg_isready on the PATH.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImageConfig } from '../kubelet/images.js';

/** The built entrypoint: next to this module in dist/, or dist/ of the checkout when run from source. */
function entrypointScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, 'postgres-entrypoint.js'),
    join(here, '..', '..', '..', '..', 'dist', 'test', 'support', 'kube-double', 'images', 'postgres-entrypoint.js'),
  ];
  const found = candidates.find((f) => existsSync(f));
  if (!found)
    throw new Error(`the emulated postgres image needs \`npm run build\` (looked for ${candidates.join(', ')})`);
  return found;
}

/** Writes the image's bin folder (pg_isready) under `root` and returns the image config. */
export function postgresImage(root: string): ImageConfig {
  const script = entrypointScript();
  const bin = join(root, 'postgres-image-bin');
  mkdirSync(bin, { recursive: true });
  const shim = join(bin, 'pg_isready');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${script}" pg_isready "$@"\n`);
  chmodSync(shim, 0o755);
  return {
    entrypoint: [process.execPath, script],
    cmd: ['postgres'],
    env: { PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}` },
  };
}
