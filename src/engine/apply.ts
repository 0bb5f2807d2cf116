import { SchemagateError } from '../errors.js';
import { analyze, type Analysis } from './analyze.js';
import { applyWithoutTransaction, type StepRecorder } from './apply-steps.js';
import { watchBlockers } from './blockers.js';
import { type EngineContext, query } from './context.js';
import type { HistoryRow } from './history.js';
import { forwardNotices, runStatement } from './run-statement.js';
import {
  annotate,
  blockersOf,
  type Script,
  settingsFor,
  sqlFailure,
  statementOf,
  timeoutSql,
  withLockRetries,
} from './script-failure.js';
import { resetSql } from './session-state.js';
import type { Statement } from './sql/splitter.js';
import { beginSql } from './sql/wrapper.js';
import { itemAt } from '../util/defined.js';

export { applyWithoutTransaction, type StepRecorder } from './apply-steps.js';
export { MigrationError, type Script } from './script-failure.js';

/**
 * What a transactional script writes to the history with its last statement.
 * Its SQL raises an error when the write cannot be made as it must (the lock
 * was lost, the row is another runner's), so that it is sent in one round trip
 * with the COMMIT, which then never happens.
 */
export interface TxTail {
  sql: string;
  /** Turns an error of the tail into the error to report. */
  error?(e: unknown): unknown;
}

/**
 * Whatever a script did to its session, its history row is written as the
 * runner's own role, with the runner's search path and timeouts. SET LOCAL:
 * the script's own session state is wiped after the commit anyway. Its
 * statement_timeout goes first, and for the session too: every statement
 * until then (and, were it kept past the commit, the next script's BEGIN)
 * runs under it, and a script's `SET statement_timeout = '1ms'` would cancel
 * one of them whenever the machine is busy.
 */
function restoreSql(lockTimeoutMs: number, synchronousCommit: boolean): string {
  return (
    'RESET statement_timeout; SET LOCAL SESSION AUTHORIZATION DEFAULT; SET LOCAL ROLE NONE; SET LOCAL search_path = pg_catalog, pg_temp; ' +
    `SET LOCAL lock_timeout = ${timeoutSql(lockTimeoutMs)}; SET LOCAL statement_timeout = 0;` +
    (synchronousCommit ? ' SET LOCAL synchronous_commit = on;' : ' SET LOCAL synchronous_commit = off;')
  );
}

/**
 * Runs a script in one transaction with its history write, statement by
 * statement (so an error, a timeout or a cancellation points at its own
 * statement, and COPY ... FROM STDIN can send its data): BEGIN, SET LOCAL
 * timeouts, the statements, the history write, COMMIT. A signal before the
 * COMMIT rolls it all back. `synchronousCommit: false` lets all but the last
 * migration of a run commit without waiting for the WAL flush; the last
 * one's synchronous commit flushes them all, so the run is durable at its
 * end like one transaction.
 */
export async function applyInTransaction(
  ctx: EngineContext,
  script: Script,
  a: Analysis,
  opts: { synchronousCommit: boolean; setupSql?: string; tail: TxTail },
): Promise<number> {
  const s = settingsFor(ctx, a);
  const started = ctx.clock.now();
  // A file's own BEGIN ... COMMIT is not among the statements: its BEGIN's modes open the transaction.
  const sends = transactionSends(
    a.statements,
    `${beginSql(a.wrapper, ctx.transactionModes)}${resetSql(ctx)}${opts.setupSql ?? ''}SET LOCAL lock_timeout = ${timeoutSql(s.lockTimeoutMs)}; SET LOCAL statement_timeout = ${timeoutSql(s.statementTimeoutMs)};\n`,
    `\n;\n${restoreSql(s.lockTimeoutMs, opts.synchronousCommit)}\n${opts.tail.sql};\nCOMMIT;`,
  );
  let current: Statement | undefined;
  const stopNotices = forwardNotices(ctx, script.file, () => current);
  try {
    await withLockRetries(ctx, script, async () => {
      const watcher = watchBlockers(ctx, s.lockTimeoutMs);
      current = undefined;
      try {
        for (const send of sends) {
          current = send.statement;
          // The last send commits: a signal that came while the statements ran rolls everything back instead.
          if (send.commits) ctx.signal?.throwIfAborted();
          try {
            if (send.statement?.copy) await runStatement(ctx, send.statement);
            else await query(ctx, send.text);
          } catch (e) {
            const tail = opts.tail.error?.(e) ?? e;
            if (tail !== e) {
              current = undefined;
              throw tail;
            }
            throw located(e, send.prefix, send.statement);
          }
        }
      } catch (e) {
        await ctx.client.query('ROLLBACK').catch(() => undefined);
        throw annotate(e, watcher.stop(), current);
      } finally {
        watcher.stop();
      }
    });
  } catch (e) {
    if (e instanceof SchemagateError && !ctx.signal?.aborted) throw e;
    const tail = 'Its transaction was rolled back: nothing of it was applied.';
    throw sqlFailure(
      ctx,
      script,
      e,
      statementOf(e),
      blockersOf(e),
      tail,
      `the running statement was cancelled and its transaction rolled back: nothing of ${script.file} was applied`,
      s.statementTimeoutMs,
    );
  } finally {
    stopNotices();
  }
  return ctx.clock.now() - started;
}

