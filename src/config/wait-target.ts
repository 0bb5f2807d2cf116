/**
 * What `schemagate wait` waits for: a URL that names the kind of server and
 * how to ask it whether it is up. Options after `#` are schemagate's own and
 * never reach the server (a fragment is not sent): `expect=` (the HTTP
 * statuses that count as up), `password-env=` and `password-file=` (a
 * password kept out of the URL, e.g. from a Secret mounted as a variable or a
 * file). Parsing is pure: nothing is read or connected here.
 */
import { UsageError } from '../errors.js';
import { redact, registerSecret, registerUrlSecrets } from '../redact.js';
import { defined } from '../util/defined.js';

export type TargetKind = 'tcp' | 'http' | 'redis' | 'postgres';

/** Where a password kept out of the URL is read from. */
export type PasswordSource = { env: string } | { file: string };

/** An inclusive range of HTTP status codes. */
export interface StatusRange {
  from: number;
  to: number;
}

interface Common {
  /** As written, password and all: what the probe connects with. */
  text: string;
  /** As every output shows it: the password replaced by `***`. */
  display: string;
  host: string;
  port: number;
  /** The password from the URL, or (once resolved) from `passwordFrom`. */
  password?: string;
  passwordFrom?: PasswordSource;
}

export type Target =
  | (Common & { kind: 'tcp' })
  | (Common & { kind: 'http'; tls: boolean; path: string; user?: string; expect: StatusRange[] })
  | (Common & { kind: 'redis'; tls: boolean; user?: string; db: number })
  | (Common & { kind: 'postgres'; url: string });

const SCHEMES: Record<string, { kind: TargetKind; tls: boolean; port?: number }> = {
  'tcp:': { kind: 'tcp', tls: false },
  'http:': { kind: 'http', tls: false, port: 80 },
  'https:': { kind: 'http', tls: true, port: 443 },
  'redis:': { kind: 'redis', tls: false, port: 6379 },
  'rediss:': { kind: 'redis', tls: true, port: 6379 },
  'postgres:': { kind: 'postgres', tls: false, port: 5432 },
  'postgresql:': { kind: 'postgres', tls: false, port: 5432 },
};

/** What the documentation and error hints call the accepted forms. */
export const TARGET_FORMS =
  'tcp://HOST:PORT, http(s)://HOST[:PORT]/PATH, redis(s)://HOST[:PORT][/DB], postgres://HOST[:PORT]/DB';

const ENCODE = 'percent-encode @ : / ? # in the user name and password';

const DEFAULT_EXPECT: StatusRange[] = [{ from: 200, to: 299 }];

/** `2xx` for the default, else the ranges as written: `200-299, 401`. */
export function showExpect(expect: readonly StatusRange[]): string {
  return expect
    .map((r) =>
      r.from === r.to
        ? `${r.from}`
        : r.to - r.from === 99 && r.from % 100 === 0
          ? `${r.from / 100}xx`
          : `${r.from}-${r.to}`,
    )
    .join(', ');
}

function parseExpect(text: string): StatusRange[] | string {
  const out: StatusRange[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    let m: RegExpExecArray | null;
    let r: StatusRange | undefined;
    if ((m = /^([1-5])xx$/i.exec(part))) r = { from: Number(m[1]) * 100, to: Number(m[1]) * 100 + 99 };
    else if ((m = /^(\d{3})$/.exec(part))) r = { from: Number(m[1]), to: Number(m[1]) };
    else if ((m = /^(\d{3})-(\d{3})$/.exec(part))) r = { from: Number(m[1]), to: Number(m[2]) };
    if (!r || r.from < 100 || r.to > 599 || r.from > r.to) {
      return `expect=${text}: expected HTTP statuses such as 200, 200-399, 2xx or 200,401`;
    }
    out.push(r);
  }
  return out;
}

/**
 * A target as it may be shown: the password in its user info replaced. Up to
 * the last `@` when the URL did not parse (an unencoded `@` in the password).
 */
function displayOf(text: string, parsed?: URL): string {
  if (parsed && parsed.password === '') return redact(text);
  return redact(text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):\S*@/i, '$1:***@'));
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const OPTIONS: Record<string, readonly TargetKind[]> = {
  expect: ['http'],
  'password-env': ['http', 'redis', 'postgres'],
  'password-file': ['http', 'redis', 'postgres'],
};

