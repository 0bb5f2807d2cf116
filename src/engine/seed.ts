import { ExitCode, SchemagateError } from '../errors.js';
import { analyze } from './analyze.js';
import { applyScript, type Script } from './apply.js';
import { logLine } from './context.js';
import { readMigrations, readSeeds, type SeedFile } from './files.js';
import { buildPlan } from './plan.js';
import { checkCanWrite } from './privileges.js';
import { type EngineOptions, withLockedSession } from './session.js';
import { formatDuration } from '../util/time.js';
import { defined, itemAt } from '../util/defined.js';

export interface SeedResult {
  applied: { name: string; file: string; ms: number }[];
  /** Unchanged since they ran. */
  unchanged: string[];
  /** Changed since they ran; run again only with --force. */
  changed: string[];
}

function seedScript(s: SeedFile): Script {
  return {
    kind: 'seed',
    version: s.name,
    description: s.name
      .replace(/\.sql$/, '')
      .replace(/^\d+_/, '')
      .replace(/_/g, ' '),
    file: s.file,
    sql: s.sql,
    checksum: s.checksum,
  };
}

/**
 * Runs `seeds/*.sql` in name order, each in its own transaction with its
 * history row (kind `seed`). A seed that ran is not run again unless its file
 * changed and `force` is set. Refuses while migrations are pending.
 */
export async function seed(opts: EngineOptions, params: { force?: boolean } = {}): Promise<SeedResult> {
  const migrations = readMigrations(opts.migrationsDir, opts.format, { allowEmpty: opts.allowEmpty });
  const seeds = readSeeds(opts.seedsDir);
  const analyses = seeds.map((s) => analyze({ file: s.file, version: s.name, sql: s.sql }));
  return withLockedSession(opts, 'seed', async (ctx) => {
    const rows = await ctx.history.list();
    const plan = buildPlan(migrations, rows, { outOfOrder: opts.outOfOrder, dir: opts.migrationsDir });
    const pending = plan.entries.filter((e) => e.state !== 'applied' && e.state !== 'baselined');
    if (pending.length > 0) {
      throw new SchemagateError(
        'seed.not-migrated',
        `cannot seed: ${pending.length} migration${pending.length === 1 ? ' is' : 's are'} not applied (${pending
          .map((e) => `${e.version} ${e.state}`)
          .slice(0, 5)
          .join(', ')})`,
        {
          exitCode: ExitCode.validation,
          hint: 'Run `schemagate db migrate` first; seeds expect the whole schema.',
        },
      );
    }
    const done = new Map(rows.filter((r) => r.kind === 'seed').map((r) => [r.version, r]));
    const result: SeedResult = { applied: [], unchanged: [], changed: [] };
    await checkCanWrite(defined(ctx.lock, 'the migration lock').client, opts.schema, opts.table);
    await ctx.history.ensure();
    for (const [i, s] of seeds.entries()) {
      ctx.signal?.throwIfAborted();
      const row = done.get(s.name);
      if (row && row.success && row.checksum === s.checksum && !params.force) {
        result.unchanged.push(s.name);
        continue;
      }
      if (row && row.success && row.checksum !== s.checksum && !params.force) {
        result.changed.push(s.name);
        logLine(
          ctx,
          `${s.file} changed since it ran on ${row.appliedAt.toISOString()}: not run again (use --force to run it)`,
        );
        continue;
      }
      await ctx.lock?.assertHeld();
      const r = await applyScript(ctx, seedScript(s), row, {
        synchronousCommit: true,
        analysis: itemAt(analyses, i, `the analysis of ${s.file}`),
      });
      result.applied.push({ name: s.name, file: s.file, ms: r.ms });
      logLine(ctx, `seeded ${s.file} (${formatDuration(r.ms)})`);
    }
    return result;
  });
}
