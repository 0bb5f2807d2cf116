import type { Config } from '../config/types.js';
import type { EngineSettings } from '../engine/context.js';
import { readMigrations } from '../engine/files.js';
import type { EngineOptions } from '../engine/session.js';
import { type LintResult, lintTargets, type LintTarget } from './lint.js';
import { filesSince, type LintScope, pendingOn, targetsOf } from './scope.js';

/** Which migrations to lint, as the user asked. */
export type ScopeRequest =
  /** What is pending on this database (and its server's version). */
  | { kind: 'database'; engine: EngineOptions }
  /** Every migration. */
  | { kind: 'all' }
  /** Versions above `since`. */
  | { kind: 'since'; since: string }
  /** No database: versions above lint.since, or all when it is unset. */
  | { kind: 'offline' };

export interface PgVersion {
  version: string;
  from: '--pg-version' | 'the server' | 'lint.pgVersion';
}

export interface LintReport extends LintResult {
  scope: LintScope;
  /** Undefined: Squawk's default (a current PostgreSQL). */
  pgVersion: PgVersion | undefined;
  targets: LintTarget[];
}

export interface LintOptions {
  config: Config;
  migrationsDir: string;
  settings: EngineSettings;
  scope: ScopeRequest;
  /** `--pg-version`: wins over the server's and the configuration's. */
  pgVersion: string | undefined;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal | undefined;
}

/**
 * The wrapper layer of `schemagate lint` (and of the lint line of `check`):
 * settings from schemagate.yaml and flags, the migrations in scope, then
 * Squawk over them.
 */
export async function runLint(o: LintOptions): Promise<LintReport> {
  const { lint } = o.config;
  const files = readMigrations(o.migrationsDir, o.config.migrations.format);
  let scope: LintScope;
  let selected = files;
  let serverVersion: string | undefined;
  const req = o.scope;
  if (req.kind === 'database') {
    const p = await pendingOn(req.engine, files);
    scope = p.scope;
    selected = p.files;
    serverVersion = p.pgVersion;
  } else if (req.kind === 'since') {
    selected = filesSince(files, req.since, '--since');
    scope = { kind: 'since', since: req.since, from: '--since' };
  } else if (req.kind === 'offline' && lint.since !== undefined) {
    selected = filesSince(files, lint.since, 'lint.since');
    scope = { kind: 'since', since: lint.since, from: 'lint.since' };
  } else {
    scope = { kind: 'all' };
  }
  const pgVersion: PgVersion | undefined = o.pgVersion
    ? { version: o.pgVersion, from: '--pg-version' }
    : serverVersion
      ? { version: serverVersion, from: 'the server' }
      : lint.pgVersion
        ? { version: lint.pgVersion, from: 'lint.pgVersion' }
        : undefined;
  const targets = targetsOf(selected, o.settings);
  const result = await lintTargets({
    targets,
    rules: lint,
    pgVersion: pgVersion?.version,
    configFile: o.config.file,
    ...(o.env ? { env: o.env } : {}),
    signal: o.signal,
  });
  return { ...result, scope, pgVersion, targets };
}
