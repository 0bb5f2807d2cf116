/**
 * Verbs on a resource URL: list/watch, create, get, update, patch, delete,
 * deletecollection, and the status, scale, log, eviction and (ServiceAccount)
 * token subresources.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#api-verbs
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Api, DeleteOptions } from '../api.js';
import { badRequest, gone, methodNotAllowed, notFoundPath } from '../errors.js';
import type { LogStore } from '../kubelet/logs.js';
import { apiVersionOf, type ResourceType } from '../resources.js';
import { bool, decodeBody, int64, isJsonObject, list, parseJson, str, struct } from '../schema.js';
import { parseFieldSelector, parseLabelSelector } from '../selectors.js';
import type { WatchHub } from '../watch.js';
import type { Access } from './access.js';
import { evict } from './eviction.js';
import { serveLog } from './logs.js';
import { scaleTarget, toScale, writeScale } from './scale.js';

export interface HandlerContext {
  api: Api;
  watches: WatchHub;
  logs: LogStore;
  access: Access;
}

/** A JSON answer; handlers that stream (watch, log) write to the response themselves and return none. */
export interface Reply {
  code: number;
  body: unknown;
}

const reply = (code: number, body: unknown): Reply => ({ code, body });

export interface ResourceRequest {
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  method: string;
  query: URLSearchParams;
  body: string;
  contentType: string;
}

function flag(q: URLSearchParams, key: string): boolean {
  const v = q.get(key);
  return v === 'true' || v === '1';
}

function intParam(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw badRequest(`invalid ${key}: ${v}`);
  return n;
}

function dryRun(q: URLSearchParams): boolean {
  const values = q.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw badRequest(`Invalid dry run value: ${v}`);
  return values.length > 0;
}

/** A DELETE's body (meta/v1 DeleteOptions), as far as the double honours it. */
const deleteOptionsSchema = struct('DeleteOptions', {
  dryRun: list(str),
  propagationPolicy: str,
  gracePeriodSeconds: int64,
  orphanDependents: bool,
  preconditions: struct('Preconditions', { uid: str, resourceVersion: str }),
});

const policies = ['Background', 'Foreground', 'Orphan'] as const;
const isPolicy = (p: string): p is (typeof policies)[number] => policies.some((known) => known === p);

/**
 * DeleteOptions come from the body when there is one, else from the query: like the
 * API server, a body (even `{}`) makes it ignore the query's propagationPolicy.
 */
function deleteOptions(q: URLSearchParams, body: string): DeleteOptions {
  const hasBody = body.trim() !== '';
  const fromBody = decodeBody(deleteOptionsSchema, hasBody ? parseJson(body) : {}, 'DeleteOptions');
  if (hasBody) q = new URLSearchParams();
  const opts: DeleteOptions = { dryRun: dryRun(q) || (fromBody.dryRun ?? []).includes('All') };
  const policy = fromBody.propagationPolicy ?? q.get('propagationPolicy') ?? undefined;
  if (policy !== undefined) {
    if (!isPolicy(policy)) throw badRequest(`propagationPolicy: Unsupported value: "${policy}"`);
    opts.propagationPolicy = policy;
  }
  const grace = fromBody.gracePeriodSeconds ?? intParam(q, 'gracePeriodSeconds');
  if (grace !== undefined) opts.gracePeriodSeconds = grace;
  const orphan = fromBody.orphanDependents ?? (q.has('orphanDependents') ? flag(q, 'orphanDependents') : undefined);
  if (orphan !== undefined) opts.orphanDependents = orphan;
  if (fromBody.preconditions) opts.preconditions = fromBody.preconditions;
  return opts;
}

/** A `continue` token this server gave out: the revision of the first page and the key to go on after. */
function decodeContinue(token: string): { rv: number; start: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const rv = isJsonObject(parsed) ? parsed['rv'] : undefined;
  const start = isJsonObject(parsed) ? parsed['start'] : undefined;
  if (typeof rv !== 'number' || typeof start !== 'string')
    throw badRequest('invalid continue token: continue key is not valid');
  return { rv, start };
}

function listKind(t: ResourceType): string {
  return `${t.kind}List`;
}

