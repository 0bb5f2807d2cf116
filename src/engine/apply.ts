import { ExitCode, SchemagateError } from '../errors.js';
import { redact } from '../redact.js';
import { type Blocker, describeBlockers, watchBlockers } from './blockers.js';
import { statementChecksum } from './checksum.js';
import { sqlState } from './connect.js';
import { type EngineContext, InterruptedError, logLine, query } from './context.js';
import type { HistoryRow, HistoryKind } from './history.js';
import { analyze, type Analysis } from './analyze.js';
import { formatSqlError, type PgErrorFields } from './sql/error-frame.js';
import type { Statement } from './sql/splitter.js';
import { formatDuration } from '../util/time.js';

/** A migration or seed as the applier sees it. */
export interface Script {
  kind: HistoryKind;
  /** Canonical version, or the seed's file name. */
  version: string;
  description: string;
  file: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends SchemagateError {
  override readonly name = 'MigrationError';
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly sqlState: string | undefined;
  constructor(
    script: Script,
    message: string,
    opts: {
      hint?: string;
      line?: number;
      column?: number;
      sqlState?: string;
      cause?: unknown;
      exitCode?: ExitCode;
      code?: string;
    },
  ) {
    super(opts.code ?? 'migration.failed', message, {
      exitCode: opts.exitCode ?? ExitCode.migration,
      context: { file: script.file, version: script.version },
      ...(opts.hint ? { hint: opts.hint } : {}),
      cause: opts.cause,
    });
    this.line = opts.line;
    this.column = opts.column;
    this.sqlState = opts.sqlState;
  }
}

const LOCK_NOT_AVAILABLE = '55P03';
const QUERY_CANCELED = '57014';

function settingsFor(ctx: EngineContext, a: Analysis) {
  return {
    lockTimeoutMs: a.directives.lockTimeoutMs ?? ctx.settings.lockTimeoutMs,
    statementTimeoutMs: a.directives.statementTimeoutMs ?? ctx.settings.statementTimeoutMs,
  };
}

/** The error of a failed statement, located in its file, with PostgreSQL's own fields. */
function sqlFailure(
  ctx: EngineContext,
  script: Script,
  e: unknown,
  sent: string,
  sentOffset: number,
  blockers: Blocker[],
  tail: string,
): Error {
  if (ctx.signal?.aborted) return new InterruptedError(`running ${script.file}`);
  const state = sqlState(e);
  if (!state) return e instanceof Error ? e : new Error(String(e));
  const err = e as PgErrorFields;
  const located = formatSqlError({
    file: script.file,
    source: script.sql,
    sentOffset,
    sent,
    error: { ...err, message: redact(err.message) },
  });
  let message = located.message;
  if (state === LOCK_NOT_AVAILABLE) {
    message +=
      blockers.length > 0
        ? `\n  blocked by: ${describeBlockers(blockers)}`
        : '\n  blocked by: (the blocking session ended before it could be identified)';
  }
  const hint =
    state === LOCK_NOT_AVAILABLE
      ? `The migration waited longer than lock_timeout for a lock held by another session${blockers[0] ? ` (pid ${blockers[0].pid})` : ''}. Let that transaction finish (or end it with SELECT pg_terminate_backend(pid)), then run again; raise migrations.lockTimeout or add \`-- schemagate:lock-timeout 30s\` to the file if the wait is expected. ${tail}`
      : state === QUERY_CANCELED
        ? `The statement ran longer than statement_timeout. Raise migrations.statementTimeout or add \`-- schemagate:statement-timeout 10m\` to the file. ${tail}`
        : tail;
  return new MigrationError(script, message, {
    hint: hint.trim(),
    line: located.line,
    column: located.column,
    sqlState: state,
    cause: e,
  });
}

/** Retries `attempt` on lock_timeout (55P03) with doubling, jittered backoff. */
async function withLockRetries<T>(ctx: EngineContext, script: Script, attempt: () => Promise<T>): Promise<T> {
  let delay = 500;
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (e) {
      if (sqlState(e) !== LOCK_NOT_AVAILABLE || tries >= ctx.settings.lockRetries || ctx.signal?.aborted) throw e;
      const wait = delay / 2 + Math.random() * (delay / 2);
      logLine(
        ctx,
        `${script.file}: lock_timeout reached, retry ${tries + 1} of ${ctx.settings.lockRetries} in ${formatDuration(wait)}`,
      );
      await ctx.sleep(wait, ctx.signal);
      delay = Math.min(delay * 2, 10_000);
    }
  }
}

