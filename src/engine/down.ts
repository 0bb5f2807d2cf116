import { ExitCode, SchemagateError, UsageError } from '../errors.js';
import { analyze, type Analysis } from './analyze.js';
import { applyInTransaction, applyWithoutTransaction, type Script, type StepRecorder } from './apply.js';
import { type EngineContext, logLine } from './context.js';
import { readDownScript, readMigrations, type DownScript, type MigrationFile } from './files.js';
import { buildPlan, type PlanEntry } from './plan.js';
import { checkCanWrite } from './privileges.js';
import { type EngineOptions, withLockedSession } from './session.js';
import { formatDuration } from '../util/time.js';
import { compareVersions, identityOf, parseVersion, type Version } from './version.js';
import { defined, itemAt } from '../util/defined.js';

export interface DownResult {
  reverted: { version: string; file: string; ms: number }[];
  current: string | undefined;
}

interface Revert {
  entry: PlanEntry;
  file: MigrationFile;
  down: DownScript;
  sql: string;
  analysis: Analysis;
}

function refuse(code: string, message: string, hint: string, version?: string): SchemagateError {
  return new SchemagateError(code, message, {
    exitCode: ExitCode.validation,
    hint: `${hint} Nothing was reverted.`,
    ...(version ? { context: { version } } : {}),
  });
}

/** What `--to V` may name: 0 (everything), or a version the files or the history know, not below the baseline. */
function checkTarget(to: Version, text: string, entries: readonly PlanEntry[], baseline: string | undefined): void {
  if (to.text !== '0' && !entries.some((e) => e.version === to.text) && baseline !== to.text) {
    const known = entries.filter((e) => e.row?.success).map((e) => e.version);
    throw new UsageError(
      `--to ${text}: there is no migration with version ${to.text}`,
      `Applied versions: ${known.length > 0 ? known.join(', ') : 'none'}; --to 0 reverts them all.`,
    );
  }
  const base = baseline ? identityOf(baseline) : undefined;
  if (base && compareVersions(to, base) < 0) {
    throw refuse(
      'down.below-baseline',
      `--to ${text}: the history starts at the baseline ${baseline}: the migrations up to it were never run by schemagate and have no history rows to revert`,
      `\`schemagate db down --to ${baseline}\` reverts everything above the baseline; below it, change the database by hand (or \`schemagate db reset\` in development).`,
    );
  }
}

/** Is there SQL in it? (`--` and block comments, and whitespace, are not.) */
function hasSql(a: Analysis): boolean {
  return a.statements.length > 0;
}

/**
 * Runs down scripts in reverse version order: the last `steps` applied
 * migrations (default 1), or every one above `to`. Each down script runs in a
 * transaction together with the deletion of its history row, under the same
 * rules as a migration (lock_timeout, statement_timeout, directives, errors at
 * file:line:column); one that cannot run in a transaction runs statement by
 * statement with its progress recorded, and the next `db down` resumes it.
 * Every down script needed is checked, and read, before the first one runs.
 */
