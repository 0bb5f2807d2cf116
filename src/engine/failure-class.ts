/**
 * Whether another attempt of a failed migration or seed can succeed, from
 * PostgreSQL's SQLSTATE: the exit code says so, and the Jobs'
 * podFailurePolicy acts on it (retry, or fail the Job at once).
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
import { ExitCode } from '../errors.js';

/** SQLSTATEs of a failure that passes: the same file may well succeed on the next attempt. */
const TRANSIENT: ReadonlyMap<string, string> = new Map([
  ['55P03', 'lock_not_available'],
  // A statement timeout (see below for other cancels); one cancelled on SIGTERM is reported as an interruption first.
  ['57014', 'query_canceled'],
  ['40001', 'serialization_failure'],
  ['40P01', 'deadlock_detected'],
]);

/** Classes of the server going away or refusing new work for now. */
function connectionLost(state: string): boolean {
  return state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03';
}

/**
 * The exit code of a migration or seed that failed with this SQLSTATE (and
 * PostgreSQL's message): a query cancelled by another session or an
 * administrator (57014 without "statement timeout") is final, since someone
 * stopped it on purpose; a statement timeout is not.
 */
export function exitCodeForSqlState(state: string, message = ''): ExitCode {
  if (state === '57014' && !/statement timeout/i.test(message)) return ExitCode.migration;
  if (TRANSIENT.has(state) || state.startsWith('53')) return ExitCode.transient;
  if (connectionLost(state)) return ExitCode.connection;
  return ExitCode.migration;
}

/** Said after a failure another attempt may get past; undefined for an SQL error in the file. */
export function retryAdvice(state: string): string | undefined {
  if (state === '40001' || state === '40P01')
    return 'Another transaction conflicted with this one; the migration was rolled back and another attempt may succeed (a Job retries it).';
  if (state.startsWith('53')) return 'The server is short of resources for now; another attempt may succeed.';
  if (connectionLost(state))
    return 'The connection to PostgreSQL was lost (the server shut down or ended the session); run again once it is back (a Job retries it).';
  return undefined;
}

/** Node's socket errors and pg's own message when the server closes the connection mid-query. */
const SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EHOSTUNREACH']);

/** Whether an error without an SQLSTATE is the connection going away. */
export function isConnectionLoss(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown } | null;
  if (typeof err?.code === 'string' && SOCKET_CODES.has(err.code)) return true;
  return typeof err?.message === 'string' && /Connection terminated|connection (was )?closed/i.test(err.message);
}
