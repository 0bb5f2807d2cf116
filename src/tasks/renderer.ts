import type { Output } from '../util/output.js';

/**
 * listr2's renderer by environment (STYLE 18): the live renderer in a
 * terminal, plain lines in CI or when output is not a TTY, nothing with
 * --json or --quiet. Colour follows NO_COLOR (listr2 reads it too).
 */
export function rendererFor(out: Output, env: NodeJS.ProcessEnv = process.env): 'default' | 'simple' | 'silent' {
  if (out.json || out.quiet) return 'silent';
  if (env.CI || !process.stderr.isTTY || env.TERM === 'dumb') return 'simple';
  return 'default';
}