export async function down(opts: EngineOptions, params: { to?: string; steps?: number } = {}): Promise<DownResult> {
  if (params.to !== undefined && params.steps !== undefined)
    throw new UsageError('give either --to or --steps, not both');
  if (params.steps !== undefined && (!Number.isInteger(params.steps) || params.steps < 1))
    throw new UsageError(`--steps ${params.steps}: expected a whole number >= 1`);
  const files = readMigrations(opts.migrationsDir, opts.format, { allowEmpty: opts.allowEmpty });
  const to =
    params.to === undefined
      ? undefined
      : (files.find((f) => f.version.text === params.to)?.version ?? parseVersion(params.to));
  if (params.to !== undefined && !to)
    throw new UsageError(`--to ${params.to}: not a version (expected digits, e.g. --to 3; --to 0 reverts everything)`);
  return withLockedSession(opts, 'down', async (ctx) => {
    const plan = buildPlan(files, await ctx.history.list(), { outOfOrder: true, dir: opts.migrationsDir });
    if (to) checkTarget(to, defined(params.to, 'the --to version'), plan.entries, plan.baseline);
    const applied = plan.entries
      .filter((e) => ['applied', 'changed', 'missing', 'reverting'].includes(e.state))
      .reverse();
    const half = applied.find((e) => e.state === 'reverting');
    if (half && half !== applied[0]) {
      throw refuse(
        'down.reverting-not-last',
        `version ${half.version} is half-reverted but is not the newest applied migration (${itemAt(applied, 0, 'the newest applied migration').version} is)`,
        `Revert down to it (\`schemagate db down --to ${half.version}\` first reverts the newer ones), or record it as applied with \`schemagate db repair --mark-applied ${half.version}\`.`,
        half.version,
      );
    }
    const chosen = to
      ? applied.filter((e) => compareVersions(e.file?.version ?? identityOf(e.version), to) > 0)
      : applied.slice(0, params.steps ?? 1);
    const failed = plan.entries.find((e) => e.state === 'failed');
    if (failed) {
      throw new SchemagateError(
        'down.failed-present',
        `version ${failed.version} (${failed.file?.file ?? failed.row?.script}) is half-applied: finish it with \`schemagate db migrate\` or clear it with \`schemagate db repair --clear-failed ${failed.version}\` before reverting`,
        { exitCode: ExitCode.validation },
      );
    }
    const noDown = chosen.filter((e) => !e.file?.down);
    if (noDown.length > 0) {
      throw refuse(
        'down.no-script',
        `cannot revert: no down script for ${noDown.map((e) => e.file?.file ?? `version ${e.version} (its file is missing)`).join(', ')}`,
        'Write NNN_description.down.sql (or rollback_NNN.sql) next to the migration.',
        itemAt(noDown, 0, 'the first migration without a down script').version,
      );
    }
    const reverts: Revert[] = chosen.map((e) => {
      const file = e.file as MigrationFile;
      const down = defined(file.down, `the down script of ${file.file}`);
      const sql = readDownScript(down);
      const analysis = analyze({
        file: down.file,
        version: e.version,
        sql,
        noTransaction: down.noTransaction,
        blocks: down.blocks,
      });
      return { entry: e, file, down, sql, analysis };
    });
    const empty = reverts.filter((r) => !hasSql(r.analysis));
    if (empty.length > 0) {
      throw refuse(
        'down.empty',
        `cannot revert: ${empty.map((r) => r.down.file).join(', ')} ${empty.length === 1 ? 'is' : 'are'} empty (only whitespace or comments), so ${empty.length === 1 ? 'it' : 'they'} would revert nothing while the history says reverted`,
        `Write the SQL that undoes ${empty.map((r) => r.file.file).join(', ')}; if there is really nothing to undo, say so with a statement that does nothing (e.g. \`SELECT 1;\` under a comment explaining why).`,
        itemAt(empty, 0, 'the first empty down script').entry.version,
      );
    }
    if (reverts.length > 0)
      await checkCanWrite(defined(ctx.lock, 'the migration lock').client, opts.schema, opts.table);
    const reverted: DownResult['reverted'] = [];
    for (const r of reverts) {
      ctx.signal?.throwIfAborted();
      await ctx.lock?.assertHeld();
      const ms = await revert(ctx, r);
      reverted.push({ version: r.entry.version, file: r.down.file, ms });
      logLine(ctx, `reverted ${r.file.file} with ${r.down.file} (${formatDuration(ms)})`);
    }
    const remaining = applied.filter((e) => !chosen.includes(e));
    return { reverted, current: remaining[0]?.version ?? plan.baseline };
  });
}

async function revert(ctx: EngineContext, r: Revert): Promise<number> {
  const version = r.entry.version;
  const script: Script = {
    kind: 'migration',
    version,
    description: r.file.description,
    file: r.down.file,
    sql: r.sql,
    checksum: '',
  };
  if (r.analysis.transactional) {
    return applyInTransaction(ctx, script, r.analysis, {
      synchronousCommit: true,
      tail: {
        sql: ctx.history.deleteSql('migration', version),
        error: (e) => ctx.history.writeError(e, 'migration', version),
      },
    });
  }
  const row = r.entry.row;
  const recorder: StepRecorder = {
    resumed:
      row && row.statementsTotal !== null
        ? { applied: row.statementsApplied ?? 0, checksums: row.statementChecksums, error: row.error }
        : undefined,
    record: (applied, checksums, error) =>
      ctx.history.recordRevert({
        version,
        applied,
        total: r.analysis.statements.length,
        statementChecksums: checksums,
        error,
      }),
    finish: () => ctx.history.delete('migration', version),
    editedHint: (applied) =>
      `Statements 1-${applied} of ${r.down.file} ran before it stopped. Restore the edited statement as it was; or finish reverting by hand and forget the version with \`schemagate db repair --forget ${version}\` after deleting its file, or restore what was reverted and run \`schemagate db repair --mark-applied ${version}\`.`,
  };
  return applyWithoutTransaction(ctx, script, r.analysis, recorder);
}