function withBlockers(e: unknown, blockers: Blocker[]): unknown {
  if (e && typeof e === 'object') (e as { blockers?: Blocker[] }).blockers = blockers;
  return e;
}

function blockersOf(e: unknown): Blocker[] {
  return (e as { blockers?: Blocker[] } | null)?.blockers ?? [];
}

function timeoutSql(ms: number): string {
  return `'${Math.max(0, Math.round(ms))}ms'`;
}

/**
 * Runs a migration or seed in one transaction with its history row, in a single
 * round trip: BEGIN, SET LOCAL timeouts, the file's SQL, the INSERT, COMMIT.
 * `synchronousCommit: false` lets all but the last migration of a run commit
 * without waiting for the WAL flush; the last one's synchronous commit flushes
 * them all, so the run is durable at its end like one transaction.
 */
export async function applyInTransaction(
  ctx: EngineContext,
  script: Script,
  a: Analysis,
  opts: { synchronousCommit: boolean; setupSql?: string },
): Promise<number> {
  const s = settingsFor(ctx, a);
  const prefix =
    'BEGIN;\n' +
    (opts.setupSql ?? '') +
    `SET LOCAL lock_timeout = ${timeoutSql(s.lockTimeoutMs)};\n` +
    `SET LOCAL statement_timeout = ${timeoutSql(s.statementTimeoutMs)};\n` +
    (opts.synchronousCommit ? '' : 'SET LOCAL synchronous_commit = off;\n');
  const insert = ctx.history.insertSql(
    { ...script, script: script.file },
    '(extract(epoch FROM clock_timestamp() - now()) * 1000)::integer',
  );
  const text = `${prefix}${script.sql}\n;\n${insert};\nCOMMIT;`;
  const started = ctx.clock.now();
  try {
    await withLockRetries(ctx, script, async () => {
      const watcher = watchBlockers(ctx, s.lockTimeoutMs);
      try {
        await query(ctx, text);
      } catch (e) {
        await ctx.client.query('ROLLBACK').catch(() => undefined);
        throw withBlockers(e, watcher.stop());
      } finally {
        watcher.stop();
      }
    });
  } catch (e) {
    const tail = 'Its transaction was rolled back: nothing of it was applied.';
    const adjusted = adjustPrefix(e, prefix.length);
    const st = await locateFailedStatement(ctx, a, s, adjusted);
    if (st) throw sqlFailure(ctx, script, adjusted, st.text, st.start, blockersOf(e), tail);
    throw sqlFailure(ctx, script, adjusted, script.sql, 0, blockersOf(e), tail);
  }
  return ctx.clock.now() - started;
}

/**
 * PostgreSQL gives no position for many errors (a unique violation, a failed
 * foreign key, RAISE). The migration went as one query, so which statement
 * failed is not known; replay it statement by statement in a transaction that
 * is rolled back, and the first one that fails is the one to point at.
 */
