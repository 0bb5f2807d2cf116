import { ExitCode, SchemagateError } from '../errors.js';
import { redact } from '../redact.js';
import type { Analysis } from './analyze.js';
import { exitCodeForSqlState, isConnectionLoss, retryAdvice } from './failure-class.js';
import { type Blocker, describeBlockers } from './blockers.js';
import { sqlState } from './connect.js';
import { abortError, type EngineContext, logLine } from './context.js';
import type { HistoryKind } from './history.js';
import { formatSqlError, type PgErrorFields } from './sql/error-frame.js';
import type { Statement } from './sql/splitter.js';
import { formatDuration } from '../util/time.js';

/*
 * What running a script's statements shares, in a transaction or outside
 * one: the script, its settings, lock_timeout retries, and the error of a
 * failed statement located in its file.
 */

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

export function settingsFor(ctx: EngineContext, a: Analysis) {
  return {
    lockTimeoutMs: a.directives.lockTimeoutMs ?? ctx.settings.lockTimeoutMs,
    statementTimeoutMs: a.directives.statementTimeoutMs ?? ctx.settings.statementTimeoutMs,
  };
}

/** Where a COPY's data error is: `COPY items, line 3, column price: "x"` points at the third data line. */
function copyDataLine(st: Statement, where: string | undefined): { sent: string; sentOffset: number } | undefined {
  const m = st.copy && where ? /COPY [^,]+, line (\d+)/.exec(where) : null;
  if (!st.copy || !m) return undefined;
  let offset = 0;
  for (let n = 1; n < Number(m[1]) && offset < st.copy.text.length; n++) {
    const next = st.copy.text.indexOf('\n', offset);
    if (next === -1) break;
    offset = next + 1;
  }
  const end = st.copy.text.indexOf('\n', offset);
  return {
    sent: st.copy.text.slice(offset, end === -1 ? undefined : end),
    sentOffset: st.copy.start + offset,
  };
}

function cancelHint(err: PgErrorFields, statementTimeoutMs: number): string {
  if (/statement timeout/i.test(err.message))
    return `The statement ran longer than statement_timeout (${formatDuration(statementTimeoutMs)}). Raise migrations.statementTimeout or add \`-- schemagate:statement-timeout 10m\` to the file.`;
  return 'The statement was cancelled by another session (pg_cancel_backend) or by an administrator, not by schemagate. Find out who cancelled it, then run again.';
}

/** The error of a failed statement, located in its file, with PostgreSQL's own fields. */
export function sqlFailure(
  ctx: EngineContext,
  script: Script,
  e: unknown,
  st: Statement | undefined,
  blockers: Blocker[],
  tail: string,
  interrupted: string,
  statementTimeoutMs: number,
): Error {
  if (ctx.signal?.aborted) return abortError(ctx.signal, `running ${script.file}`, interrupted);
  const state = sqlState(e);
  if (!state) {
    if (!isConnectionLoss(e)) return e instanceof Error ? e : new Error(String(e));
    return new MigrationError(
      script,
      `${script.file}: lost the connection to PostgreSQL while running it: ${redact((e as Error).message)}`,
      {
        code: 'migration.connection-lost',
        exitCode: ExitCode.connection,
        hint: `${tail} Run again once the database is back (a Job retries it); the history table says what was applied.`,
        cause: e,
      },
    );
  }
  const err = e as PgErrorFields;
  if (!st) {
    return new MigrationError(
      script,
      `${script.file}: ${redact(err.message)} (SQLSTATE ${state}), in schemagate's own statement around it (the transaction's setup, its history row, or COMMIT: a deferred constraint or trigger fails there)`,
      {
        hint: `${retryAdvice(state) ?? ''} ${tail}`.trim(),
        sqlState: state,
        cause: e,
        exitCode: exitCodeForSqlState(state, err.message),
      },
    );
  }
  const data = copyDataLine(st, err.where);
  const located = formatSqlError({
    file: script.file,
    source: script.sql,
    sentOffset: data ? data.sentOffset : st.start,
    sent: data ? data.sent : st.text,
    error: { ...err, message: redact(err.message), ...(data ? { position: undefined } : {}) },
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
      ? `The statement waited longer than lock_timeout for a lock held by another session${blockers[0] ? ` (pid ${blockers[0].pid})` : ''}. Let that transaction finish (or end it with SELECT pg_terminate_backend(pid)), then run again; raise migrations.lockTimeout or add \`-- schemagate:lock-timeout 30s\` to the file if the wait is expected. ${tail}`
      : state === QUERY_CANCELED
        ? `${cancelHint(err, statementTimeoutMs)} ${tail}`
        : `${retryAdvice(state) ?? ''} ${tail}`;
  return new MigrationError(script, message, {
    exitCode: exitCodeForSqlState(state, err.message),
    hint: hint.trim(),
    line: located.line,
    column: located.column,
    sqlState: state,
    cause: e,
  });
}

/** Retries `attempt` on lock_timeout (55P03) with doubling, jittered backoff. */
export async function withLockRetries<T>(ctx: EngineContext, script: Script, attempt: () => Promise<T>): Promise<T> {
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

/** A failure, with who blocked it and the statement it happened in. */
export function annotate(e: unknown, blockers: Blocker[], statement: Statement | undefined): unknown {
  if (e && typeof e === 'object') Object.assign(e, { blockers, statement });
  return e;
}

export function blockersOf(e: unknown): Blocker[] {
  return (e as { blockers?: Blocker[] } | null)?.blockers ?? [];
}

export function statementOf(e: unknown): Statement | undefined {
  return (e as { statement?: Statement } | null)?.statement;
}

export function timeoutSql(ms: number): string {
  return `'${Math.max(0, Math.round(ms))}ms'`;
}
