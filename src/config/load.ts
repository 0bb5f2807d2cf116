/**
 * Loading `schemagate.yaml`: find the file, parse the YAML, validate every key
 * (all problems reported at once), and map it onto `Config`. Cheap on purpose:
 * it runs in every pod, so it imports neither `pg` nor the Kubernetes client.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import { ConfigError, ExitCode, SchemagateError } from '../errors.js';
import { registerUrlSecrets } from '../redact.js';
import { scrubUrls } from './found.js';
import { configSpec, crossCheck, toConfig } from './schema.js';
import type { Issues } from './spec.js';
import type { Config } from './types.js';

export { resolveDatabaseUrl, type DatabaseUrlSource } from './database-url.js';

/** The file read when no --config is given. */
export const DEFAULT_CONFIG_FILE = 'schemagate.yaml';

// `yaml` costs ~30 ms to import from its ~70 files: loaded only when there is a file to parse (a pod's
// `db migrate` with no schemagate.yaml never pays for it), and from the one-file bundle `npm run build`
// writes (dist/src/vendor/yaml.cjs: ~6 ms), the same code; from the package when running from source.
// `../vendor` is that folder from dist/src/config/ and from the CLI bundle's dist/src/chunks/.
let yamlModule: typeof Yaml | undefined;
function yaml(): typeof Yaml {
  if (!yamlModule) {
    const require = createRequire(import.meta.url);
    const bundle = fileURLToPath(new URL('../vendor/yaml.cjs', import.meta.url));
    yamlModule = (existsSync(bundle) ? require(bundle) : require('yaml')) as typeof Yaml;
  }
  return yamlModule;
}

export interface LoadOptions {
  /** An explicit config file (`--config`): it must exist. Relative to `cwd`. */
  file?: string;
  /** @default process.cwd() */
  cwd?: string;
  /**
   * Read for `SCHEMAGATE_CONFIG` (a config file to use when `file` is not
   * given; it must exist). The database URL's override is `resolveDatabaseUrl`'s.
   * @default process.env
   */
  env?: NodeJS.ProcessEnv;
}

/** A path as messages show it: relative to `cwd` when it is inside it. */
function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** Where an explicitly named config file came from, as messages say it. */
type Origin = 'the --config option' | 'SCHEMAGATE_CONFIG';

function readError(display: string, err: NodeJS.ErrnoException, origin: Origin | undefined): SchemagateError {
  if (err.code === 'ENOENT' && origin) {
    return new SchemagateError(
      'config-not-found',
      `${display}: the configuration file named by ${origin} does not exist.`,
      {
        exitCode: ExitCode.config,
        context: { file: display },
        hint: `Check the path (it is relative to the working directory), or leave out ${origin === 'SCHEMAGATE_CONFIG' ? 'SCHEMAGATE_CONFIG' : '--config'} to read ${DEFAULT_CONFIG_FILE} from the current directory.`,
        cause: err,
      },
    );
  }
  return new SchemagateError(
    'config-unreadable',
    `${display}: cannot read the configuration file (${err.code ?? err.message}).`,
    {
      exitCode: ExitCode.config,
      context: { file: display },
      hint:
        err.code === 'EISDIR'
          ? 'Point --config at the YAML file, not at its directory.'
          : 'Check that the file exists and is readable.',
      cause: err,
    },
  );
}

/**
 * Reads the configuration: `opts.file`, else `SCHEMAGATE_CONFIG` (either must
 * exist), else `schemagate.yaml` in `cwd`; no file there means all defaults.
 */
export function loadConfig(opts: LoadOptions = {}): Config {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const fromEnv = (opts.env ?? process.env)['SCHEMAGATE_CONFIG'];
  const named = opts.file ?? (fromEnv ? fromEnv : undefined);
  const origin: Origin | undefined =
    opts.file !== undefined ? 'the --config option' : named !== undefined ? 'SCHEMAGATE_CONFIG' : undefined;
  const file = resolve(cwd, named ?? DEFAULT_CONFIG_FILE);
  const display = displayPath(file, cwd);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (origin === undefined && err.code === 'ENOENT') return defaultConfig(cwd);
    throw readError(display, err, origin);
  }
  return parse(text, display, dirname(file), file);
}

/** The configuration when there is no file: every default, directories relative to `root`. */
export function defaultConfig(root: string): Config {
  return parse('', '(defaults)', root, undefined);
}

/** Parses and validates the text of a config file; `file` names it in messages, `root` anchors its directories. */
export function parseConfig(text: string, file: string, root: string): Config {
  return parse(text, file, root, file);
}

/** `file` names the source in messages; `configFile` is what `Config.file` records. */
function parse(text: string, file: string, root: string, configFile: string | undefined): Config {
  // No file: all defaults, without loading the YAML parser.
  const data = configFile === undefined && text === '' ? null : parseYaml(text, file);
  const issues: Issues = [];
  const raw = configSpec.read(data ?? {}, '', issues);
  if (raw) crossCheck(raw, issues);
  if (issues.length > 0 || !raw) {
    throw new ConfigError(
      file,
      issues.map((i) => ({ key: scrubUrls(i.key), message: scrubUrls(i.message) })),
      'Fix the keys above; docs/configuration.md lists every key with its type and default.',
    );
  }
  return toConfig(raw, configFile, resolve(root));
}

/** The YAML document as plain data (null for an empty file); syntax errors point at line and column. */
function parseYaml(text: string, file: string): unknown {
  // Register every URL's password before anything can quote the line it is on (any key, any YAML style).
  for (const m of text.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi)) registerUrlSecrets(m[0]);
  const lineCounter = new (yaml().LineCounter)();
  // prettyErrors off: its code frame would quote the source line, password and all.
  const doc = yaml().parseDocument(text, { prettyErrors: false, lineCounter, uniqueKeys: true });
  const first = doc.errors[0] ?? doc.warnings[0];
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    throw syntaxError(file, text, line, col, first.message);
  }
  // yaml reports an alias to a missing anchor only by throwing from toJS(): find it first.
  let unresolved: Yaml.Alias | undefined;
  yaml().visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) === undefined) {
        unresolved = node;
        return yaml().visit.BREAK;
      }
      return undefined;
    },
  });
  if (unresolved) {
    const { line, col } = lineCounter.linePos(unresolved.range?.[0] ?? 0);
    throw syntaxError(
      file,
      text,
      line,
      col,
      `Unresolved alias *${unresolved.source}: no anchor &${unresolved.source} is defined before it`,
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw syntaxError(file, text, 1, 1, e instanceof Error ? e.message : String(e));
  }
}

function syntaxError(file: string, text: string, line: number, col: number, message: string): SchemagateError {
  const source = text.split(/\r?\n/)[line - 1];
  const frame =
    source === undefined
      ? ''
      : `\n  ${line} | ${scrubUrls(source)}\n  ${' '.repeat(String(line).length)} | ${' '.repeat(Math.max(0, col - 1))}^`;
  return new SchemagateError('config-yaml', `${file}:${line}:${col}: invalid YAML: ${scrubUrls(message)}`, {
    exitCode: ExitCode.config,
    context: { file },
    hint: `Fix the YAML near line ${line}: check the indentation (spaces, not tabs) and quote values that contain ": " or " #".${frame}`,
  });
}
