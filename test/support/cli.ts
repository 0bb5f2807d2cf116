import { execa } from 'execa';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI (tests run `npm run build` first: `npm test` does). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const cliPath = join(repoRoot, 'dist/src/cli.js');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout + stderr, for "never prints the password" checks. */
  all: string;
}

/** Runs `schemagate ...args` as a whole process, as a user or a pod would. */
export async function cli(
  args: string[],
  opts: {
    cwd?: string;
    env?: Record<string, string | undefined>;
    timeout?: number;
    input?: string;
    /** Flags for node itself, before the CLI's path (e.g. `--import` a hook). */
    nodeArgs?: string[];
  } = {},
): Promise<CliResult> {
  const r = await execa(process.execPath, [...(opts.nodeArgs ?? []), cliPath, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { NO_COLOR: '1', CI: '1', DATABASE_URL: undefined, ...opts.env },
    extendEnv: true,
    reject: false,
    timeout: opts.timeout ?? 60_000,
    all: true,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' }),
  });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, all: r.all };
}

/** A temporary project folder with the given files (paths relative to it). */
export function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'schemagate-project-'));
  for (const [rel, text] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  mkdirSync(join(dir, 'migrations'), { recursive: true });
  return dir;
}
