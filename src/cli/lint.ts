import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { flag, type Options, str } from './args.js';
import type { CommandContext } from './db.js';
import { configFrom, engineOptions } from './engine-options.js';
import { resolveDatabaseUrl } from '../config/load.js';
import type { Config } from '../config/types.js';
import { ExitCode, UsageError } from '../errors.js';
import { renderLint } from '../lint/report.js';
import { type LintReport, runLint, type ScopeRequest } from '../lint/run.js';

const options: Options = {
  'database-url': {
    type: 'string',
    description:
      'lint what is pending on this database, for its PostgreSQL version (default: $DATABASE_URL, then database.url)',
    value: 'URL',
  },
  local: { type: 'boolean', description: 'lint what is pending on the embedded PostgreSQL of --local' },
  offline: {
    type: 'boolean',
    description: 'connect to no database: lint the migrations after lint.since (all when unset)',
  },
  all: { type: 'boolean', description: 'lint every migration (connects to no database)' },
  since: {
    type: 'string',
    description: 'lint the migrations after this version (connects to no database)',
    value: 'V',
  },
  'pg-version': {
    type: 'string',
    description: "the target's PostgreSQL version (default: the server's, then lint.pgVersion)",
    value: 'V',
  },
  migrations: { type: 'string', description: 'migrations folder (default: migrations.dir)', value: 'DIR' },
  'exit-zero': { type: 'boolean', description: 'exit 0 even when there are errors (show them, fail nothing)' },
  'if-enabled': { type: 'boolean', description: 'do nothing when lint.enabled is false (what Tilt runs)' },
};

/** Is a database named anywhere (flag, environment, config)? Lint connects only then. */
function namedDatabase(config: Config, c: CommandContext): string | undefined {
  const given = str(c.args, 'database-url') ?? c.env[config.database.urlEnv] ?? config.database.url;
  if (given === undefined || given.trim() === '') return undefined;
  return resolveDatabaseUrl(config, str(c.args, 'database-url'), c.env).url;
}

function exclusive(c: CommandContext): void {
  const given = ['database-url', 'local', 'offline', 'all', 'since'].filter((f) => c.args.values[f] !== undefined);
  if (given.length > 1)
    throw new UsageError(
      `lint: --${given[0]} and --${given[1]} cannot be combined`,
      'Choose one: a database (--database-url, --local), or no database (--offline, --all, --since V).',
    );
}

async function lintOn(c: CommandContext, config: Config, scope: ScopeRequest): Promise<LintReport> {
  const pg = str(c.args, 'pg-version');
  if (pg !== undefined && !/^\d+(?:\.\d+){0,2}$/.test(pg))
    throw new UsageError(`--pg-version ${pg}: not a PostgreSQL version (expected e.g. 16 or 15.4)`);
  const m = config.migrations;
  return runLint({
    config,
    migrationsDir: resolve(str(c.args, 'migrations') ?? m.dir),
    settings: { lockTimeoutMs: m.lockTimeoutMs, lockRetries: m.lockRetries, statementTimeoutMs: m.statementTimeoutMs },
    scope,
    pgVersion: pg,
    env: c.env,
    signal: c.signal,
  });
}

async function lint(c: CommandContext): Promise<LintReport> {
  exclusive(c);
  const config = configFrom(c.args, c.env);
  if (flag(c.args, 'all')) return lintOn(c, config, { kind: 'all' });
  const since = str(c.args, 'since');
  if (since !== undefined) return lintOn(c, config, { kind: 'since', since });
  if (flag(c.args, 'offline')) return lintOn(c, config, { kind: 'offline' });
  if (flag(c.args, 'local')) {
    const dir = resolve(config.root, config.local.dataDir);
    // No embedded database yet: every migration is pending there; creating one just to say so would take seconds.
    if (!existsSync(dir)) return lintOn(c, config, { kind: 'all' });
    const { startEmbedded } = await import('../engine/embedded.js');
    const server = await startEmbedded({
      dir,
      port: config.local.port,
      database: config.local.database,
      log: (line) => c.out.progress(line),
    });
    try {
      return await lintOn(c, config, {
        kind: 'database',
        engine: engineOptions(config, c.args, c.out, c.signal, { url: server.url }),
      });
    } finally {
      await server.stop().catch(() => undefined);
    }
  }
  const url = namedDatabase(config, c);
  if (url)
    return lintOn(c, config, { kind: 'database', engine: engineOptions(config, c.args, c.out, c.signal, { url }) });
  return lintOn(c, config, { kind: 'offline' });
}

export const lintCommand = {
  usage: 'schemagate lint [--database-url URL | --local | --offline | --all | --since V] [--pg-version V] [--json]',
  summary:
    "Lint the migrations still to apply with Squawk, as schemagate runs them: in a transaction or not, with the lock_timeout it sets, for the target's PostgreSQL version. Without a database: the migrations after lint.since (all when unset). Exit 12 on an error finding.",
  options,
  positionals: 0,
  async run(c: CommandContext): Promise<ExitCode> {
    if (flag(c.args, 'if-enabled') && !configFrom(c.args, c.env).lint.enabled) {
      c.out.data({ ok: true, skipped: 'lint.enabled is false' });
      c.out.result('lint: skipped (lint.enabled is false)');
      return ExitCode.ok;
    }
    const r = await lint(c);
    const { targets, ...rest } = r;
    c.out.data({ ok: r.errors === 0, ...rest, linted: targets.length });
    if (!c.out.json) for (const line of renderLint(r, (style, text) => c.out.paint(style, text))) c.out.result(line);
    return r.errors > 0 && !flag(c.args, 'exit-zero') ? ExitCode.lint : ExitCode.ok;
  },
};