/** Reads a target, or says why it is not one (without echoing its password). */
export function readTarget(text: string): Target | { problem: string } {
  const problem = (why: string) => ({ problem: why });
  const trimmed = text.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    return problem(
      /^[^\s/:]+:\d+$/.test(trimmed)
        ? `not a URL: write tcp://${trimmed} to wait until the port accepts connections`
        : `not a URL (expected one of ${TARGET_FORMS})`,
    );
  }
  registerUrlSecrets(trimmed);
  // Up to the last `@`: what a password with an unencoded `/` or `@` would be.
  const loose = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:(.*)@[^@]*$/i.exec(trimmed)?.[1];
  registerSecret(loose);
  let u: URL;
  try {
    u = new URL(trimmed);
  } catch {
    return problem(`not a valid URL (${ENCODE})`);
  }
  // `@` after the host: most likely a password with an unencoded `/`; its rest must not be echoed as a path.
  if (/@/.test(u.pathname + u.search)) return problem(`an "@" after the host (${ENCODE}; in a path, write %40)`);
  const scheme = SCHEMES[u.protocol.toLowerCase()];
  if (!scheme) {
    return problem(
      `the scheme ${u.protocol.slice(0, 20)}// is not one schemagate can ask (${TARGET_FORMS}); for another service, tcp://HOST:PORT waits until its port accepts connections`,
    );
  }
  // Non-special schemes keep IPv6 brackets in hostname; net.connect wants the bare address.
  const host = decode(u.hostname.replace(/^\[(.*)\]$/, '$1'));
  if (host === '') return problem('no host (expected e.g. tcp://localhost:5432)');
  if (u.port === '' && scheme.port === undefined) return problem(`no port (expected ${u.protocol}//${host}:PORT)`);
  const port = u.port === '' ? defined(scheme.port, `the default port of ${u.protocol}`) : Number(u.port);
  const options = new URLSearchParams(u.hash.slice(1));
  for (const key of new Set(options.keys())) {
    const kinds = OPTIONS[key];
    if (!kinds) return problem(`unknown option #${key} (known: ${Object.keys(OPTIONS).join(', ')})`);
    if (!kinds.includes(scheme.kind)) return problem(`#${key} does not apply to a ${u.protocol}// target`);
    if (options.getAll(key).length > 1) return problem(`#${key} is given twice`);
    if (options.get(key) === '') return problem(`#${key} needs a value`);
  }
  const env = options.get('password-env');
  const file = options.get('password-file');
  if (env !== null && file !== null) return problem('give #password-env or #password-file, not both');
  if (env !== null && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(env))
    return problem(`#password-env=${env}: not a variable name`);
  const user = decode(u.username);
  const password = u.password === '' ? undefined : decode(u.password);
  registerSecret(password);
  if (password !== undefined && (env !== null || file !== null)) {
    return problem('a password in the URL and in #password-env / #password-file: keep one');
  }
  const common: Common = {
    text: trimmed,
    display: displayOf(trimmed, u),
    host,
    port,
    ...(password !== undefined ? { password } : {}),
    ...(env !== null ? { passwordFrom: { env } } : file !== null ? { passwordFrom: { file } } : {}),
  };
  const noQuery = () => (u.search !== '' ? problem(`a ${u.protocol}// target takes no query ("?...")`) : undefined);
  switch (scheme.kind) {
    case 'tcp': {
      if (u.username !== '' || u.password !== '') return problem('a tcp:// target takes no user or password');
      if (u.pathname !== '' && u.pathname !== '/')
        return problem('a tcp:// target takes no path (expected tcp://HOST:PORT)');
      return noQuery() ?? { ...common, kind: 'tcp' };
    }
    case 'http': {
      const expectText = options.get('expect');
      const expect = expectText === null ? DEFAULT_EXPECT : parseExpect(expectText);
      if (typeof expect === 'string') return problem(expect);
      return {
        ...common,
        kind: 'http',
        tls: scheme.tls,
        path: `${u.pathname || '/'}${u.search}`,
        ...(user !== '' ? { user } : {}),
        expect,
      };
    }
    case 'redis': {
      const dbText = u.pathname.replace(/^\//, '');
      if (!/^\d*$/.test(dbText) || Number(dbText) > 2_147_483_647) {
        return problem(`"/${dbText.slice(0, 20)}" is not a database number (expected ${u.protocol}//HOST:PORT/0)`);
      }
      if (user !== '' && password === undefined && !common.passwordFrom) {
        return problem(
          `user "${user}" without a password: write ${u.protocol}//:<password>@<host> for the default user, or ${u.protocol}//<user>:<password>@<host>`,
        );
      }
      return (
        noQuery() ?? {
          ...common,
          kind: 'redis',
          tls: scheme.tls,
          db: Number(dbText || '0'),
          ...(user !== '' ? { user } : {}),
        }
      );
    }
    case 'postgres': {
      // pg reads the URL without our options; the fragment is dropped.
      const url = trimmed.replace(/#.*$/, '');
      return { ...common, kind: 'postgres', url };
    }
  }
}

/** What one attempt does, as progress lines say it (never with the password). */
export function describeAttempt(target: Target): string {
  switch (target.kind) {
    case 'tcp':
      return 'connect';
    case 'http':
      return `GET ${target.path}`;
    case 'redis':
      return [
        ...(target.password !== undefined || target.passwordFrom ? ['AUTH'] : []),
        ...(target.db !== 0 ? [`SELECT ${target.db}`] : []),
        'PING',
      ].join(' + ');
    case 'postgres':
      return 'connect + SELECT 1';
  }
}

/** Reads a command-line target; a bad one is a usage error (exit 2) that names it and the accepted forms. */
export function parseTarget(text: string): Target {
  const t = readTarget(text);
  if ('problem' in t) {
    throw new UsageError(
      `target "${displayOf(text.trim())}": ${t.problem}`,
      `Targets are ${TARGET_FORMS}; see \`schemagate wait --help\`.`,
    );
  }
  return t;
}
