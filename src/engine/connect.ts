import './pg-runtime.js';
import pg from 'pg';
import { ExitCode, SchemagateError } from '../errors.js';
import { displayUrl, redact, registerUrlSecrets } from '../redact.js';

export type Client = pg.Client;

export interface ConnectOptions {
  url: string;
  /** Every connection says who it is (pg_stat_activity.application_name). */
  applicationName: string;
  /** @default 10000 */
  connectTimeoutMs?: number;
}

/** PostgreSQL's SQLSTATE of a `pg` error, if it is one. */
export function sqlState(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function target(url: string): { host: string; port: string; database: string; user: string } {
  try {
    const u = new URL(url);
    return {
      host: u.hostname || 'localhost',
      port: u.port || '5432',
      database: decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres',
      user: decodeURIComponent(u.username) || 'postgres',
    };
  } catch {
    return { host: '?', port: '?', database: '?', user: '?' };
  }
}

/** Said after a refused connection; `db wait` leaves it out (it is the one waiting). */
export const WAIT_ADVICE = ' If it is starting, `schemagate db wait` waits for it.';

/** Turns a failure to connect into an error that says where, why and what to check. */
export function connectError(e: unknown, url: string, timeoutMs: number): SchemagateError {
  const t = target(url);
  const where = `${t.host}:${t.port}`;
  const shown = displayUrl(url);
  const err = e as { code?: string; message?: string };
  const state = sqlState(e);
  const opts = (message: string, hint: string, code: string) =>
    new SchemagateError(code, redact(message), {
      exitCode: ExitCode.connection,
      hint: redact(hint),
      context: { object: shown },
      cause: e,
    });
  if (err.code === 'ECONNREFUSED') {
    return opts(
      `could not connect to PostgreSQL at ${where}: connection refused`,
      `Is PostgreSQL running and listening there? Check the host and port of the database URL (${shown}).${WAIT_ADVICE}`,
      'connect.refused',
    );
  }
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
    return opts(
      `could not connect to PostgreSQL: host "${t.host}" not found`,
      `Check the host name in the database URL (${shown}).`,
      'connect.host',
    );
  }
  if (state === '28P01') {
    return opts(
      `password authentication failed for user "${t.user}" at ${where}`,
      'Check the password in the database URL (DATABASE_URL, --database-url, or the Secret the Job reads).',
      'connect.auth',
    );
  }
  if (state === '28000') {
    return opts(
      `PostgreSQL at ${where} refused user "${t.user}": ${err.message ?? ''}`,
      'Check pg_hba.conf and the user name in the database URL.',
      'connect.auth',
    );
  }
  if (state === '3D000') {
    return opts(
      `database "${t.database}" does not exist on ${where}`,
      `Create it (createdb ${t.database}) or fix the database name in the URL (${shown}).`,
      'connect.database',
    );
  }
  if (state === '57P03') {
    return opts(
      `PostgreSQL at ${where} is starting up or shutting down`,
      'Wait for it with `schemagate db wait --timeout 60s` and try again.',
      'connect.starting',
    );
  }
  if (/timeout/i.test(err.message ?? '') || err.code === 'ETIMEDOUT') {
    return opts(
      `timed out after ${Math.round(timeoutMs / 1000)}s connecting to PostgreSQL at ${where}`,
      `Is the host reachable from here? Check the database URL (${shown}).`,
      'connect.timeout',
    );
  }
  return opts(
    `could not connect to PostgreSQL at ${where}: ${err.message ?? String(e)}`,
    `Check the database URL (${shown}).`,
    'connect.failed',
  );
}

/** The database URL's parameters that name files, which `pg` reads before connecting. */
const SSL_FILES = ['sslrootcert', 'sslcert', 'sslkey'] as const;

/** A file named by the database URL (sslrootcert, sslcert, sslkey) that cannot be read: a configuration error. */
function sslFileError(e: unknown, url: string): SchemagateError | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const err = e as { code?: unknown; path?: string };
  if (typeof err.code !== 'string' || !['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR', 'ELOOP'].includes(err.code))
    return undefined;
  let param = 'an SSL file parameter';
  try {
    const u = new URL(url);
    param = SSL_FILES.find((p) => u.searchParams.get(p) === err.path) ?? param;
  } catch {
    // Not parsed: the generic name stays.
  }
  const why =
    err.code === 'ENOENT' || err.code === 'ENOTDIR'
      ? 'does not exist'
      : err.code === 'EACCES'
        ? 'cannot be read (permission denied)'
        : err.code === 'EISDIR'
          ? 'is a folder, not a file'
          : 'is a symbolic link loop';
  return new SchemagateError('connect.ssl-file', `the database URL's ${param} file ${err.path ?? '?'} ${why}`, {
    exitCode: ExitCode.config,
    hint: `Point ${param} at a readable PEM file (the server's CA certificate for sslrootcert, the client certificate and key for sslcert and sslkey), or remove the parameter from the URL.`,
    context: { file: err.path ?? '' },
    cause: e,
  });
}

/**
 * `sslmode` means what it means to libpq and psql (require: encrypted, not
 * verified). `pg` would otherwise treat require as verify-full and print a
 * multi-line warning about it.
 */
function withLibpqSslModes(url: string): string {
  try {
    const u = new URL(url);
    if (!u.searchParams.has('sslmode') || u.searchParams.has('uselibpqcompat')) return url;
    u.searchParams.set('uselibpqcompat', 'true');
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * Opens one connection with `application_name` set; connection failures
 * become clear errors. An aborted `signal` abandons the attempt at once (a
 * host that drops packets would otherwise hold it until the connect timeout).
 */
export async function connect(opts: ConnectOptions, signal?: AbortSignal): Promise<Client> {
  registerUrlSecrets(opts.url);
  const timeout = opts.connectTimeoutMs ?? 10_000;
  let client: pg.Client;
  try {
    client = new pg.Client({
      connectionString: withLibpqSslModes(opts.url),
      application_name: opts.applicationName.slice(0, 63),
      connectionTimeoutMillis: timeout,
    });
  } catch (e) {
    throw sslFileError(e, opts.url) ?? connectError(e, opts.url, timeout);
  }
  // A server-side termination must become a query error, not a crash of the process.
  client.on('error', () => undefined);
  signal?.throwIfAborted();
  const onAbort = () =>
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    if (signal?.aborted) throw signal.reason;
    throw sslFileError(e, opts.url) ?? connectError(e, opts.url, timeout);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return client;
}

/** Runs `fn` with a connection that is always closed afterwards. */
export async function withClient<T>(
  opts: ConnectOptions,
  fn: (client: Client) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const client = await connect(opts, signal);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Cancels the query running on backend `pid`, from a separate connection (what `pg` cannot do in-band). */
export async function cancelBackend(opts: ConnectOptions, pid: number): Promise<void> {
  await withClient(
    { ...opts, applicationName: `${opts.applicationName} (cancel)`, connectTimeoutMs: 3000 },
    async (c) => {
      await c.query('SELECT pg_cancel_backend($1)', [pid]);
    },
  ).catch(() => undefined);
}

/** Quotes an SQL identifier. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes an SQL string literal. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
