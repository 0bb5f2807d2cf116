import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { ExitCode, SchemagateError } from '../errors.js';

/**
 * Squawk (the PostgreSQL migration linter) as a child process: where its
 * binary is, and one run over a batch of files with its JSON reporter. The
 * rules are Squawk's; schemagate only decides what to give it and how.
 */
export interface SquawkBinary {
  path: string;
  /** Where the path came from, for messages. */
  from: string;
}

/** The environment variable that points lint at a squawk binary of the user's choice. */
export const SQUAWK_ENV = 'SCHEMAGATE_SQUAWK';

const INSTALL_HINT = `Install it with \`npm install --include=optional\` in the project (squawk-cli is an optional dependency of schemagate), or point ${SQUAWK_ENV} at a squawk binary (2.x). To skip lint in \`check\` and Tilt, set lint.enabled: false.`;

export class SquawkError extends SchemagateError {
  override readonly name = 'SquawkError';
  constructor(code: string, message: string, hint: string, cause?: unknown) {
    super(code, message, { exitCode: ExitCode.config, hint, ...(cause === undefined ? {} : { cause }) });
  }
}

/** `$SCHEMAGATE_SQUAWK`, else the binary of the npm package squawk-cli (resolved, not run through its Node wrapper). */
export function findSquawk(
  env: NodeJS.ProcessEnv = process.env,
  load: () => { getBinaryPath(): string } = () =>
    createRequire(import.meta.url)('squawk-cli/js/index.js') as { getBinaryPath(): string },
): SquawkBinary {
  const fromEnv = env[SQUAWK_ENV];
  if (fromEnv) return { path: fromEnv, from: SQUAWK_ENV };
  let pkg: { getBinaryPath(): string };
  try {
    pkg = load();
  } catch (e) {
    throw new SquawkError(
      'lint.squawk-missing',
      'lint needs Squawk, and the npm package squawk-cli is not installed',
      INSTALL_HINT,
      e,
    );
  }
  try {
    return { path: pkg.getBinaryPath(), from: 'the npm package squawk-cli' };
  } catch (e) {
    // Its message names the platform package that is missing.
    throw new SquawkError(
      'lint.squawk-missing',
      `lint needs Squawk, and squawk-cli has no binary here: ${(e as Error).message.split('\n')[0]}`,
      INSTALL_HINT,
      e,
    );
  }
}

/** One finding as Squawk's JSON reporter writes it (lines and columns 0-based, columns in UTF-8 bytes). */
export interface SquawkViolation {
  file: string;
  line: number;
  column: number;
  lineEnd: number;
  columnEnd: number;
  level: string;
  message: string;
  help: string | undefined;
  rule: string;
}

export interface SquawkBatch {
  /** Paths (absolute, or relative to `cwd`), as Squawk will report them. */
  files: string[];
  cwd: string;
  /** An empty config file, so that no `.squawk.toml` above `cwd` changes the rules behind schemagate's back. */
  configFile: string;
  assumeInTransaction: boolean;
  exclude: string[];
  include: string[];
  pgVersion: string | undefined;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function exec(bin: SquawkBinary, args: string[], cwd: string, signal?: AbortSignal): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin.path, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError') {
        reject(signal?.reason instanceof Error ? signal.reason : e);
        return;
      }
      reject(
        new SquawkError(
          'lint.squawk-broken',
          `cannot run squawk ${bin.path} (from ${bin.from}): ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'not executable' : e.message}`,
          INSTALL_HINT,
          e,
        ),
      );
    });
    child.on('close', (code, sig) =>
      resolve({
        code,
        signal: sig,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

function brokenOutput(bin: SquawkBinary, r: Exit, what: string): SquawkError {
  const tail = r.stderr.trim().split('\n').slice(0, 5).join('\n');
  const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
  return new SquawkError(
    'lint.squawk-broken',
    `squawk ${bin.path} (from ${bin.from}) ${how} ${what}${tail ? `:\n${tail}` : ''}`,
    `schemagate reads the JSON of Squawk 2.x (\`--reporter json\`). ${INSTALL_HINT}`,
  );
}

/** Squawk's usage error for a rule name it does not know, e.g. `invalid rule name bogus`. */
export function unknownRule(stderr: string): string | undefined {
  return /invalid rule name ([a-z0-9-]+)/.exec(stderr)?.[1];
}

export class UnknownRuleError extends Error {
  constructor(readonly rule: string) {
    super(`unknown Squawk rule ${rule}`);
  }
}

function parseViolations(bin: SquawkBinary, r: Exit): SquawkViolation[] {
  let data: unknown;
  try {
    data = JSON.parse(r.stdout);
  } catch {
    throw brokenOutput(bin, r, 'without the JSON report it was asked for');
  }
  if (!Array.isArray(data)) throw brokenOutput(bin, r, 'with a JSON report that is not a list');
  return data.map((v: Record<string, unknown>) => {
    const n = (k: string) => {
      if (typeof v[k] !== 'number') throw brokenOutput(bin, r, `with a finding without "${k}"`);
      return v[k];
    };
    const s = (k: string) => {
      if (typeof v[k] !== 'string') throw brokenOutput(bin, r, `with a finding without "${k}"`);
      return v[k];
    };
    return {
      file: s('file'),
      line: n('line'),
      column: n('column'),
      lineEnd: typeof v['line_end'] === 'number' ? v['line_end'] : n('line'),
      columnEnd: typeof v['column_end'] === 'number' ? v['column_end'] : n('column'),
      level: s('level'),
      message: s('message'),
      help: typeof v['help'] === 'string' ? v['help'] : undefined,
      rule: s('rule_name'),
    };
  });
}

function ruleArgs(flag: string, rules: readonly string[]): string[] {
  return rules.length > 0 ? [`${flag}=${rules.join(',')}`] : [];
}

/** Runs Squawk over one batch. Throws UnknownRuleError for a rule name Squawk does not know. */
export async function runSquawk(
  bin: SquawkBinary,
  batch: SquawkBatch,
  signal?: AbortSignal,
): Promise<SquawkViolation[]> {
  const args = [
    '--reporter=json',
    `--config=${batch.configFile}`,
    batch.assumeInTransaction ? '--assume-in-transaction' : '--no-assume-in-transaction',
    ...ruleArgs('--exclude', batch.exclude),
    ...ruleArgs('--include', batch.include),
    ...(batch.pgVersion ? [`--pg-version=${batch.pgVersion}`] : []),
    ...batch.files,
  ];
  const r = await exec(bin, args, batch.cwd, signal);
  if (r.code === 2) {
    const rule = unknownRule(r.stderr);
    if (rule) throw new UnknownRuleError(rule);
  }
  // 0: nothing found, 1: findings (or a file that does not parse, reported as syntax-error).
  if (r.code !== 0 && r.code !== 1) throw brokenOutput(bin, r, 'instead of linting');
  return parseViolations(bin, r);
}

/** Squawk's version line (`squawk 2.61.0`), for reports. */
export async function squawkVersion(bin: SquawkBinary, cwd: string, signal?: AbortSignal): Promise<string> {
  const r = await exec(bin, ['--version'], cwd, signal);
  const m = /(\d+\.\d+\.\d+)/.exec(r.stdout);
  if (r.code !== 0 || !m) throw brokenOutput(bin, r, 'when asked for its version');
  return m[1] ?? m[0];
}
