import { ExitCode, SchemagateError, UsageError } from '../errors.js';
import { logLine } from './context.js';
import { displayPath, readMigrations } from './files.js';
import { checkCanWrite } from './privileges.js';
import { type EngineOptions, withLockedSession } from './session.js';
import { compareVersions, compareVersionTexts, parseVersion } from './version.js';
import { defined } from '../util/defined.js';

/**
 * Adopts an existing database: records that everything up to `version` is
 * already there, so only later migrations run. Refuses on a history that
 * already has migrations (baseline is where a history starts, not an edit).
 */
export async function baseline(
  opts: EngineOptions,
  versionText: string,
): Promise<{ version: string; covered: number }> {
  const v = parseVersion(versionText);
  if (!v)
    throw new UsageError(`baseline ${versionText}: not a version (expected digits, e.g. \`schemagate db baseline 3\`)`);
  const files = readMigrations(opts.migrationsDir, opts.format, { allowEmpty: opts.allowEmpty });
  const highest = files.at(-1);
  if (!highest || compareVersions(v, highest.version) > 0) {
    throw new UsageError(
      `baseline ${versionText}: ${highest ? `the highest migration in ${displayPath(opts.migrationsDir)}/ is ${highest.version.text} (${highest.file})` : `there are no migrations in ${displayPath(opts.migrationsDir)}/`}; a baseline above it would record migrations you add later (${highest ? nextVersions(highest.version.text) : '1, 2, ...'}) as applied without ever running them`,
      `Baseline at the version of the last migration the database already has, e.g. \`schemagate db baseline ${highest?.version.text ?? '<V>'}\`.`,
    );
  }
  return withLockedSession(opts, 'baseline', async (ctx) => {
    const rows = await ctx.history.list();
    const existing = rows.filter((r) => r.kind === 'migration' || r.kind === 'baseline');
    if (existing.length > 0) {
      throw new SchemagateError(
        'baseline.not-empty',
        `cannot baseline ${ctx.history.displayName}: it already records ${existing.length} migration${existing.length === 1 ? '' : 's'} (latest ${existing
          .map((r) => r.version)
          .sort(compareVersionTexts)
          .at(-1)})`,
        {
          exitCode: ExitCode.validation,
          hint: 'A baseline starts a history on a database that was built without schemagate. This one already has a history: use `schemagate db migrate`.',
        },
      );
    }
    await checkCanWrite(defined(ctx.lock, 'the migration lock').client, opts.schema, opts.table);
    await ctx.history.ensure();
    await ctx.history.insert({
      kind: 'baseline',
      version: v.text,
      description: `baseline at version ${v.text}`,
      script: '',
      checksum: '',
    });
    const covered = files.filter((f) => compareVersions(f.version, v) <= 0).length;
    logLine(
      ctx,
      `baselined ${ctx.history.displayName} at version ${v.text}: ${covered} migration file${covered === 1 ? '' : 's'} count as applied`,
    );
    return { version: v.text, covered };
  });
}

/** `4, 5, ...` after version 3 (for a dotted version, `3.1, ...`). */
function nextVersions(v: string): string {
  return /^\d+$/.test(v) ? `${BigInt(v) + 1n}, ${BigInt(v) + 2n}, ...` : `above ${v}`;
}
