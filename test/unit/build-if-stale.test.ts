import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without type declarations
import { staleReason } from '../../scripts/build-if-stale.mjs';

const reason = staleReason as (root: string) => string | undefined;

/** A checkout whose files were written `minutesAgo`; undefined leaves a file out. */
function tree(files: Record<string, number | undefined>): string {
  const root = mkdtempSync(join(tmpdir(), 'schemagate-stale-'));
  for (const [rel, minutesAgo] of Object.entries(files)) {
    if (minutesAgo === undefined) continue;
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '');
    const t = new Date(Date.now() - minutesAgo * 60_000);
    utimesSync(path, t, t);
  }
  return root;
}

const sources = {
  'src/cli.ts': 10,
  'src/engine/migrate.ts': 10,
  'package.json': 10,
  'package-lock.json': 10,
  'tsconfig.json': 10,
};

/** Every output of `npm run build` that up:local runs, a minute old. */
const built = { 'dist/src/cli.js': 1, 'dist/vendor/client-node.js': 1, 'dist/src/vendor/yaml.cjs': 1 };

describe('npm run up:local builds only when the build is out of date', () => {
  it('builds a checkout that was never built', () => {
    expect(reason(tree(sources))).toBe('not built yet');
    expect(reason(tree({ ...sources, 'dist/src/cli.js': 1 }))).toBe('not built yet');
    expect(reason(tree({ ...sources, ...built, 'dist/src/vendor/yaml.cjs': undefined }))).toBe('not built yet');
  });

  it('skips the build when it is newer than every source', () => {
    expect(reason(tree({ ...sources, ...built }))).toBeUndefined();
  });

  it('builds again after a source file or the package manifest changed', () => {
    expect(reason(tree({ ...sources, 'src/engine/migrate.ts': 0, ...built }))).toBe('src changed since the last build');
    expect(reason(tree({ ...sources, 'package.json': 0, ...built }))).toBe('package.json changed since the last build');
  });
});
