import { ExitCode, SchemagateError } from '../errors.js';
import { redact } from '../redact.js';
import { cancelBackend, type Client, type ConnectOptions } from './connect.js';
import type { HeldLock } from './held-lock.js';
import type { HistoryTable } from './history.js';
import { type Clock, sleep as realSleep, systemClock } from '../util/time.js';

/** Where the engine reports progress: one line at a time, already redacted. */
export type Logger = (line: string) => void;

/** A message PostgreSQL sent while a migration ran: warnings are always shown, notices with --verbose. */
export type NoticeSink = (level: 'warning' | 'notice', line: string) => void;

export interface EngineSettings {
  lockTimeoutMs: number;
  lockRetries: number;
  statementTimeoutMs: number;
}

/** Everything a step of the engine needs, handed in by its caller (STYLE 3). */
export interface EngineContext {
  /** The connection that runs the scripts (and, without the lock, everything else). */
  client: Client;
  /** The backend pid of `client`, for cancellation and diagnostics. */
  pid: number;
  /** The session's own transaction modes, set at the start of each migration's transaction (SET TRANSACTION). */
  transactionModes?: string | undefined;
  conn: ConnectOptions;
  history: HistoryTable;
  settings: EngineSettings;
  log: Logger;
  notice: NoticeSink;
  /** Aborts on SIGINT/SIGTERM, and when the migration lock is lost (its reason says which). */
  signal: AbortSignal | undefined;
  clock: Clock;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The migration lock, held on a connection of its own (commands that change the database). */
  lock?: HeldLock | undefined;
}

export function makeContext(
  parts: Pick<EngineContext, 'client' | 'pid' | 'conn' | 'history' | 'settings'> & Partial<EngineContext>,
): EngineContext {
  return {
    log: () => undefined,
    notice: () => undefined,
    signal: undefined,
    clock: systemClock,
    sleep: realSleep,
    ...parts,
  };
}

export class InterruptedError extends SchemagateError {
  override readonly name = 'InterruptedError';
  constructor(what: string, outcome = 'the running statement was cancelled and its transaction rolled back') {
    super('interrupted', `interrupted while ${what}: ${outcome}`, {
      exitCode: ExitCode.interrupted,
      hint: 'Run the command again to continue; applied migrations are recorded.',
    });
  }
}

/**
 * The error to report when `signal` aborted: the reason itself when the engine
 * aborted for a reason of its own (a lost lock), else an InterruptedError.
 */
export function abortError(signal: AbortSignal, what: string, outcome?: string): SchemagateError {
  const reason: unknown = signal.reason;
  if (reason instanceof SchemagateError && reason.exitCode !== ExitCode.interrupted) return reason;
  return new InterruptedError(what, outcome);
}

/**
 * Runs `fn` (queries on the backend `pid`); if the signal aborts meanwhile,
 * the running query is cancelled on the server from a second connection
 * (`pg` cannot send a CancelRequest itself).
 */
export async function cancellable<T>(
  conn: ConnectOptions,
  pid: number,
  signal: AbortSignal | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  if (!signal) return fn();
  signal.throwIfAborted();
  const onAbort = () => void cancelBackend(conn, pid);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await fn();
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Runs one query on the script connection, cancelled if the signal aborts. */
export async function query(ctx: EngineContext, text: string): Promise<unknown> {
  return cancellable(ctx.conn, ctx.pid, ctx.signal, () => ctx.client.query(text));
}

export function logLine(ctx: EngineContext, line: string): void {
  ctx.log(redact(line));
}
