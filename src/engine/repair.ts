import { ExitCode, SchemagateError, UsageError } from '../errors.js';
import { logLine } from './context.js';
import { readMigrations } from './files.js';
import { buildPlan, type EntryState, type PlanEntry } from './plan.js';
import { checkCanWrite } from './privileges.js';
import { type EngineOptions, withLockedSession } from './session.js';
import { parseVersion } from './version.js';
import { defined } from '../util/defined.js';

export interface RepairParams {
  /** Versions whose changed checksum the user accepts (`all` for every changed one). */
  accept?: string[];
  /** Applied versions whose file was deleted on purpose: their rows are removed. */
  forget?: string[];
  /** Half-applied non-transactional runs the user undid by hand: the next migrate starts them from the first statement. */
  clearFailed?: string[];
  /** Half-applied runs the user completed by hand: recorded as applied without running. */
  markApplied?: string[];
}

export interface RepairAction {
  action: 'accept' | 'forget' | 'clear-failed' | 'mark-applied';
  version: string;
  file: string | undefined;
}

export interface RepairResult {
  /** What was done. */
  done: RepairAction[];
  /** What is still wrong, with the flag that repairs it. */
  remaining: { version: string; state: EntryState; file: string | undefined; fix: string }[];
}

/** The repair that gets each state that `db status` reports as wrong past it (shown by status and repair). */
export const FIX: Partial<Record<EntryState, (v: string) => string>> = {
  changed: (v) => `schemagate db repair --accept ${v}`,
  missing: (v) => `schemagate db repair --forget ${v}`,
  failed: (v) =>
    `schemagate db migrate (resumes it, once its file is fixed), or schemagate db repair --clear-failed ${v} (you undid its applied statements) or --mark-applied ${v} (you completed it by hand)`,
  reverting: (v) =>
    `schemagate db down (finishes reverting it), or schemagate db repair --mark-applied ${v} (you restored what its down script reverted)`,
  'out-of-order': (v) =>
    `schemagate db repair --mark-applied ${v} (its changes are in the database: its history row was lost), or set migrations.outOfOrder: true and run schemagate db migrate (they are not)`,
};

/** What each repair flag applies to, for the message when it names a version in another state. */
const WHAT: Record<string, string> = {
  '--accept': 'only an applied migration whose file was edited since (state changed)',
  '--forget': 'only an applied version whose file is gone (state missing)',
  '--clear-failed': 'only a half-applied run (state failed)',
  '--mark-applied':
    'only a half-applied run (state failed), a half-reverted one (state reverting) or an out-of-order one (state out-of-order)',
};

function pick(
  entries: PlanEntry[],
  requested: string[] | undefined,
  states: readonly EntryState[],
  flag: string,
): PlanEntry[] {
  if (!requested || requested.length === 0) return [];
  if (requested.length === 1 && requested[0] === 'all') return entries.filter((e) => states.includes(e.state));
  return requested.map((text) => {
    // A row written by hand may hold a version in a form of its own (`02`, `abc`), and a named identity
    // (sql-migrate's file name, a Prisma folder) is its own text: both are found as written.
    const v = parseVersion(text);
    const e = entries.find((x) => x.version === text) ?? (v ? entries.find((x) => x.version === v.text) : undefined);
    if (!e && !v) throw new UsageError(`${flag} ${text}: not a version, and no history row or migration has it`);
    if (!e || !states.includes(e.state)) {
      const candidates = entries.filter((x) => states.includes(x.state)).map((x) => x.version);
      const which =
        candidates.length > 0
          ? `Versions that are ${states.join(' or ')}: ${candidates.join(', ')}.`
          : `No version is ${states.join(' or ')}.`;
      throw new SchemagateError(
        'repair.state',
        `${flag} ${text}: version ${e?.version ?? defined(v, 'the version').text} is ${e ? e.state : 'not in the history or the files'}; ${flag} repairs ${WHAT[flag]}`,
        {
          exitCode: ExitCode.usage,
          hint: `${which} See \`schemagate db status\` for the state of each version. Nothing was changed.`,
        },
      );
    }
    return e;
  });
}

/**
 * Repairs the history after the user has looked at what is wrong: accepts
 * edited checksums, forgets deleted files, clears or completes half-applied
 * runs. Each repair names its versions explicitly; with none it only reports.
 */
export async function repair(opts: EngineOptions, params: RepairParams): Promise<RepairResult> {
  const files = readMigrations(opts.migrationsDir, opts.format, { allowEmpty: opts.allowEmpty });
  return withLockedSession(opts, 'repair', async (ctx) => {
    const plan = buildPlan(files, await ctx.history.list(), { outOfOrder: true, dir: opts.migrationsDir });
    const accept = pick(plan.entries, params.accept, ['changed'], '--accept');
    const forget = pick(plan.entries, params.forget, ['missing'], '--forget');
    const clear = pick(plan.entries, params.clearFailed, ['failed'], '--clear-failed');
    const mark = pick(plan.entries, params.markApplied, ['failed', 'reverting', 'out-of-order'], '--mark-applied');
    const done: RepairAction[] = [];
    if (accept.length + forget.length + clear.length + mark.length > 0)
      await checkCanWrite(defined(ctx.lock, 'the migration lock').client, opts.schema, opts.table);
    for (const e of accept) {
      // Entries in state 'changed' are applied migrations whose file is there, edited.
      const file = defined(e.file, `the file of version ${e.version}`);
      await ctx.history.setChecksum('migration', e.version, file.checksum, file.file);
      done.push({ action: 'accept', version: e.version, file: file.file });
      logLine(ctx, `accepted the edited ${file.file} (version ${e.version})`);
    }
    for (const e of [...forget, ...clear]) {
      await ctx.history.delete('migration', e.version);
      const action = forget.includes(e) ? 'forget' : 'clear-failed';
      done.push({ action, version: e.version, file: e.file?.file ?? e.row?.script });
      logLine(
        ctx,
        action === 'forget'
          ? `forgot version ${e.version} (${e.row?.script})`
          : `cleared the failed run of ${e.file?.file ?? e.version}: the next migrate runs it from its first statement`,
      );
    }
    for (const e of mark) {
      if (!e.file) throw new UsageError(`--mark-applied ${e.version}: its file is missing`);
      await ctx.history.markApplied({
        kind: 'migration',
        version: e.version,
        description: e.file.description,
        script: e.file.file,
        checksum: e.file.checksum,
      });
      done.push({ action: 'mark-applied', version: e.version, file: e.file.file });
      logLine(ctx, `recorded ${e.file.file} as applied`);
    }
    const touched = new Set(done.map((d) => d.version));
    const remaining = plan.entries.flatMap((e) => {
      const fix = FIX[e.state];
      return touched.has(e.version) || !fix
        ? []
        : [{ version: e.version, state: e.state, file: e.file?.file ?? e.row?.script, fix: fix(e.version) }];
    });
    return { done, remaining };
  });
}
