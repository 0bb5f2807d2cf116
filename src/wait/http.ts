/**
 * `http://` and `https://`: up when a GET is answered with an expected status
 * (2xx, or `#expect=...`). Redirects are not followed: a 3xx is an answer.
 */
import { request as httpRequest, STATUS_CODES } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type Attempt, AttemptError, networkError } from './attempt.js';
import { showExpect, type Target } from '../config/wait-target.js';
import { abortReason } from '../util/time.js';

type HttpTarget = Target & { kind: 'http' };

function expected(target: HttpTarget, status: number): boolean {
  return target.expect.some((r) => status >= r.from && status <= r.to);
}

export function probeHttp(target: HttpTarget, attempt: Attempt): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    if (attempt.signal.aborted) {
      reject(abortReason(attempt.signal));
      return;
    }
    const auth = target.user !== undefined || target.password !== undefined;
    const req = (target.tls ? httpsRequest : httpRequest)({
      host: target.host,
      port: target.port,
      path: target.path,
      method: 'GET',
      // A fresh connection per attempt, closed after the status line: nothing lingers between attempts.
      agent: false,
      headers: { 'user-agent': 'schemagate-wait', accept: '*/*', connection: 'close' },
      ...(auth ? { auth: `${target.user ?? ''}:${target.password ?? ''}` } : {}),
    });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      attempt.signal.removeEventListener('abort', onAbort);
      req.destroy();
      fn();
    };
    const onAbort = () => finish(() => reject(abortReason(attempt.signal)));
    attempt.signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e: NodeJS.ErrnoException) => {
      // llhttp's parse errors: the port speaks something else (TLS, Redis, PostgreSQL...).
      if (e.code?.startsWith('HPE_')) {
        finish(() =>
          reject(
            new AttemptError(`answered something that is not HTTP (${e.message})`, {
              permanent: true,
              hint: 'Check the port and the scheme: https:// for a TLS port, http:// for a plain one.',
              cause: e,
            }),
          ),
        );
        return;
      }
      finish(() => reject(networkError(e, target.host)));
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const answer = `${status} ${res.statusMessage || STATUS_CODES[status] || ''}`.trimEnd();
      // The body is not needed: the request is destroyed once the status is known, which may abort it.
      res.on('error', () => undefined);
      res.resume();
      if (expected(target, status)) {
        finish(() => resolve(answer));
        return;
      }
      const location = status >= 300 && status < 400 && res.headers.location ? ` to ${res.headers.location}` : '';
      const message = `answered ${answer}${location} (expected ${showExpect(target.expect)})`;
      // Credentials and permissions do not change by waiting; a 503 while starting does.
      const permanent = status === 401 || status === 403;
      finish(() =>
        reject(
          new AttemptError(message, {
            permanent,
            hint: permanent
              ? `${auth ? 'Check the user name and password' : 'The endpoint needs credentials'}; if ${status} is its answer when it is up, add #expect=${status} to the target.`
              : `If ${status} is its answer when it is up, add #expect=${status} to the target.`,
          }),
        ),
      );
    });
    req.end();
  });
}
