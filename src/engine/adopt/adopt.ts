import { readFileSync } from 'node:fs';
import { ExitCode, SchemagateError } from '../../errors.js';
import type { EngineContext } from '../context.js';
import { logLine } from '../context.js';
import { displayPath, readMigrationFolder } from '../files.js';
import type { MigrationFile } from '../formats/types.js';
import { type EngineOptions, withLockedSession, withSession } from '../session.js';
import { checkCanWrite } from '../privileges.js';
import { compareVersions, parseVersion } from '../version.js';
import { locateForeign } from './find.js';
import type { ForeignHistory, ToolName } from './tools.js';
import { defined } from '../../util/defined.js';

export interface AdoptParams {
  /** @default "auto": the one other tool's history found */
  from?: ToolName | 'auto';
  /** Read and check everything, write nothing. */
  dryRun?: boolean;
  /** `[SCHEMA.]NAME` of the other tool's history, where the project renamed it. */
  table?: string;
}

export interface AdoptedMigration {
  version: string;
  file: string;
  appliedAt: string | undefined;
}

export interface AdoptResult {
  tool: ToolName;
  table: string;
  historyTable: string;
  dryRun: boolean;
  /** schemagate's history already recorded exactly these migrations: nothing to do. */
  alreadyAdopted: boolean;
  adopted: AdoptedMigration[];
  baseline: string | undefined;
  /** Files the other tool has not applied: `db migrate` runs them. */
  pending: string[];
  notes: string[];
}

export class AdoptError extends SchemagateError {
  override readonly name = 'AdoptError';
  readonly problems: readonly string[];
  constructor(table: string, problems: readonly string[]) {
    super(
      'adopt.refused',
      `cannot adopt ${table} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      {
        exitCode: ExitCode.validation,
        hint: `Nothing was written: neither ${table} nor schemagate's history changed. Fix each problem, then run \`schemagate db adopt\` again.`,
      },
    );
    this.problems = problems;
  }
}

interface Matched {
  adopted: { file: MigrationFile; appliedAt: Date | undefined }[];
  baseline: string | undefined;
  problems: string[];
}

/** Pairs the other tool's rows with the files, checking each file against the checksum the tool recorded. */
function match(history: ForeignHistory, files: readonly MigrationFile[], dir: string, table: string): Matched {
  const problems = [...history.problems];
  const adopted = new Map<MigrationFile, Date | undefined>();
  let baseline: string | undefined;
  for (const row of history.rows) {
    if (row.baseline !== undefined) {
      baseline = parseVersion(row.baseline)?.text ?? row.baseline;
      continue;
    }
    const file = files.find(row.match);
    if (!file) {
      problems.push(
        `${table} records ${row.shown} as applied, but no migration in ${dir} is it: restore its file, or remove it from the other tool's history if it was deleted on purpose`,
      );
      continue;
    }
    const ok = row.verify?.(readFileSync(file.path), file);
    if (ok === false) {
      problems.push(
        `${file.file} differs from what ${table} recorded for ${row.shown} (its checksum does not match): the database has the file as it was. Restore the file as it was applied, and put the change in a new migration`,
      );
      continue;
    }
    if (row.upTo) {
      for (const f of files) if (compareVersions(f.version, file.version) <= 0) adopted.set(f, undefined);
    } else adopted.set(file, row.appliedAt);
  }
  return { adopted: [...adopted].map(([file, appliedAt]) => ({ file, appliedAt })), baseline, problems };
}

