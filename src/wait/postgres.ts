/**
 * `postgres://...`: what `db wait` does (a connection and `SELECT 1`), one
 * attempt at a time. Imported only when a postgres target is given: it loads `pg`.
 */
import { WAIT_ADVICE } from '../engine/connect.js';
import { isPermanentConnectError, pingDatabase } from '../engine/wait.js';
import { SchemagateError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { type Attempt, AttemptError } from './attempt.js';
import type { Target } from '../config/wait-target.js';
import { abortReason } from '../util/time.js';

/** The target's URL with a password read from #password-env / #password-file put in. */
function connectionUrl(target: Target & { kind: 'postgres' }): string {
  if (!target.passwordFrom || target.password === undefined) return target.url;
  const u = new URL(target.url);
  u.password = encodeURIComponent(target.password);
  registerSecret(u.password);
  return u.toString();
}

export async function probePostgres(target: Target & { kind: 'postgres' }, attempt: Attempt): Promise<string> {
  if (attempt.signal.aborted) throw abortReason(attempt.signal);
  const ping = pingDatabase({
    url: connectionUrl(target),
    applicationName: 'schemagate wait',
    // pg's own timeout is only a backstop that closes the connection: the attempt's signal ends the attempt.
    connectTimeoutMs: attempt.timeoutMs + 1000,
  });
  // pg takes no signal: the attempt ends when the signal says so, and the connection closes by its own timeout.
  let onAbort: () => void = () => undefined;
  let stopped: Error | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      stopped = abortReason(attempt.signal);
      reject(stopped);
    };
    attempt.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([ping, aborted]);
    return 'SELECT 1 answered';
  } catch (e) {
    if (e === stopped) throw e;
    const err = e instanceof SchemagateError ? e : undefined;
    throw new AttemptError(e instanceof Error ? e.message : String(e), {
      permanent: isPermanentConnectError(e),
      ...(err?.hint ? { hint: err.hint.replace(WAIT_ADVICE, '') } : {}),
      cause: e,
    });
  } finally {
    attempt.signal.removeEventListener('abort', onAbort);
    ping.catch(() => undefined);
  }
}
