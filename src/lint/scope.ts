import { analyze } from '../engine/analyze.js';
import type { EngineSettings } from '../engine/context.js';
import { fileScript, type MigrationFile } from '../engine/files.js';
import type { PlanProblem } from '../engine/plan.js';
import type { EngineOptions } from '../engine/session.js';
import { withoutWrapper } from '../engine/sql/wrapper.js';
import { compareVersions, parseVersion } from '../engine/version.js';
import { UsageError } from '../errors.js';
import { displayUrl } from '../redact.js';
import type { LintTarget } from './lint.js';

/** Which migrations were linted, and why those. */
export type LintScope =
  | { kind: 'pending'; database: string; current: string | undefined; problems: PlanProblem[] }
  | { kind: 'all' }
  | { kind: 'since'; since: string; from: '--since' | 'lint.since' };

/**
 * The migrations as schemagate will run them: the text, whether it runs in a
 * transaction, and the timeouts set before it. The layout's reader decides
 * the text (a goose file's Up section) and may take the transaction away
 * (`-- +goose NO TRANSACTION`, diesel's `run_in_transaction = false`); a
 * file's own BEGIN ... COMMIT becomes the migration's transaction, so it is
 * blanked out and the rest linted as in a transaction, as it runs. A file
 * that cannot be analysed (a bad directive, an unterminated quote) throws,
 * as `db plan` would.
 */
export function targetsOf(files: readonly MigrationFile[], settings: EngineSettings): LintTarget[] {
  return files.map((f) => {
    const a = analyze(fileScript(f));
    return {
      version: f.version.text,
      file: f.file,
      path: f.path,
      sql: withoutWrapper(f.sql, a.wrapper),
      transactional: a.transactional,
      lockTimeoutMs: a.directives.lockTimeoutMs ?? settings.lockTimeoutMs,
      statementTimeoutMs: a.directives.statementTimeoutMs ?? settings.statementTimeoutMs,
    };
  });
}

/** The migrations above `since`. */
export function filesSince(files: readonly MigrationFile[], since: string, from: string): MigrationFile[] {
  const v = parseVersion(since);
  if (!v) throw new UsageError(`${from} ${since}: not a version (expected digits, e.g. 4, 1.2 or 20240101120000)`);
  return files.filter((f) => compareVersions(f.version, v) > 0);
}

/** `SHOW server_version_num` (e.g. 170005) as Squawk's `--pg-version` (17.5). */
export function pgVersionOf(num: number): string {
  return num >= 100_000
    ? `${Math.floor(num / 10_000)}.${num % 10_000}`
    : `${Math.floor(num / 10_000)}.${Math.floor(num / 100) % 100}`;
}

export interface Pending {
  files: MigrationFile[];
  scope: Extract<LintScope, { kind: 'pending' }>;
  /** The server's version, as Squawk takes it. */
  pgVersion: string;
}

/**
 * What `db migrate` would still run on this database (pending, out of order,
 * or a half-applied run it resumes), read without the lock and without
 * writing, and the server's version. Drift and other plan problems are
 * returned, not thrown: lint lints what is pending, and says that migrate
 * will refuse.
 */
export async function pendingOn(opts: EngineOptions, files: readonly MigrationFile[]): Promise<Pending> {
  // Loaded only with a database: `pg` alone costs a quarter of a second of an offline lint's start-up.
  const { planFor } = await import('../engine/migrate.js');
  const { withSession } = await import('../engine/session.js');
  return withSession(opts, 'lint', async (ctx) => {
    const plan = await planFor(ctx.history, files, opts);
    const { rows } = await ctx.client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
    const version = rows[0]?.v;
    if (version === undefined) throw new Error('BUG: SELECT current_setting returned no row');
    const byVersion = new Map(files.map((f) => [f.version.text, f]));
    const pending = plan.entries
      .filter((e) => e.state === 'pending' || e.state === 'out-of-order' || e.state === 'failed')
      .map((e) => byVersion.get(e.version))
      .filter((f): f is MigrationFile => f !== undefined);
    return {
      files: pending,
      scope: { kind: 'pending', database: displayUrl(opts.url), current: plan.current, problems: plan.problems },
      pgVersion: pgVersionOf(Number(version)),
    };
  });
}
