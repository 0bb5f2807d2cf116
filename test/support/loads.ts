import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cliPath, repoRoot } from './cli.js';

/**
 * What a command of the built CLI loads at run time. Hooks preloaded with
 * `node --import` record every module the ESM loader resolves and every file
 * CommonJS loads (`createRequire`: yaml, squawk-cli's locator, pg when it is
 * not bundled). `npm run build` bundles the CLI with esbuild (bundle:cli): a
 * chunk that loads stands for the modules esbuild put into it, read from the
 * bundle's metafile, so `modules` names the same files
 * (`.../dist/src/wait/tcp.js`, `.../node_modules/pg/lib/client.js`) whether
 * the CLI is bundled or not.
 */
export interface Loads {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** As the process loaded them: file URLs (bundle outputs as such) and `node:` names. */
  raw: string[];
  /** The same, each bundle output replaced by the files bundled into it (those it holds code of). */
  modules: string[];
}

export const BUNDLE_META = join(repoRoot, 'dist/cli-bundle.json');

const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.LOAD_LOG, r.url + '\\n');
  return r;
}
`;

const REGISTER = `import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { pathToFileURL } from 'node:url';
register('./hooks.mjs', import.meta.url);
const load = Module._load;
// The CLI bundle reports each module it initialises on first use (scripts/bundle-cli.mjs, traceInits).
globalThis.__schemagateModuleInit = (path) => appendFileSync(process.env.LOAD_LOG, 'init:' + path + '\\n');
Module._load = function (request, parent, isMain) {
  let file;
  try {
    file = Module._resolveFilename(request, parent, isMain);
  } catch {
    // Not found: load throws what the caller expects.
  }
  if (file) appendFileSync(process.env.LOAD_LOG, (file.startsWith('/') ? pathToFileURL(file).href : 'node:' + file.replace(/^node:/, '')) + '\\n');
  return load.apply(this, arguments);
};
`;

let hooksDir: string | undefined;

function register(): string {
  if (!hooksDir) {
    hooksDir = mkdtempSync(join(tmpdir(), 'schemagate-loads-'));
    writeFileSync(join(hooksDir, 'hooks.mjs'), HOOKS);
    writeFileSync(join(hooksDir, 'register.mjs'), REGISTER);
  }
  return join(hooksDir, 'register.mjs');
}

interface Metafile {
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
}

/** What a bundle output holds: the modules initialised when it loads, and those initialised on first use. */
interface BundleOutput {
  eager: string[];
  lazy: Set<string>;
}

/** The bundle's outputs (repo-relative) and what each holds; undefined when dist/src/cli.js is not the bundle's loader. */
export function bundleContents(): Map<string, BundleOutput> | undefined {
  if (!existsSync(BUNDLE_META)) return undefined;
  // tsc alone (without bundle:cli) rewrites dist/src/cli.js and leaves the metafile behind.
  if (!readFileSync(join(repoRoot, 'dist/src/cli.js'), 'utf8').includes('Written by scripts/bundle-cli.mjs'))
    return undefined;
  const meta = JSON.parse(readFileSync(BUNDLE_META, 'utf8')) as Metafile;
  const built = (out: string) =>
    existsSync(join(repoRoot, out)) && statSync(join(repoRoot, out)).size === meta.outputs[out]?.bytes;
  const contents = new Map<string, BundleOutput>();
  for (const [out, o] of Object.entries(meta.outputs)) {
    if (!built(out)) throw new Error(`${out} is not what ${BUNDLE_META} describes: run npm run build`);
    // esbuild wraps a module reached through import() (__esm) and a bundled CommonJS file (__commonJS) under its
    // path; in a bundle without the trace (pg.cjs), everything counts as loaded with it.
    const text = readFileSync(join(repoRoot, out), 'utf8');
    const traced = text.includes('__schemagateModuleInit');
    const lazy = new Set(
      [...(traced ? text : '').matchAll(/__(?:esm|commonJS)\(\{\n\s*"([^"]+)"\(/g)].map((m) => m[1] ?? ''),
    );
    const inputs = Object.entries(o.inputs)
      .filter(([, i]) => i.bytesInOutput > 0)
      .map(([input]) => input);
    contents.set(out, { eager: inputs.filter((i) => !lazy.has(i)), lazy });
  }
  return contents;
}

/**
 * The files behind what the process loaded: a bundle output stands for the modules it
 * initialises at once, plus the lazily initialised ones its trace reported (`init:` lines).
 */
function expand(raw: readonly string[], contents: Map<string, BundleOutput> | undefined): string[] {
  const out = new Set<string>();
  const inits = raw.filter((r) => r.startsWith('init:')).map((r) => r.slice('init:'.length));
  for (const url of raw) {
    if (url.startsWith('init:')) continue;
    if (!url.startsWith('file://')) {
      out.add(url);
      continue;
    }
    const rel = relative(repoRoot, fileURLToPath(url)).split(sep).join('/');
    const bundle = contents?.get(rel);
    if (bundle) {
      for (const i of bundle.eager) out.add(pathToFileURL(join(repoRoot, i)).href);
      for (const i of inits) if (bundle.lazy.has(i)) out.add(pathToFileURL(join(repoRoot, i)).href);
    } else if (rel.startsWith('dist/src/chunks/')) throw new Error(`${rel} loaded, but no bundle metafile names it`);
    else out.add(url);
  }
  return [...out];
}

/** Runs `schemagate ...args` with the hooks and returns what it loaded. */
export async function loadsOf(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<Loads> {
  const log = join(register(), '..', `${process.pid}-${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(log, '');
  const r = await execa(process.execPath, ['--import', register(), cliPath, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { NO_COLOR: '1', CI: '1', DATABASE_URL: undefined, ...opts.env, LOAD_LOG: log },
    reject: false,
    timeout: 60_000,
    stdin: 'ignore',
  });
  const lines = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))];
  return {
    exitCode: r.exitCode ?? -1,
    stdout: r.stdout,
    stderr: r.stderr,
    raw: lines.filter((l) => !l.startsWith('init:')),
    modules: expand(lines, bundleContents()),
  };
}