/** One round trip of a transactional script: a statement, with the transaction's setup before the first and its end after the last. */
interface Send {
  text: string;
  statement: Statement | undefined;
  /** Length of what precedes the statement in `text` (PostgreSQL's positions count from the start of `text`). */
  prefix: number;
  commits: boolean;
}

/**
 * The round trips of a script run in a transaction: one per statement (so an
 * error, a timeout or a cancellation is known to be its own statement's, and
 * COPY can send its data), with BEGIN and the settings sent together with the
 * first statement and the history write and COMMIT with the last, so a
 * one-statement migration is one round trip. A COPY goes alone.
 */
function transactionSends(statements: readonly Statement[], begin: string, end: string): Send[] {
  const sends: Send[] = statements.map((st) => ({ text: st.text, statement: st, prefix: 0, commits: false }));
  const first = sends[0];
  if (first && !first.statement?.copy) {
    first.text = begin + first.text;
    first.prefix = begin.length;
  } else sends.unshift({ text: begin, statement: undefined, prefix: 0, commits: false });
  const last = itemAt(sends, -1, 'the last send');
  if (last.statement && !last.statement.copy) {
    last.text += end;
    last.commits = true;
  } else sends.push({ text: end.replace(/^\s*;/, ''), statement: undefined, prefix: 0, commits: true });
  return sends;
}

/** A statement's error, with PostgreSQL's position made relative to the statement; errors in the SQL around it are schemagate's own. */
function located(e: unknown, prefix: number, st: Statement | undefined): unknown {
  const err = e as { position?: string } | null;
  if (!st || !err || typeof err.position !== 'string') return e;
  const p = Number(err.position) - prefix;
  err.position = p >= 1 && p <= st.text.length + 1 ? String(p) : undefined;
  return e;
}

/** The up path's record of a non-transactional migration or seed: its history row. */
function upRecorder(ctx: EngineContext, script: Script, row: HistoryRow | undefined, total: number): StepRecorder {
  const failed = row && !row.success ? row : undefined;
  return {
    resumed: failed
      ? { applied: failed.statementsApplied ?? 0, checksums: failed.statementChecksums, error: failed.error }
      : undefined,
    record: (applied, checksums, error, elapsedMs) =>
      ctx.history.recordProgress({
        kind: script.kind,
        version: script.version,
        description: script.description,
        script: script.file,
        checksum: script.checksum,
        applied,
        total,
        statementChecksums: checksums,
        error,
        executionTimeMs: elapsedMs,
      }),
    finish: (elapsedMs) => ctx.history.complete(script.kind, script.version, elapsedMs),
    editedHint: (applied) =>
      `Statements 1-${applied} of ${script.file} ran before it stopped. Restore the edited statement as it was, or undo the applied statements by hand and clear the record with \`schemagate db repair --clear-failed ${script.version}\`.`,
  };
}

/** The history row of a completed script, written in its own transaction. */
function insertTail(ctx: EngineContext, script: Script): TxTail {
  return {
    sql: ctx.history.insertSql(
      { ...script, script: script.file },
      "(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() - pg_catalog.now()) * 1000)::integer",
      { replace: script.kind === 'seed' },
    ),
    error: (e) => ctx.history.writeError(e, script.kind, script.version),
  };
}

/** Runs a script the way its analysis says: in a transaction, or statement by statement. */
export async function applyScript(
  ctx: EngineContext,
  script: Script,
  row: HistoryRow | undefined,
  opts: { synchronousCommit: boolean; analysis?: Analysis; setupSql?: string },
): Promise<{ ms: number; transactional: boolean }> {
  const a = opts.analysis ?? analyze(script);
  if (a.transactional) {
    const ms = await applyInTransaction(ctx, script, a, {
      synchronousCommit: opts.synchronousCommit,
      ...(opts.setupSql ? { setupSql: opts.setupSql } : {}),
      tail: insertTail(ctx, script),
    });
    return { ms, transactional: true };
  }
  if (opts.setupSql) await ctx.history.query(opts.setupSql);
  // A seed run again (--force) starts a fresh row: progress never overwrites a completed one.
  if (script.kind === 'seed' && row?.success) {
    await ctx.history.delete('seed', script.version);
    row = undefined;
  }
  const ms = await applyWithoutTransaction(ctx, script, a, upRecorder(ctx, script, row, a.statements.length));
  return { ms, transactional: false };
}
