import { ExitCode, SchemagateError } from '../errors.js';
import { displayPath, type MigrationFile } from './files.js';
import type { HistoryRow } from './history.js';
import {
  compareVersions,
  compareVersionTexts,
  identityOf,
  namedVersion,
  parseVersion,
  type Version,
} from './version.js';

/**
 * What the history and the files say, version by version: computed without a
 * database, so ordering and validation are unit-tested on plain data.
 */
export const EntryState = {
  /** Applied, and the file is unchanged. */
  applied: 'applied',
  /** Not applied yet. */
  pending: 'pending',
  /** Applied, but the file has changed since (drift). */
  changed: 'changed',
  /** Applied, but its file is gone. */
  missing: 'missing',
  /** A non-transactional migration that stopped part-way; the next run resumes it. */
  failed: 'failed',
  /** Applied, and its down script (outside a transaction) stopped part-way; the next `db down` resumes it. */
  reverting: 'reverting',
  /** Covered by a baseline: treated as applied without running. */
  baselined: 'baselined',
  /** Pending and lower than an applied version (runs only with outOfOrder). */
  outOfOrder: 'out-of-order',
} as const;
export type EntryState = (typeof EntryState)[keyof typeof EntryState];

export interface PlanEntry {
  version: string;
  description: string;
  state: EntryState;
  file: MigrationFile | undefined;
  row: HistoryRow | undefined;
}

export interface PlanProblem {
  version: string;
  file: string | undefined;
  message: string;
}

export interface Plan {
  entries: PlanEntry[];
  /** What `migrate` runs, in order (failed ones first: they resume). */
  toRun: MigrationFile[];
  /** Problems that stop `migrate` before anything runs. */
  problems: PlanProblem[];
  baseline: string | undefined;
  /** Highest applied version. */
  current: string | undefined;
}

export interface PlanOptions {
  outOfOrder?: boolean;
  /** Stop after this version (`migrate --to V`). */
  target?: Version;
  /** Name of the folder, for messages. */
  dir?: string;
}

export class PlanError extends SchemagateError {
  override readonly name = 'PlanError';
  readonly problems: readonly PlanProblem[];
  constructor(problems: readonly PlanProblem[]) {
    const first = problems[0];
    const message =
      problems.length === 1 && first
        ? first.message
        : `${problems.length} problems stop the migration before anything runs:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`;
    super('plan', message, {
      exitCode: ExitCode.validation,
      context: first ? { ...(first.file ? { file: first.file } : {}), version: first.version } : {},
      hint: 'Nothing was changed in the database.',
    });
    this.problems = problems;
  }
}

