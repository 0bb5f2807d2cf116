import { displayUrl } from '../redact.js';
import { findForeignHistories } from './adopt/find.js';
import { readMigrationFolder, readSeeds, type MigrationFile } from './files.js';
import type { FileProblem, LayoutName } from './formats/types.js';
import { HistoryTable, type HistoryRow } from './history.js';
import { buildPlan, type EntryState } from './plan.js';
import { type EngineOptions, withSession } from './session.js';
import { existsSync } from 'node:fs';
import { type InvalidIndex, invalidIndexes } from './invalid-indexes.js';
import { FIX } from './repair.js';

export interface StatusEntry {
  version: string;
  description: string;
  state: EntryState;
  file: string | undefined;
  appliedAt: string | undefined;
  executionTimeMs: number | undefined;
  /** Non-transactional progress of a failed run. */
  statementsApplied?: number | undefined;
  statementsTotal?: number | undefined;
  error?: string | undefined;
  /** For a state that needs attention: the command that gets past it. */
  fix?: string | undefined;
}

export interface SeedStatus {
  name: string;
  file: string;
  state: 'applied' | 'pending' | 'changed';
  appliedAt: string | undefined;
}

export interface StatusReport {
  database: string;
  historyTable: string;
  /** Highest applied version (or the baseline). */
  current: string | undefined;
  baseline: string | undefined;
  migrations: StatusEntry[];
  seeds: SeedStatus[];
  counts: Record<EntryState, number>;
  /** What stops `db migrate` before anything runs (drift, missing files, out of order, half-reverted). */
  problems: string[];
  /** Indexes PostgreSQL marks INVALID (an interrupted CREATE INDEX CONCURRENTLY): not used, not enforced. */
  invalidIndexes: InvalidIndex[];
  /** The layout the migrations folder is read as. */
  layout?: LayoutName | undefined;
  /** Files the layout's tool would not run either (drizzle: not in the journal), each with why. */
  warnings?: FileProblem[];
  /** Other tools' history tables, when schemagate's history records no migration yet: `db adopt` takes them over. */
  foreign?: { tool: string; title: string; table: string }[];
}

function entryFromRow(row: HistoryRow | undefined) {
  return {
    appliedAt: row?.success ? row.appliedAt.toISOString() : undefined,
    executionTimeMs: row?.success ? row.executionTimeMs : undefined,
  };
}

/** Applied, pending, changed, missing and failed migrations, and the seeds' state. Read-only: takes no lock. */
export async function status(opts: EngineOptions): Promise<StatusReport> {
  const { layout, files, ignored } = readMigrationFolder(opts.migrationsDir, opts.format, {
    allowEmpty: opts.allowEmpty,
  });
  const seeds = existsSync(opts.seedsDir) ? readSeeds(opts.seedsDir) : [];
  return withSession(opts, 'status', async (ctx) => {
    const rows = await ctx.history.list();
    const report: StatusReport = {
      ...buildStatus(opts, ctx.history, files, seeds, rows),
      invalidIndexes: await invalidIndexes(ctx.client),
    };
    report.layout = layout;
    if (ignored.length > 0) report.warnings = ignored;
    if (!rows.some((r) => r.kind === 'migration' || r.kind === 'baseline')) {
      const foreign = await findForeignHistories(ctx.client);
      if (foreign.length > 0)
        report.foreign = foreign.map((f) => ({ tool: f.adapter.name, title: f.adapter.title, table: f.table.display }));
    }
    return report;
  });
}

export function buildStatus(
  opts: EngineOptions,
  history: HistoryTable,
  files: readonly MigrationFile[],
  seeds: ReturnType<typeof readSeeds>,
  rows: HistoryRow[],
): Omit<StatusReport, 'invalidIndexes'> {
  const plan = buildPlan(files, rows, { outOfOrder: opts.outOfOrder, dir: opts.migrationsDir });
  const counts = {
    applied: 0,
    pending: 0,
    changed: 0,
    missing: 0,
    failed: 0,
    reverting: 0,
    baselined: 0,
    'out-of-order': 0,
  } as Record<EntryState, number>;
  const migrations: StatusEntry[] = plan.entries.map((e) => {
    counts[e.state]++;
    const fix = FIX[e.state];
    return {
      version: e.version,
      description: e.description,
      state: e.state,
      file: e.file?.file ?? e.row?.script,
      ...entryFromRow(e.row),
      ...(fix && (e.state !== 'out-of-order' || !opts.outOfOrder) ? { fix: fix(e.version) } : {}),
      ...(e.state === 'failed' || e.state === 'reverting'
        ? {
            statementsApplied: e.row?.statementsApplied ?? 0,
            statementsTotal: e.row?.statementsTotal ?? undefined,
            error: e.row?.error ?? undefined,
          }
        : {}),
    };
  });
  const seedRows = new Map(rows.filter((r) => r.kind === 'seed').map((r) => [r.version, r]));
  const seedStatus: SeedStatus[] = seeds.map((s) => {
    const row = seedRows.get(s.name);
    return {
      name: s.name,
      file: s.file,
      state: !row ? 'pending' : row.checksum === s.checksum ? 'applied' : 'changed',
      appliedAt: row?.appliedAt.toISOString(),
    };
  });
  return {
    database: displayUrl(opts.url),
    historyTable: history.displayName,
    current: plan.current,
    baseline: plan.baseline,
    migrations,
    seeds: seedStatus,
    counts,
    problems: plan.problems.map((p) => p.message),
  };
}
