import { ExitCode } from '../errors.js';
import { redact } from '../redact.js';
import type { Analysis } from './analyze.js';
import { watchBlockers } from './blockers.js';
import { statementChecksum } from './checksum.js';
import { type EngineContext, logLine } from './context.js';
import { prepareResumeAt } from './resume-index.js';
import { forwardNotices, runStatement } from './run-statement.js';
import {
  annotate,
  blockersOf,
  MigrationError,
  type Script,
  settingsFor,
  sqlFailure,
  timeoutSql,
  withLockRetries,
} from './script-failure.js';
import { resetSql } from './session-state.js';
import type { Statement } from './sql/splitter.js';
import { itemAt } from '../util/defined.js';

/** Where a non-transactional script's progress is kept: the up path's row, or the down path's. */
export interface StepRecorder {
  /** What an earlier run that stopped part-way recorded. */
  resumed: { applied: number; checksums: string[] | null; error: string | null } | undefined;
  record(applied: number, checksums: string[], error: string | null, elapsedMs: number): Promise<void>;
  finish(elapsedMs: number): Promise<void>;
  /** How to get past an edited statement that already ran. */
  editedHint(applied: number): string;
}

/** Does this statement put the session's settings back to their defaults (so the run's timeouts must be set again)? */
function resetsSettings(st: Statement): boolean {
  return /^(discard\s+all|reset\s+(all|lock_timeout|statement_timeout))\s*$/i.test(st.text.trim());
}

/**
 * Runs a script that cannot run in a transaction: statement by statement,
 * recording progress after each, so that after a failure (or a kill) the next
 * run resumes at the statement that did not complete. If a statement that was
 * already applied has been edited since, it refuses (the database has the old
 * one). Statements inside a transaction the script opens itself (BEGIN ...
 * COMMIT) are recorded together when it commits, so a run stopped inside
 * it resumes at its BEGIN.
 */
export async function applyWithoutTransaction(
  ctx: EngineContext,
  script: Script,
  a: Analysis,
  recorder: StepRecorder,
): Promise<number> {
  const statements = a.statements;
  const total = statements.length;
  const sums = statements.map((st) => statementChecksum(st.text));
  const resumed = recorder.resumed;
  let start = Math.min(resumed?.applied ?? 0, total);
  for (let i = 0; i < start; i++) {
    if (resumed?.checksums?.[i] !== sums[i]) {
      const st = itemAt(statements, i, `statement ${i + 1}`);
      throw new MigrationError(
        script,
        `${script.file}:${st.line}:${st.column}: statement ${i + 1} was already applied by an earlier run, and has been edited since: the database has the old statement`,
        { code: 'migration.resume-changed', exitCode: ExitCode.validation, hint: recorder.editedHint(start) },
      );
    }
  }
  const s = settingsFor(ctx, a);
  const started = ctx.clock.now();
  const elapsed = () => ctx.clock.now() - started;
  if (start > 0 && start < total) {
    logLine(
      ctx,
      `${script.file}: resuming at statement ${start + 1} of ${total} (line ${itemAt(statements, start, `statement ${start + 1}`).line})`,
    );
  }
  const timeouts = `SET lock_timeout = ${timeoutSql(s.lockTimeoutMs)}; SET statement_timeout = ${timeoutSql(s.statementTimeoutMs)}`;
  await ctx.client.query(`${resetSql(ctx)}${timeouts}`);
  if (resumed && start < total) {
    const st = itemAt(statements, start, `statement ${start + 1}`);
    try {
      if ((await prepareResumeAt(ctx, script.file, start, st, resumed.error === null)) === 'skip') start++;
    } catch (e) {
      throw sqlFailure(
        ctx,
        script,
        e,
        st,
        [],
        `Statements 1-${start} of ${total} are applied and recorded.`,
        `stopped before statement ${start + 1}`,
        s.statementTimeoutMs,
      );
    }
  }
  await recorder.record(start, sums.slice(0, start), null, elapsed());
  let recorded = start;
  let current: Statement | undefined;
  const stopNotices = forwardNotices(ctx, script.file, () => current);
  try {
    for (let i = start; i < total; i++) {
      const st = itemAt(statements, i, `statement ${i + 1}`);
      current = st;
      try {
        await withLockRetries(ctx, script, async () => {
          const watcher = watchBlockers(ctx, s.lockTimeoutMs);
          try {
            await runStatement(ctx, st);
          } catch (e) {
            throw annotate(e, watcher.stop(), st);
          } finally {
            watcher.stop();
          }
        });
      } catch (e) {
        // A transaction the script opened is aborted by the error: end it, so the error can be recorded.
        if (ctx.client.getTransactionStatus() !== 'I') await ctx.client.query('ROLLBACK').catch(() => undefined);
        const next = itemAt(statements, recorded, `statement ${recorded + 1}`);
        const tail =
          recorded === 0
            ? `It runs outside a transaction; no statement of it was applied. Fix the file and run again.`
            : `It runs outside a transaction: statements 1-${recorded} of ${total} were applied and are recorded. Fix the file and run again: it resumes at statement ${recorded + 1} (line ${next.line}).`;
        const interrupted = `statement ${i + 1} of ${total} (line ${st.line}) was cancelled; ${recorded === 0 ? 'no statement of it is applied' : `statements 1-${recorded} are applied and recorded`}, and the next run resumes at statement ${recorded + 1}${/^\s*create\s+(unique\s+)?index\s+concurrently/i.test(st.text) ? ' (the index the cancelled CREATE INDEX CONCURRENTLY leaves INVALID is dropped and built again then)' : ''}`;
        const failure = sqlFailure(ctx, script, e, st, blockersOf(e), tail, interrupted, s.statementTimeoutMs);
        if (!ctx.signal?.aborted && failure instanceof MigrationError)
          await recorder
            .record(recorded, sums.slice(0, recorded), redact(failure.message), elapsed())
            .catch(() => undefined);
        throw failure;
      }
      if (resetsSettings(st)) await ctx.client.query(timeouts);
      if (ctx.client.getTransactionStatus() === 'I') {
        recorded = i + 1;
        await recorder.record(recorded, sums.slice(0, recorded), null, elapsed());
      }
    }
    current = undefined;
    if (ctx.client.getTransactionStatus() !== 'I') {
      await ctx.client.query('ROLLBACK').catch(() => undefined);
      const first = itemAt(statements, recorded, `statement ${recorded + 1}`);
      const failure = new MigrationError(
        script,
        `${script.file}:${first.line}:${first.column}: the transaction opened here (statement ${recorded + 1}) is still open at the end of the file: schemagate rolled it back`,
        {
          hint: `End it with COMMIT. Statements 1-${recorded} of ${total} are applied and recorded; the next run resumes at statement ${recorded + 1}.`,
        },
      );
      await recorder.record(recorded, sums.slice(0, recorded), failure.message, elapsed()).catch(() => undefined);
      throw failure;
    }
  } finally {
    stopNotices();
  }
  await recorder.finish(elapsed());
  return elapsed();
}
