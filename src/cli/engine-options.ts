import { engineOptionsFor } from '../api/engine-options.js';
import { loadConfig, resolveDatabaseUrl } from '../config/load.js';
import type { Config } from '../config/types.js';
import { UsageError } from '../errors.js';
import type { EngineOptions } from '../engine/session.js';
import { parseDuration } from '../util/duration.js';
import { flag, type Parsed, str } from './args.js';
import type { Output } from './output.js';

/** Loads schemagate.yaml (`--config`), or all defaults when there is none. */
export function configFrom(p: Parsed, env: NodeJS.ProcessEnv = process.env): Config {
  const file = str(p, 'config');
  return loadConfig({ ...(file ? { file } : {}), cwd: process.cwd(), env });
}

export function durationFlag(p: Parsed, name: string): number | undefined {
  const text = str(p, name);
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`--${name} ${text}: not a duration (expected e.g. 500ms, 30s, 5m, 1h)`);
  return ms;
}

/**
 * The wrapper layer: settings from schemagate.yaml, overridden by flags and
 * the environment, turned into the engine's options.
 */
export function engineOptions(
  config: Config,
  p: Parsed,
  out: Output,
  signal: AbortSignal | undefined,
  overrides: { url?: string; env?: NodeJS.ProcessEnv } = {},
): EngineOptions {
  return engineOptionsFor(config, {
    url: overrides.url ?? resolveDatabaseUrl(config, str(p, 'database-url'), overrides.env).url,
    migrationsDir: str(p, 'migrations'),
    seedsDir: str(p, 'seeds'),
    lockWaitMs: durationFlag(p, 'lock-wait'),
    allowEmpty: flag(p, 'allow-empty'),
    log: (line) => out.progress(line),
    // PostgreSQL's warnings are shown always (also with --quiet), its notices with --verbose.
    notice: (level, line) => (level === 'warning' ? out.warn(line) : out.debug(line)),
    signal,
  });
}
