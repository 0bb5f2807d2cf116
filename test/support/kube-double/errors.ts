/**
 * API errors as Status objects, the way the API server reports them.
 * https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/
 */
import type { ResourceType } from './resources.js';

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[] };
  code: number;
}

/** Thrown anywhere in the double; the HTTP layer turns it into a Status response. */
export class ApiError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
    this.name = 'ApiError';
  }
  get code(): number {
    return this.status.code;
  }
}

/**
 * Runs a deletion a controller or the kubelet makes of an object that may be gone already: a 404 (deleted
 * meanwhile) or a 409 (its uid precondition failed: a new object of that name) is the outcome it wanted; any
 * other failure is a bug of the double, and propagates.
 */
export function unlessGone(remove: () => void): void {
  try {
    remove();
  } catch (e) {
    if (e instanceof ApiError && (e.code === 404 || e.code === 409)) return;
    throw e;
  }
}

/** "jobs.batch", "pods": how error messages name a resource. */
export function qualifiedName(t: ResourceType): string {
  return t.group === '' ? t.plural : `${t.plural}.${t.group}`;
}

function failure(code: number, reason: string, message: string, details?: Status['details']): ApiError {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) status.details = details;
  return new ApiError(status);
}

function details(t: ResourceType, name: string): Status['details'] {
  return t.group === '' ? { name, kind: t.plural } : { name, group: t.group, kind: t.plural };
}

export function notFound(t: ResourceType, name: string): ApiError {
  return failure(404, 'NotFound', `${qualifiedName(t)} "${name}" not found`, details(t, name));
}

export function alreadyExists(t: ResourceType, name: string): ApiError {
  return failure(409, 'AlreadyExists', `${qualifiedName(t)} "${name}" already exists`, details(t, name));
}

export function conflict(t: ResourceType, name: string): ApiError {
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedName(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(t, name),
  );
}

/** 422 with one cause per field, message like `Job.batch "x" is invalid: spec.template: ...`. */
export function invalid(t: ResourceType, name: string, causes: StatusCause[]): ApiError {
  const kind = t.group === '' ? t.kind : `${t.kind}.${t.group}`;
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  const d: Status['details'] = { name, kind: t.kind, causes };
  if (t.group !== '') d.group = t.group;
  return failure(422, 'Invalid', `${kind} "${name}" is invalid: ${summary}`, d);
}

export function badRequest(message: string): ApiError {
  return failure(400, 'BadRequest', message);
}

export function forbidden(message: string, t?: ResourceType, name?: string): ApiError {
  return failure(403, 'Forbidden', message, t && name !== undefined ? details(t, name) : undefined);
}

export function methodNotAllowed(
  message = 'the server does not allow this method on the requested resource',
): ApiError {
  return failure(405, 'MethodNotAllowed', message);
}

export function notFoundPath(): ApiError {
  return failure(404, 'NotFound', 'the server could not find the requested resource');
}

/** https://kubernetes.io/docs/reference/using-api/api-concepts/#410-gone-responses */
export function gone(requested: number, oldest: number): ApiError {
  return failure(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

export function unsupportedMediaType(type: string): ApiError {
  return failure(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${type})`,
  );
}

export function successStatus(t: ResourceType, name: string, uid: string): Status {
  const d = details(t, name) ?? {};
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { ...d, uid }, code: 200 };
}
