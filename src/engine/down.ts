import { ExitCode, SchemagateError, UsageError } from '../errors.js';
import { analyze } from './analyze.js';
import { logLine, query } from './context.js';
import { readDownScript, readMigrations, type MigrationFile } from './files.js';
import { buildPlan } from './plan.js';
import { type EngineOptions, withLockedSession } from './session.js';
import { formatDuration } from '../util/time.js';
import { compareVersions, parseVersion } from './version.js';
import { formatSqlError, type PgErrorFields } from './sql/error-frame.js';
import { sqlState } from './connect.js';
import { MigrationError } from './apply.js';

export interface DownResult {
  reverted: { version: string; file: string; ms: number }[];
  current: string | undefined;
}

/**
 * Runs down scripts in reverse version order: the last `steps` applied
 * migrations (default 1), or every one above `to`. Each down script runs in a
 * transaction together with the deletion of its history row. Every down script
 * needed is checked to exist before the first one runs.
 */
export async function down(opts: EngineOptions, params: { to?: string; steps?: number } = {}): Promise<DownResult> {
  if (params.to !== undefined && params.steps !== undefined)
    throw new UsageError('give either --to or --steps, not both');
  if (params.steps !== undefined && (!Number.isInteger(params.steps) || params.steps < 1))
    throw new UsageError(`--steps ${params.steps}: expected a whole number >= 1`);
  const files = readMigrations(opts.migrationsDir, opts.format);
  const to = params.to !== undefined ? parseVersion(params.to) : undefined;
  if (params.to !== undefined && !to)
    throw new UsageError(`--to ${params.to}: not a version (expected digits, e.g. --to 3; --to 0 reverts everything)`);
  return withLockedSession(opts, 'down', async (ctx) => {
    const plan = buildPlan(files, await ctx.history.list(), { outOfOrder: true, dir: opts.migrationsDir });
    const applied = plan.entries
      .filter((e) => e.state === 'applied' || e.state === 'changed' || e.state === 'missing')
      .reverse();
    const chosen = to
      ? applied.filter((e) => compareVersions(parseVersion(e.version)!, to) > 0)
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
      throw new SchemagateError(
        'down.no-script',
        `cannot revert: no down script for ${noDown.map((e) => e.file?.file ?? `version ${e.version} (its file is missing)`).join(', ')}`,
        {
          exitCode: ExitCode.validation,
          context: { version: noDown[0]!.version },
          hint: 'Write NNN_description.down.sql (or rollback_NNN.sql) next to the migration. Nothing was reverted.',
        },
      );
    }
    const scripts = chosen.map((e) => {
      const f = e.file as MigrationFile;
      const down = f.down!;
      const sql = readDownScript(down);
      return { entry: e, file: f, down, sql, analysis: analyze({ file: down.file, version: e.version, sql }) };
    });
    const reverted: DownResult['reverted'] = [];
    for (const s of scripts) {
      opts.signal?.throwIfAborted();
      const started = ctx.clock.now();
      const del = `DELETE FROM ${ctx.history.qualified} WHERE kind = 'migration' AND version = ${ctx.client.escapeLiteral(s.entry.version)}`;
      const script = {
        kind: 'migration' as const,
        version: s.entry.version,
        description: s.file.description,
        file: s.down.file,
        sql: s.sql,
        checksum: '',
      };
      try {
        if (s.analysis.transactional) {
          const prefix = 'BEGIN;\n';
          try {
            await query(ctx, `${prefix}${s.sql}\n;\n${del};\nCOMMIT;`);
          } catch (e) {
            await ctx.client.query('ROLLBACK').catch(() => undefined);
            const err = e as { position?: string };
            if (typeof err.position === 'string') err.position = String(Number(err.position) - prefix.length);
            throw e;
          }
        } else {
          for (const st of s.analysis.statements) {
            try {
              await query(ctx, st.text);
            } catch (e) {
              (e as { sentOffset?: number; sent?: string }).sentOffset = st.start;
              (e as { sent?: string }).sent = st.text;
              throw e;
            }
          }
          await ctx.client.query(del);
        }
      } catch (e) {
        if (!sqlState(e)) throw e;
        const x = e as PgErrorFields & { sentOffset?: number; sent?: string };
        const f = formatSqlError({
          file: s.down.file,
          source: s.sql,
          sentOffset: x.sentOffset ?? 0,
          sent: x.sent ?? s.sql,
          error: x,
        });
        throw new MigrationError(script, f.message, {
          line: f.line,
          column: f.column,
          sqlState: sqlState(e)!,
          hint: s.analysis.transactional
            ? 'The down script was rolled back; the migration is still applied.'
            : 'The down script runs outside a transaction and stopped part-way: fix the database by hand.',
          cause: e,
        });
      }
      const ms = ctx.clock.now() - started;
      reverted.push({ version: s.entry.version, file: s.down.file, ms });
      logLine(ctx, `reverted ${s.file.file} with ${s.down.file} (${formatDuration(ms)})`);
    }
    const remaining = applied.filter((e) => !chosen.includes(e));
    return { reverted, current: remaining[0]?.version ?? plan.baseline };
  });
}
