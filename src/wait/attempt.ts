/**
 * One attempt at asking a target whether it is up: what a probe gets (a
 * signal that ends the attempt at its own timeout or when the wait stops) and
 * how it fails (a message, and whether waiting longer could change it).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { abortReason } from '../util/time.js';

export interface Attempt {
  /** Aborted at the attempt's timeout (reason: an AttemptError) or when the whole wait stops. */
  signal: AbortSignal;
  timeoutMs: number;
}

/** Why an attempt failed. `permanent`: waiting cannot fix it (a wrong password), so the wait stops at once. */
export class AttemptError extends Error {
  override readonly name = 'AttemptError';
  readonly permanent: boolean;
  readonly hint: string | undefined;
  constructor(message: string, opts: { permanent?: boolean; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.permanent = opts.permanent ?? false;
    this.hint = opts.hint;
  }
}

// Certificate problems (node's names for OpenSSL's verify errors): a retry sees the same certificate.
const CERTIFICATE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A socket-level failure in words; TLS misconfiguration is permanent, everything else may heal. */
export function networkError(e: unknown, host: string): AttemptError {
  if (e instanceof AttemptError) return e;
  // Anything may be thrown: a socket's errors carry a code, other values may not even be objects.
  const err: Partial<NodeJS.ErrnoException> = typeof e === 'object' && e !== null ? e : {};
  const code = err.code ?? '';
  const say = (message: string, opts: { permanent?: boolean; hint?: string } = {}) =>
    new AttemptError(message, { ...opts, cause: e });
  switch (code) {
    case 'ECONNREFUSED':
      return say('connection refused');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return say(`host "${host}" not found`);
    case 'ECONNRESET':
    case 'EPIPE':
      return say('connection reset by the server');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return say(`host ${host} unreachable`);
    case 'ETIMEDOUT':
      return say('connection timed out');
  }
  if (CERTIFICATE.has(code)) {
    return say(`its TLS certificate is not trusted: ${err.message ?? code}`, {
      permanent: true,
      hint: 'Give Node.js the CA that signed it (NODE_EXTRA_CA_CERTS=/path/to/ca.pem), or check the host name in the target.',
    });
  }
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_')) {
    return say(`TLS handshake failed: ${err.message ?? code}`, {
      permanent: true,
      hint: 'Is it a TLS port? Use the scheme without TLS (tcp://, http://, redis://) for a plain one, or the right port.',
    });
  }
  return say(err.message ? `${err.message}${code ? ` (${code})` : ''}` : String(e));
}

/**
 * Opens a TCP (or TLS) connection for one attempt and hands it to `talk`,
 * which resolves with the answer. The socket is destroyed when the attempt
 * ends, whichever way: answered, failed, timed out or stopped.
 */
export function converse(
  target: { host: string; port: number; tls?: boolean },
  attempt: Attempt,
  talk: (socket: Socket, done: (answer: string) => void, fail: (e: AttemptError) => void) => void,
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    if (attempt.signal.aborted) {
      reject(abortReason(attempt.signal));
      return;
    }
    const socket = target.tls
      ? tlsConnect({
          host: target.host,
          port: target.port,
          // SNI takes a name, not an address.
          ...(/^[\d.]+$|:/.test(target.host) ? {} : { servername: target.host }),
        })
      : netConnect({ host: target.host, port: target.port });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      attempt.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      fn();
    };
    const onAbort = () => finish(() => reject(abortReason(attempt.signal)));
    attempt.signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (e) => finish(() => reject(networkError(e, target.host))));
    socket.on(target.tls ? 'secureConnect' : 'connect', () =>
      talk(
        socket,
        (answer) => finish(() => resolve(answer)),
        (e) => finish(() => reject(e)),
      ),
    );
  });
}
