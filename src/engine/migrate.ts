import { toError, UsageError } from '../errors.js';
import type { Script } from './apply.js';
import { type EngineContext, logLine } from './context.js';
import { type MigrationFile, readMigrationFolderYielding } from './files.js';
import { buildPlan, type Plan, PlanError } from './plan.js';
import { checkCanWrite } from './privileges.js';
import { type BeforeScripts, type EngineOptions, withLockedSession } from './session.js';
import type { HistoryReader, HistoryTable } from './history.js';
import { redact } from '../redact.js';
import { formatDuration } from '../util/time.js';
import { parseVersion, type Version } from './version.js';
import type { FileProblem } from './formats/types.js';
import { defined } from '../util/defined.js';

export interface AppliedMigration {
  version: string;
  description: string;
  file: string;
  ms: number;
  transactional: boolean;
}

export interface MigrateResult {
  applied: AppliedMigration[];
  /** Highest applied version after the run. */
  current: string | undefined;
}

export function migrationScript(f: MigrationFile): Script {
  return {
    kind: 'migration',
    version: f.version.text,
    description: f.description,
    file: f.file,
    sql: f.sql,
    checksum: f.checksum,
  };
}

/** `--to V` must name a migration that exists: its version, or its name where the layout names them (sql-migrate, Prisma). */
export function resolveTarget(files: readonly MigrationFile[], to: string | undefined): Version | undefined {
  if (to === undefined) return undefined;
  const named = files.find((f) => f.version.named && f.version.text === to);
  if (named) return named.version;
  const v = parseVersion(to);
  const known = files.map((f) => f.version.text);
  const listed = `Known versions: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', ...' : ''}.`;
  if (!v)
    throw new UsageError(
      `--to ${to}: not a version (expected digits, e.g. --to 3 or --to 1.2, or a migration's name where its layout names them)`,
      listed,
    );
  const found = files.find((f) => !f.version.named && f.version.text === v.text);
  if (!found) throw new UsageError(`--to ${to}: there is no migration with version ${v.text}`, listed);
  return found.version;
}

/** Logs what the layout's own tool would not run either (drizzle: files its journal does not list). */
export function logIgnored(log: (line: string) => void, ignored: readonly FileProblem[]): void {
  for (const i of ignored) log(`warning: ${i.file}: ${i.message}`);
}

/** Reads the history and computes the plan; throws PlanError on drift, missing files or out-of-order. */
export async function planFor(
  history: HistoryReader,
  files: readonly MigrationFile[],
  opts: EngineOptions,
  target?: Version,
): Promise<Plan> {
  return buildPlan(files, await history.list(), planOptions(opts, target));
}

function planOptions(opts: EngineOptions, target: Version | undefined): Parameters<typeof buildPlan>[2] {
  return { outOfOrder: opts.outOfOrder, ...(target ? { target } : {}), dir: opts.migrationsDir };
}

/**
 * Applies every pending migration (up to `to`), each in its own transaction
 * with its history row, under the migration lock. Validation runs first: if
 * anything is wrong, nothing runs and nothing in the database changes.
 */
