import { ExitCode, SchemagateError, UsageError } from '../errors.js';
import { logLine } from './context.js';
import { readMigrations } from './files.js';
import { type EngineOptions, withLockedSession } from './session.js';
import { compareVersions, compareVersionTexts, parseVersion } from './version.js';

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
  const files = readMigrations(opts.migrationsDir, opts.format);
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