/** Records the adopted migrations (and a baseline) in schemagate's history, in one transaction. */
async function write(ctx: EngineContext, m: Matched, tool: ToolName): Promise<void> {
  const client = ctx.client;
  const by = `current_user || ' (adopted from ${tool})'`;
  // Each INSERT checks in its own statement that the migration lock is still held (raising if not).
  const held = ctx.history.assertHeldSql();
  await client.query('BEGIN');
  try {
    if (!(await ctx.history.exists())) await client.query(await ctx.history.createSql());
    if (m.adopted.length > 0) {
      await client.query(
        `INSERT INTO ${ctx.history.qualified} (kind, version, description, script, checksum, applied_at, applied_by, execution_time_ms, success)
         SELECT 'migration', v, d, s, c, coalesce(a, now()), ${by}, 0, true
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS x(v, d, s, c, a)
          WHERE ${held}`,
        [
          m.adopted.map((a) => a.file.version.text),
          m.adopted.map((a) => a.file.description),
          m.adopted.map((a) => a.file.file),
          m.adopted.map((a) => a.file.checksum),
          m.adopted.map((a) => a.appliedAt ?? null),
        ],
      );
    }
    if (m.baseline !== undefined)
      await client.query(
        `INSERT INTO ${ctx.history.qualified} (kind, version, description, script, checksum, applied_by, success)
         SELECT 'baseline', $1, $2, '', '', ${by}, true WHERE ${held}`,
        [m.baseline, `baseline at version ${m.baseline} (from ${tool})`],
      );
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw ctx.history.writeError(
      e,
      m.baseline !== undefined ? 'baseline' : 'migration',
      m.adopted[0]?.file.version.text ?? m.baseline ?? '',
    );
  }
}

/**
 * Takes over a database another tool migrated: reads that tool's history as
 * the tool reads it, matches it to the files (checking each against the
 * checksum the tool kept, where it keeps one), and records the same versions
 * in schemagate's history, under the migration lock. Refuses, naming every
 * problem and writing nothing, on a dirty or failed state, an applied version
 * without its file, or an edited file. Never writes to the other tool's table.
 */
export async function adopt(opts: EngineOptions, params: AdoptParams = {}): Promise<AdoptResult> {
  const { files } = readMigrationFolder(opts.migrationsDir, opts.format, { allowEmpty: opts.allowEmpty });
  const dryRun = params.dryRun === true;
  const run = dryRun ? withSession : withLockedSession;
  return run(opts, 'adopt', async (ctx) => {
    const { adapter, table } = await locateForeign(ctx.client, params.from ?? 'auto', params.table);
    const history = await adapter.read(ctx.client, table, opts.migrationsDir);
    const m = match(history, files, displayPath(opts.migrationsDir), table.display);
    const existing = (await ctx.history.list()).filter((r) => r.kind === 'migration' || r.kind === 'baseline');
    let alreadyAdopted = false;
    if (existing.length > 0) {
      // Run again after adoption (and migrations since): everything the other tool applied is recorded already.
      const same =
        (m.baseline === undefined || existing.some((r) => r.kind === 'baseline' && r.version === m.baseline)) &&
        m.adopted.every((a) =>
          existing.some(
            (r) => r.kind === 'migration' && r.version === a.file.version.text && r.checksum === a.file.checksum,
          ),
        );
      if (same) alreadyAdopted = true;
      else
        m.problems.push(
          `${ctx.history.displayName} already records ${existing.length} migration${existing.length === 1 ? '' : 's'}: adoption starts a history, it does not merge one. Check \`schemagate db status\``,
        );
    }
    if (m.problems.length > 0) throw new AdoptError(table.display, m.problems);
    if (!dryRun && !alreadyAdopted) {
      await checkCanWrite(defined(ctx.lock, 'the migration lock').client, opts.schema, opts.table);
      await write(ctx, m, adapter.name);
    }
    const adoptedSet = new Set(m.adopted.map((a) => a.file));
    const baseline = m.baseline ? parseVersion(m.baseline) : undefined;
    const pending = files
      .filter((f) => !adoptedSet.has(f) && !(baseline && compareVersions(f.version, baseline) <= 0))
      .map((f) => f.file);
    logLine(
      ctx,
      alreadyAdopted
        ? `${ctx.history.displayName} already records what ${table.display} does: nothing to adopt`
        : `${dryRun ? 'would adopt' : 'adopted'} ${m.adopted.length} migration${m.adopted.length === 1 ? '' : 's'} from ${adapter.title} (${table.display}) into ${ctx.history.displayName}`,
    );
    for (const n of history.notes) logLine(ctx, `note: ${n}`);
    return {
      tool: adapter.name,
      table: table.display,
      historyTable: ctx.history.displayName,
      dryRun,
      alreadyAdopted,
      adopted: m.adopted.map((a) => ({
        version: a.file.version.text,
        file: a.file.file,
        appliedAt: a.appliedAt?.toISOString(),
      })),
      baseline: m.baseline,
      pending,
      notes: history.notes,
    };
  });
}