function handleCollection(ctx: HandlerContext, r: ResourceRequest, res: ServerResponse): Reply | undefined {
  const { api } = ctx;
  const q = r.query;
  if (r.method === 'GET') {
    if (flag(q, 'watch')) {
      ctx.watches.serve(
        {
          type: r.type,
          namespace: r.namespace,
          labels: parseLabelSelector(q.get('labelSelector') ?? undefined),
          fields: parseFieldSelector(q.get('fieldSelector') ?? undefined, r.type.plural, r.type.kind),
          resourceVersion: q.get('resourceVersion') ?? undefined,
          allowBookmarks: flag(q, 'allowWatchBookmarks'),
          timeoutSeconds: intParam(q, 'timeoutSeconds'),
        },
        res,
      );
      return undefined;
    }
    const rv = q.get('resourceVersion');
    // https://kubernetes.io/docs/reference/using-api/api-concepts/#the-resourceversion-parameter
    if (q.get('resourceVersionMatch') === 'Exact' && rv && Number(rv) < api.store.oldestWatchable) {
      throw gone(Number(rv), api.store.oldestWatchable);
    }
    const revision = String(api.store.currentRevision);
    let items = api.list(r.type, r.namespace, {
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: q.get('fieldSelector') ?? undefined,
    });
    const limit = intParam(q, 'limit');
    const token = q.get('continue');
    let next: string | undefined;
    if (token) {
      const after = decodeContinue(token);
      if (after.rv < api.store.oldestWatchable) throw gone(after.rv, api.store.oldestWatchable);
      items = items.filter((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}` > after.start);
    }
    if (limit !== undefined && limit > 0 && items.length > limit) {
      items = items.slice(0, limit);
      const last = items[items.length - 1];
      const start = `${last?.metadata.namespace ?? ''}/${last?.metadata.name ?? ''}`;
      next = Buffer.from(JSON.stringify({ rv: api.store.currentRevision, start })).toString('base64');
    }
    // Items in a list carry no apiVersion/kind, like the API server's JSON lists.
    const stripped = items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
    return reply(200, {
      kind: listKind(r.type),
      apiVersion: apiVersionOf(r.type),
      metadata: { resourceVersion: revision, ...(next ? { continue: next } : {}) },
      items: stripped,
    });
  }
  if (r.method === 'POST') return reply(201, api.create(r.type, r.namespace, parseJson(r.body), { dryRun: dryRun(q) }));
  if (r.method === 'DELETE') {
    const opts = deleteOptions(q, r.body);
    const items = api.list(r.type, r.namespace, {
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: q.get('fieldSelector') ?? undefined,
    });
    const deleted = items.map((o) => api.delete(r.type, o.metadata.namespace, o.metadata.name, opts));
    return reply(200, { kind: listKind(r.type), apiVersion: apiVersionOf(r.type), metadata: {}, items: deleted });
  }
  throw methodNotAllowed();
}

export async function handleResource(
  ctx: HandlerContext,
  r: ResourceRequest,
  _req: IncomingMessage,
  res: ServerResponse,
): Promise<Reply | undefined> {
  if (r.name === undefined) return handleCollection(ctx, r, res);
  const { api } = ctx;
  const { type: t, namespace: ns, name, query: q } = r;
  const sub = r.subresource;
  if (sub !== undefined && !t.subresources.includes(sub)) throw notFoundPath();
  if (sub === 'log') {
    if (r.method !== 'GET') throw methodNotAllowed();
    serveLog(
      api,
      ctx.logs,
      ns ?? 'default',
      name,
      {
        container: q.get('container'),
        previous: flag(q, 'previous'),
        follow: flag(q, 'follow'),
        tailLines: intParam(q, 'tailLines'),
        limitBytes: intParam(q, 'limitBytes'),
        sinceSeconds: intParam(q, 'sinceSeconds'),
        timestamps: flag(q, 'timestamps'),
      },
      res,
    );
    return undefined;
  }
  if (sub === 'token') {
    if (r.method !== 'POST') throw methodNotAllowed();
    return reply(201, ctx.access.tokenRequest(api, ns ?? 'default', name, r.body));
  }
  if (sub === 'eviction') {
    if (r.method !== 'POST') throw methodNotAllowed();
    return reply(201, evict(api, ns ?? 'default', name, r.body));
  }
  if (sub === 'scale') {
    const scaled = scaleTarget(t);
    if (r.method === 'GET') return reply(200, toScale(api.get(scaled, ns, name)));
    if (r.method === 'PUT' || r.method === 'PATCH') {
      return reply(200, writeScale(api, scaled, ns, name, r.method, r.contentType, r.body, dryRun(q)));
    }
    throw methodNotAllowed();
  }
  const subresource = sub === 'status' ? 'status' : '';
  switch (r.method) {
    case 'GET':
      return reply(200, api.get(t, ns, name));
    case 'PUT':
      return reply(200, api.update(t, ns, name, parseJson(r.body), { dryRun: dryRun(q), subresource }));
    case 'PATCH': {
      const opts: { dryRun: boolean; subresource: '' | 'status'; fieldManager?: string } = {
        dryRun: dryRun(q),
        subresource,
      };
      const fm = q.get('fieldManager');
      if (fm) opts.fieldManager = fm;
      const { object, created } = await api.patch(t, ns, name, r.contentType, r.body, opts);
      return reply(created ? 201 : 200, object);
    }
    case 'DELETE':
      if (sub) throw methodNotAllowed();
      return reply(200, api.delete(t, ns, name, deleteOptions(q, r.body)));
  }
  throw methodNotAllowed();
}
