import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { redact } from '../redact.js';
import type { Health } from './health.js';
import { createUser, listUsers, validateNewUser } from './users.js';

/**
 * The sample backend: node:http, four routes, JSON in and out.
 *   GET  /livez       200 while the process serves: the liveness probe; never touches the database, so an
 *                     outage or a new migration makes pods unready (/health), never restarts them
 *   GET  /health      200 when `db verify` passes (with the applied version, and versions a later release
 *                     applied), else 503 with the problems: the readiness probe; it also reports each of
 *                     backend.dependencies (Redis: PING) without letting them decide the status
 *   GET  /api/users   users with their profiles, newest first (?limit=1..500, default 100)
 *   POST /api/users   create a user and its profile
 */
export interface BackendOptions {
  /** The application role's pool (DATABASE_URL). */
  pool: pg.Pool;
  health: () => Promise<Health>;
  /** One line per request (except /health) and per health change. */
  log: (line: string) => void;
}

export interface RunningBackend {
  server: Server;
  port: number;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`, then cuts them), closes the pool. */
  shutdown(graceMs?: number): Promise<void>;
}

const MAX_BODY = 16 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error: string; message: string; [key: string]: unknown },
  ) {
    super(body.message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'];
  if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
    throw new HttpError(415, {
      error: 'unsupported-media-type',
      message: `expected a JSON body (Content-Type: application/json), got Content-Type: ${type}`,
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY)
      throw new HttpError(413, { error: 'too-large', message: `the request body is larger than ${MAX_BODY} bytes` });
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '')
    throw new HttpError(400, {
      error: 'validation',
      message: 'the request body is empty: send a JSON object with username, password and name',
    });
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, {
      error: 'invalid-json',
      message: `the request body is not valid JSON: ${(e as Error).message}`,
    });
  }
}

/** A PostgreSQL error as the HTTP answer a client can act on. */
function databaseError(e: unknown, log: (line: string) => void): HttpError {
  const err = e as { code?: string; constraint?: string; message?: string };
  if (err.code === '23505') {
    if (err.constraint === 'users_username_key')
      return new HttpError(409, { error: 'conflict', field: 'username', message: 'username is already taken' });
    if (err.constraint === 'users_email_key')
      return new HttpError(409, { error: 'conflict', field: 'email', message: 'email is already in use' });
    return new HttpError(409, { error: 'conflict', message: redact(err.message ?? 'duplicate value') });
  }
  if (err.code === '23514' || err.code === '22001')
    return new HttpError(400, { error: 'validation', message: redact(err.message ?? 'invalid value') });
  // The schema is not (or no longer) what this backend needs: /health says the same.
  if (err.code === '42P01' || err.code === '42703') {
    return new HttpError(503, {
      error: 'schema-not-ready',
      message: `the database schema is not ready: ${redact(err.message ?? '')}`,
      hint: 'GET /health lists what is missing; run the migrations.',
    });
  }
  if (
    err.code === 'ECONNREFUSED' ||
    err.code === 'ENOTFOUND' ||
    err.code === '57P01' ||
    err.code === '57P03' ||
    (err.code ?? '').startsWith('08') ||
    /timeout|terminat/i.test(err.message ?? '')
  ) {
    log(`database unavailable: ${redact(err.message ?? String(e))}`);
    return new HttpError(503, {
      error: 'database-unavailable',
      message: 'the database cannot be reached right now; try again shortly',
    });
  }
  log(`error: ${redact(e instanceof Error ? (e.stack ?? e.message) : String(e))}`);
  return new HttpError(500, { error: 'internal', message: 'internal error (logged by the backend)' });
}

function parseLimit(value: string | null): number {
  if (value === null) return 100;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 500) {
    throw new HttpError(400, {
      error: 'validation',
      field: 'limit',
      message: `limit must be a whole number from 1 to 500, got "${value}"`,
    });
  }
  return Number(value);
}

export function createBackend(opts: BackendOptions): { server: Server; stopping: () => void } {
  let stopping = false;
  let lastHealth: boolean | undefined;
  // Starts as "all answer": the first look logs only dependencies that do not.
  let lastDown = '';

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<number> {
    const method = req.method ?? 'GET';
    const route = url.pathname.replace(/\/+$/, '') || '/';
    const only = (allowed: string[]) => {
      if (!allowed.includes(method))
        throw new HttpError(405, {
          error: 'method-not-allowed',
          message: `${method} ${route} is not supported; use ${allowed.join(' or ')}`,
          allow: allowed,
        });
    };
    if (route === '/livez') {
      only(['GET', 'HEAD']);
      send(res, 200, { status: 'alive' });
      return 200;
    }
    if (route === '/health') {
      only(['GET', 'HEAD']);
      const h = await opts.health();
      if (h.ok !== lastHealth) {
        opts.log(
          h.ok
            ? `health: ok (version ${h.version ?? 'none'}${h.newer.length ? `; newer than this image: ${h.newer.map((n) => n.version).join(', ')}` : ''})`
            : `health: failing: ${h.problems.map((p) => p.message).join('; ')}`,
        );
        lastHealth = h.ok;
      }
      const down = h.dependencies
        .filter((d) => !d.ok)
        .map((d) => `${d.target}: ${d.error ?? 'no answer'}`)
        .join('; ');
      if (down !== lastDown) {
        opts.log(down ? `health: dependencies not answering: ${down}` : 'health: every dependency answers');
        lastDown = down;
      }
      const status = h.ok ? 200 : 503;
      send(res, status, {
        status: h.ok ? 'ok' : 'unavailable',
        version: h.version,
        known: h.known,
        newer: h.newer,
        problems: h.problems,
        dependencies: h.dependencies,
        checkedAt: h.checkedAt,
      });
      return status;
    }
    if (route === '/api/users') {
      only(['GET', 'HEAD', 'POST']);
      if (method === 'POST') {
        const body = await readJson(req);
        const v = validateNewUser(body);
        if (!v.ok)
          throw new HttpError(400, {
            error: 'validation',
            message: `invalid user: ${v.problems.map((p) => p.message).join('; ')}`,
            problems: v.problems,
          });
        const user = await createUser(opts.pool, v.user).catch((e: unknown) => {
          throw databaseError(e, opts.log);
        });
        send(res, 201, { user }, { location: `/api/users/${user.id}` });
        return 201;
      }
      const limit = parseLimit(url.searchParams.get('limit'));
      const users = await listUsers(opts.pool, limit).catch((e: unknown) => {
        throw databaseError(e, opts.log);
      });
      send(res, 200, { users });
      return 200;
    }
    if (route === '/') {
      only(['GET', 'HEAD']);
      send(res, 200, {
        service: 'schemagate sample backend',
        endpoints: ['GET /livez', 'GET /health', 'GET /api/users', 'POST /api/users'],
      });
      return 200;
    }
    throw new HttpError(404, { error: 'not-found', message: `no route for ${route}; try /health or /api/users` });
  }

  // Responses not yet sent: when shutdown starts, each closes its connection after it is answered.
  const inFlight = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://backend');
    if (stopping) res.setHeader('connection', 'close');
    inFlight.add(res);
    res.on('close', () => inFlight.delete(res));
    handle(req, res, url)
      .catch((e: unknown) => {
        const err = e instanceof HttpError ? e : databaseError(e, opts.log);
        if (res.headersSent) {
          res.destroy();
          return err.status;
        }
        const allow = err.body['allow'];
        send(res, err.status, err.body, Array.isArray(allow) ? { allow: allow.join(', ') } : {});
        return err.status;
      })
      .then((status) => {
        if (url.pathname !== '/health' && url.pathname !== '/livez')
          opts.log(`${req.method} ${url.pathname} ${status} ${Math.round(performance.now() - started)}ms`);
      })
      .catch(() => undefined);
  });
  // A client that opens a connection and sends nothing must not hold shutdown hostage.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return {
    server,
    stopping: () => {
      stopping = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
    },
  };
}

/** Listens on `port` (0: any free port) and returns once it accepts connections. */
export async function startBackend(opts: BackendOptions & { port: number; host?: string }): Promise<RunningBackend> {
  const { server, stopping } = createBackend(opts);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    async shutdown(graceMs = 10_000) {
      stopping();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const cut = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(cut);
      await opts.pool.end();
    },
  };
}
