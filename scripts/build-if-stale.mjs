#!/usr/bin/env node
// `npm run up:local` and friends: build only when a source is newer than the
// build (a full build takes ~15 s; the command it precedes takes ~0.3 s).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/** What the build reads: every source file, and the files that say how to build. */
const INPUTS = ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'scripts/bundle-cli.mjs'];
/** What the build writes, oldest first checked: all must exist. */
const OUTPUTS = ['dist/src/cli.js', 'dist/vendor/client-node.js', 'dist/src/vendor/yaml.cjs'];

/**
 * The newest modification time of `path` or anything under it (0: it does not exist).
 * @param {string} path
 * @returns {number}
 */
function newest(path) {
  let s;
  try {
    s = statSync(path);
  } catch {
    return 0;
  }
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((n) => newest(join(path, n))));
}

/**
 * Why `root` needs a build, or undefined when its build is newer than every input.
 * @param {string} root
 * @returns {string | undefined}
 */
export function staleReason(root) {
  const built = Math.min(...OUTPUTS.map((o) => newest(join(root, o)) || -1));
  if (built < 0) return 'not built yet';
  for (const input of INPUTS) if (newest(join(root, input)) > built) return `${input} changed since the last build`;
  return undefined;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const why = staleReason(root);
  if (why) {
    process.stderr.write(`building (${why})\n`);
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  }
}