export async function migrate(opts: EngineOptions, params: { to?: string } = {}): Promise<MigrateResult> {
  // The files are read while the lock connection opens and the history is read; a bad folder still fails first.
  // Started after a tick, so that the connection is under way before the first files are read.
  const reading = Promise.resolve()
    .then(() => readMigrationFolderYielding(opts.migrationsDir, opts.format, { allowEmpty: opts.allowEmpty }))
    .then((r) => {
      const target = resolveTarget(r.files, params.to);
      logIgnored(opts.log, r.ignored);
      return { files: r.files, target };
    });
  const planNow = async (history: HistoryTable): Promise<Plan> => {
    const [{ files, target }, rows] = await Promise.all([reading, history.list()]);
    const p = buildPlan(files, rows, planOptions(opts, target));
    if (p.problems.length > 0) throw new PlanError(p.problems);
    return p;
  };
  const upToDate = (history: HistoryTable, current: string | undefined) =>
    `${history.displayName}: up to date${current ? ` at version ${current}` : ''}`;
  const before: BeforeScripts<MigrateResult, unknown> = async (history) => {
    const p = await planNow(history);
    if (p.toRun.length > 0) return undefined;
    opts.log(redact(upToDate(history, p.current)));
    return { result: { applied: [], current: p.current } };
  };
  return withLockedSession(
    opts,
    'migrate',
    async (ctx) => {
      // Planned again with the script session open: a stopped runner's last statement has ended by now.
      const plan = await planNow(ctx.history);
      const applied: AppliedMigration[] = [];
      if (plan.toRun.length === 0) {
        logLine(ctx, upToDate(ctx.history, plan.current));
        return { applied, current: plan.current };
      }
      // The analyser and the script runner are loaded when there is something to run: a no-op run never needs them.
      const [{ analyzeAll }, { applyScript, MigrationError }] = await Promise.all([
        import('./analyze.js'),
        import('./apply.js'),
      ]);
      const analyses = analyzeAll(plan.toRun);
      await checkCanWrite(defined(ctx.lock, 'the migration lock').client, opts.schema, opts.table);
      // A new history table is created in the first migration's transaction, so a failure leaves none behind.
      const fresh = !(await ctx.history.exists());
      let setupSql = fresh ? await ctx.history.createSql() : undefined;
      const rows = new Map(plan.entries.map((e) => [e.version, e.row]));
      let unflushed = false;
      try {
        for (const [i, file] of plan.toRun.entries()) {
          ctx.signal?.throwIfAborted();
          // Checked alongside the migration's first round trip: a lost lock aborts it at once.
          const held = ctx.lock?.assertHeld().then(
            () => undefined,
            (e: unknown) => toError(e),
          );
          const last = i === plan.toRun.length - 1;
          const analysis = defined(analyses.get(file.version.text), `the analysis of ${file.file}`);
          let r;
          try {
            r = await applyScript(ctx, migrationScript(file), rows.get(file.version.text), {
              synchronousCommit: last,
              analysis,
              ...(setupSql ? { setupSql } : {}),
            });
          } catch (e) {
            throw i === 0 && fresh ? withBaselineAdvice(MigrationError, e, ctx.history.displayName) : e;
          }
          const lost = await held;
          if (lost) throw lost;
          setupSql = undefined;
          unflushed = !last && r.transactional;
          applied.push({
            version: file.version.text,
            description: file.description,
            file: file.file,
            ms: r.ms,
            transactional: r.transactional,
          });
          logLine(
            ctx,
            `applied ${file.file} (${formatDuration(r.ms)}${r.transactional ? '' : ', outside a transaction'})`,
          );
        }
      } finally {
        // Commits made with synchronous_commit = off are flushed by the next synchronous commit; make one if the run stopped early.
        if (unflushed) await flush(ctx).catch(() => undefined);
      }
      return { applied, current: applied.at(-1)?.version ?? plan.current };
    },
    { alongside: reading, before },
  );
}

/** SQLSTATEs of "it is already there": duplicate table, object, schema, column, function. */
const ALREADY_THERE = new Set(['42P07', '42710', '42P06', '42701', '42723']);

/**
 * The first migration found its objects already there although there was no
 * history table: a database built without schemagate, or whose history was
 * dropped. `db baseline` is the way on, and the error says so.
 */
function withBaselineAdvice(
  MigrationError: typeof import('./apply.js').MigrationError,
  e: unknown,
  table: string,
): unknown {
  if (!(e instanceof MigrationError) || !e.sqlState || !ALREADY_THERE.has(e.sqlState)) return e;
  return new MigrationError(
    {
      kind: 'migration',
      version: e.context.version ?? '',
      description: '',
      file: e.context.file ?? '',
      sql: '',
      checksum: '',
    },
    e.message,
    {
      hint: `${e.hint ?? ''} There was no migration history (${table}) before this run, but the database already has this object: it was built without schemagate, or its history table was dropped. If the database already has the migrations up to some version V, record that with \`schemagate db baseline V\` and run again.`.trim(),
      ...(e.line !== undefined ? { line: e.line } : {}),
      ...(e.column !== undefined ? { column: e.column } : {}),
      sqlState: e.sqlState,
      cause: e,
    },
  );
}

/** A synchronous commit of a transaction with an xid flushes the WAL of every earlier asynchronous commit. */
async function flush(ctx: EngineContext): Promise<void> {
  await ctx.client.query('BEGIN; SELECT txid_current(); COMMIT;');
}