export function buildPlan(files: readonly MigrationFile[], rows: readonly HistoryRow[], opts: PlanOptions = {}): Plan {
  // Callers pass the resolved folder; messages show it relative to the working directory.
  const dir = displayPath(opts.dir ?? 'migrations').replace(/\/+$/, '');
  const applied = new Map<string, HistoryRow>();
  let baseline: string | undefined;
  // A version not in the form schemagate writes (`02`, `abc`) came from a hand or another tool: it matches no file.
  // Where the layout identifies migrations by name (sql-migrate's file name, a Prisma folder), a name is its version.
  const named = files.some((f) => f.version.named);
  // A row of a file's version is that file's, already parsed: a no-op run parses no version twice.
  const parsed = new Map(files.filter((f) => !f.version.named).map((f) => [f.version.text, f.version]));
  const canonical = (v: string): Version | undefined => {
    const known = parsed.get(v);
    if (known) return known;
    const p = parseVersion(v);
    return p ? (p.text === v ? p : undefined) : named ? namedVersion(v) : undefined;
  };
  for (const r of rows) {
    if (r.kind === 'migration') applied.set(r.version, r);
    else if (
      r.kind === 'baseline' &&
      canonical(r.version) !== undefined &&
      (!baseline || compareVersionTexts(r.version, baseline) > 0)
    )
      baseline = r.version;
  }
  const baselineVersion = baseline ? identityOf(baseline) : undefined;
  // Each version parsed once: a no-op run compares every file and row.
  let current: string | undefined;
  let currentVersion: Version | undefined;
  for (const r of applied.values()) {
    const v = r.success ? canonical(r.version) : undefined;
    if (v && (!currentVersion || compareVersions(v, currentVersion) > 0)) [current, currentVersion] = [r.version, v];
  }
  if (baselineVersion && (!currentVersion || compareVersions(baselineVersion, currentVersion) > 0))
    [current, currentVersion] = [baseline, baselineVersion];

  const entries: PlanEntry[] = [];
  const problems: PlanProblem[] = [];
  const toRun: MigrationFile[] = [];
  const resume: MigrationFile[] = [];
  const seen = new Set<string>();

  for (const file of files) {
    const v = file.version.text;
    seen.add(v);
    const row = applied.get(v);
    const base = { version: v, description: file.description, file, row };
    if (row && row.success && row.statementsTotal !== null) {
      entries.push({ ...base, state: 'reverting' });
      problems.push({
        version: v,
        file: file.file,
        message: `${file.file} (version ${v}) is half-reverted: its down script ran ${row.statementsApplied ?? 0} of ${row.statementsTotal} statements before it stopped. Finish reverting it with \`schemagate db down\`, or, if you restored what it reverted by hand, record it as applied with \`schemagate db repair --mark-applied ${v}\``,
      });
      continue;
    }
    if (row && row.success) {
      if (row.checksum !== file.checksum) {
        entries.push({ ...base, state: 'changed' });
        problems.push({
          version: v,
          file: file.file,
          message: `${file.file} was changed after it was applied (version ${v}, applied ${row.appliedAt.toISOString()}): the database will not get the edit. Revert the edit and put the change in a new migration; if the edit changes nothing (a comment, formatting), accept it with \`schemagate db repair --accept ${v}\``,
        });
      } else {
        entries.push({ ...base, state: 'applied' });
      }
      continue;
    }
    if (row && !row.success) {
      entries.push({ ...base, state: 'failed' });
      if (!opts.target || compareVersions(file.version, opts.target) <= 0) resume.push(file);
      continue;
    }
    if (baselineVersion && compareVersions(file.version, baselineVersion) <= 0) {
      entries.push({ ...base, state: 'baselined' });
      continue;
    }
    const late = currentVersion !== undefined && compareVersions(file.version, currentVersion) < 0;
    entries.push({ ...base, state: late ? 'out-of-order' : 'pending' });
    if (late && !opts.outOfOrder) {
      problems.push({
        version: v,
        file: file.file,
        message: `${file.file} (version ${v}) is pending, but version ${current} is already applied: it would run out of order. Renumber it above ${current}, or allow out-of-order migrations with migrations.outOfOrder: true; if its changes are already in the database (its history row was deleted), record it as applied with \`schemagate db repair --mark-applied ${v}\``,
      });
      continue;
    }
    if (opts.target && compareVersions(file.version, opts.target) > 0) continue;
    toRun.push(file);
  }

  for (const row of applied.values()) {
    if (seen.has(row.version)) continue;
    entries.push({ version: row.version, description: row.description, state: 'missing', file: undefined, row });
    const same = parseVersion(row.version);
    if (!canonical(row.version)) {
      problems.push({
        version: row.version,
        file: row.script || undefined,
        message: `the history has a row with version "${row.version}", which is not how schemagate records a version${same ? ` (it would be "${same.text}")` : ''}: it was written by hand or by another tool, and matches no migration file. If it means nothing, forget it with \`schemagate db repair --forget ${row.version}\``,
      });
      continue;
    }
    problems.push({
      version: row.version,
      file: row.script,
      message: `version ${row.version} (${row.script}) was applied ${row.appliedAt.toISOString()} but its file is not in ${dir}/: restore the file, or if it was removed on purpose, forget it with \`schemagate db repair --forget ${row.version}\``,
    });
  }

  // Each entry's version parsed once for the sort (a file's is parsed already).
  const sorted = entries
    .map((e) => ({ e, v: e.file?.version ?? identityOf(e.version) }))
    .sort((a, b) => compareVersions(a.v, b.v))
    .map((x) => x.e);
  return { entries: sorted, toRun: [...resume, ...toRun], problems, baseline, current };
}
