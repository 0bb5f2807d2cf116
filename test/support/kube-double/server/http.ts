/**
 * The HTTP front of the API server: reads requests, authenticates and
 * authorizes them (access.ts), routes them, writes JSON and Status errors.
 * Plain HTTP on 127.0.0.1.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApiError, notFoundPath } from '../errors.js';
import { apiGroup, coreVersions, groupList, resourceList, versionInfo } from './discovery.js';
import { handleResource, type HandlerContext, type Reply } from './handlers.js';
import { requestAttributes } from './request-info.js';
import { route } from './routes.js';

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function handle(
  ctx: HandlerContext,
  serverAddress: () => string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Reply | undefined> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const r = route(url.pathname);
  const method = req.method ?? 'GET';
  const body = method === 'GET' ? '' : await readBody(req);
  const user = ctx.access.authenticate(req.headers.authorization);
  if (r.kind === 'resource') {
    const attributes = requestAttributes(method, r, url.searchParams);
    ctx.access.check(ctx.api.store, user, attributes, r.type);
    // Server-side apply of an object that does not exist is a create too, and authorized as one (handlers/patch.go).
    const apply = (req.headers['content-type'] ?? '').startsWith('application/apply-patch');
    if (method === 'PATCH' && apply && r.name && !r.subresource && !ctx.api.tryGet(r.type, r.namespace, r.name))
      ctx.access.check(ctx.api.store, user, { ...attributes, verb: 'create' }, r.type);
  }
  switch (r.kind) {
    case 'version':
      return { code: 200, body: versionInfo() };
    case 'health':
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return undefined;
    case 'coreVersions':
      return { code: 200, body: coreVersions(serverAddress()) };
    case 'groupList':
      return { code: 200, body: groupList() };
    case 'group': {
      const g = apiGroup(r.group);
      if (!g) throw notFoundPath();
      return { code: 200, body: g };
    }
    case 'resourceList': {
      const list = resourceList(r.group, r.version);
      if (!list) throw notFoundPath();
      return { code: 200, body: list };
    }
    case 'resource':
      return handleResource(
        ctx,
        { ...r, method, query: url.searchParams, body, contentType: req.headers['content-type'] ?? '' },
        req,
        res,
      );
    case 'unknown':
      throw notFoundPath();
  }
}

export function createApiServer(ctx: HandlerContext, serverAddress: () => string): Server {
  const server = createServer((req, res) => {
    handle(ctx, serverAddress, req, res)
      .then((reply) => {
        if (reply) sendJson(res, reply.code, reply.body);
      })
      .catch((err: unknown) => {
        if (res.headersSent) {
          res.end();
          return;
        }
        if (err instanceof ApiError) {
          sendJson(res, err.code, err.status);
          return;
        }
        const message = err instanceof Error ? err.message : String(err);
        sendJson(res, 500, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message,
          reason: 'InternalError',
          code: 500,
        });
      });
  });
  server.keepAliveTimeout = 1000;
  return server;
}