async function locateFailedStatement(
  ctx: EngineContext,
  a: Analysis,
  s: { lockTimeoutMs: number; statementTimeoutMs: number },
  e: unknown,
): Promise<Statement | undefined> {
  const code = sqlState(e);
  if (!code || (e as { position?: string }).position || a.statements.length < 2 || ctx.signal?.aborted)
    return undefined;
  if (code === LOCK_NOT_AVAILABLE || code === QUERY_CANCELED || code.startsWith('08') || code.startsWith('57'))
    return undefined;
  try {
    await ctx.client.query(
      `BEGIN; SET LOCAL lock_timeout = ${timeoutSql(s.lockTimeoutMs)}; SET LOCAL statement_timeout = ${timeoutSql(s.statementTimeoutMs)}`,
    );
    for (const st of a.statements) {
      try {
        await query(ctx, st.text);
      } catch (replayed) {
        return sqlState(replayed) === code ? st : undefined;
      }
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    await ctx.client.query('ROLLBACK').catch(() => undefined);
  }
}

/** PostgreSQL's position counts from the start of the text sent; the file starts after our prefix. */
function adjustPrefix(e: unknown, prefixLength: number): unknown {
  const err = e as { position?: string };
  if (err && typeof err.position === 'string') {
    const p = Number(err.position) - prefixLength;
    err.position = p >= 1 ? String(p) : undefined;
  }
  return e;
}

/**
 * Runs a migration that cannot run in a transaction: statement by statement,
 * recording progress after each, so that after a failure (or a kill) the next
 * run resumes at the statement that did not complete. If a statement that was
 * already applied has been edited since, it refuses (the database has the old one).
 */
export async function applyWithoutTransaction(
  ctx: EngineContext,
  script: Script,
  a: Analysis,
  row: HistoryRow | undefined,
): Promise<number> {
  const statements = a.statements;
  const sums = statements.map((st) => statementChecksum(st.text));
  let start = row && !row.success ? (row.statementsApplied ?? 0) : 0;
  if (start > statements.length) start = statements.length;
  for (let i = 0; i < start; i++) {
    if (row?.statementChecksums?.[i] !== sums[i]) {
      const st = statements[i]!;
      throw new MigrationError(
        script,
        `${script.file}:${st.line}:${st.column}: statement ${i + 1} was already applied by an earlier run, and has been edited since: the database has the old statement`,
        {
          code: 'migration.resume-changed',
          exitCode: ExitCode.validation,
          hint: `Statements 1-${start} of ${script.file} ran before it failed. Restore statement ${i + 1} as it was, or undo the applied statements by hand and clear the record with \`schemagate db repair --clear-failed ${script.version}\`.`,
        },
      );
    }
  }
  const s = settingsFor(ctx, a);
  const started = ctx.clock.now();
  const elapsed = () => ctx.clock.now() - started;
  if (start > 0) {
    const st = statements[start];
    logLine(
      ctx,
      `${script.file}: resuming at statement ${start + 1} of ${statements.length}${st ? ` (line ${st.line})` : ''}`,
    );
  }
  const progress = (applied: number, error: string | null) =>
    ctx.history.recordProgress({
      kind: script.kind,
      version: script.version,
      description: script.description,
      script: script.file,
      checksum: script.checksum,
      applied,
      total: statements.length,
      statementChecksums: sums.slice(0, applied),
      error,
      executionTimeMs: elapsed(),
    });
  await progress(start, null);
  await ctx.client.query(
    `SET lock_timeout = ${timeoutSql(s.lockTimeoutMs)}; SET statement_timeout = ${timeoutSql(s.statementTimeoutMs)}`,
  );
  try {
    for (let i = start; i < statements.length; i++) {
      const st: Statement = statements[i]!;
      try {
        await withLockRetries(ctx, script, async () => {
          const watcher = watchBlockers(ctx, s.lockTimeoutMs);
          try {
            await query(ctx, st.text);
          } catch (e) {
            throw withBlockers(e, watcher.stop());
          } finally {
            watcher.stop();
          }
        });
      } catch (e) {
        const blockers = blockersOf(e);
        const tail =
          i === 0
            ? `It runs outside a transaction; no statement of it was applied. Fix the file and run again.`
            : `It runs outside a transaction: statements 1-${i} of ${statements.length} were applied and are recorded. Fix the file and run again: it resumes at statement ${i + 1} (line ${st.line}).`;
        const failure = sqlFailure(ctx, script, e, st.text, st.start, blockers, tail);
        if (!(failure instanceof InterruptedError)) await progress(i, redact(failure.message)).catch(() => undefined);
        throw failure;
      }
      await progress(i + 1, null);
    }
  } finally {
    await ctx.client.query('RESET lock_timeout; RESET statement_timeout').catch(() => undefined);
  }
  await ctx.history.complete(script.kind, script.version, elapsed());
  return elapsed();
}

/** Runs a script the way its analysis says: in a transaction, or statement by statement. */
export async function applyScript(
  ctx: EngineContext,
  script: Script,
  row: HistoryRow | undefined,
  opts: { synchronousCommit: boolean; analysis?: Analysis; setupSql?: string },
): Promise<{ ms: number; transactional: boolean }> {
  const a = opts.analysis ?? analyze(script);
  if (a.transactional) return { ms: await applyInTransaction(ctx, script, a, opts), transactional: true };
  if (opts.setupSql) await ctx.client.query(opts.setupSql);
  return { ms: await applyWithoutTransaction(ctx, script, a, row), transactional: false };
}
