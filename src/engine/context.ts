import { ExitCode, SchemagateError } from '../errors.js';
import { redact } from '../redact.js';
import { cancelBackend, type Client, type ConnectOptions } from './connect.js';
import type { HistoryTable } from './history.js';
import { type Clock, sleep as realSleep, systemClock } from '../util/time.js';

/** Where the engine reports progress: one line at a time, already redacted. */
export type Logger = (line: string) => void;

export interface EngineSettings {
  lockTimeoutMs: number;
  lockRetries: number;
  statementTimeoutMs: number;
}

/** Everything a step of the engine needs, handed in by its caller (STYLE 3). */
export interface EngineContext {
  client: Client;
  /** The backend pid of `client`, for cancellation and diagnostics. */
  pid: number;
  conn: ConnectOptions;
  history: HistoryTable;
  settings: EngineSettings;
  log: Logger;
  signal: AbortSignal | undefined;
  clock: Clock;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function makeContext(
  parts: Pick<EngineContext, 'client' | 'pid' | 'conn' | 'history' | 'settings'> & Partial<EngineContext>,
): EngineContext {
  return {
    log: () => undefined,
    signal: undefined,
    clock: systemClock,
    sleep: realSleep,
    ...parts,
  };
}

export class InterruptedError extends SchemagateError {
  override readonly name = 'InterruptedError';
  constructor(what: string) {
    super(
      'interrupted',
      `interrupted while ${what}: the running statement was cancelled and its transaction rolled back`,
      {
        exitCode: ExitCode.interrupted,
        hint: 'Run the command again to continue; applied migrations are recorded.',
      },
    );
  }
}

/**
 * Runs one query; if the signal aborts meanwhile, the query is cancelled on the
 * server from a second connection (`pg` cannot send a CancelRequest itself).
 */
export async function query(ctx: EngineContext, text: string): Promise<unknown> {
  const signal = ctx.signal;
  if (!signal) return ctx.client.query(text);
  signal.throwIfAborted();
  const onAbort = () => void cancelBackend(ctx.conn, ctx.pid);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await ctx.client.query(text);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

export function logLine(ctx: EngineContext, line: string): void {
  ctx.log(redact(line));
}
