/**
 * Failed API calls as errors that say what was being done, where, and why;
 * and the one way the rest of `src/kube` asks for an expected status.
 */
import { ExitCode, KubeApiError } from '../errors.js';

/** The HTTP status of a client-node error (`ApiException.code`, or a watch's `statusCode`), if it has one. */
export function httpStatus(e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const { code, statusCode } = e as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'number') return code;
  return typeof statusCode === 'number' ? statusCode : undefined;
}

/** Whether `e` is a failed API call that answered with `status` (e.g. 404: the object is not there). */
export function hasStatus(e: unknown, status: number): boolean {
  return e instanceof KubeApiError ? e.status === status : httpStatus(e) === status;
}

/** The API server's own message from a Status body, when the body is one. */
function statusMessage(body: unknown): string | undefined {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch (e) {
      // A body that is not JSON (a proxy's HTML page) has no Status message to offer.
      if (e instanceof SyntaxError) return undefined;
      throw e;
    }
  }
  if (parsed && typeof parsed === 'object' && 'message' in parsed) {
    const m = parsed.message;
    return typeof m === 'string' ? m : undefined;
  }
  return undefined;
}

/** The RBAC right an API call needs: a verb on a resource (`pods/log` for a subresource), in a namespace. */
export interface Right {
  verb: string;
  resource: string;
  /** A second verb the same call may need (server-side apply creates what does not exist yet). */
  also?: string;
  /** @default the session's namespace */
  namespace?: string;
}

/** `get on namespaces in namespace x`, as a user asks an administrator for it. */
function describeRight(r: Right): string {
  const verbs = r.also ? `${r.verb} (and ${r.also}, for an object that does not exist yet)` : r.verb;
  if (r.resource.startsWith('/')) return `${verbs} on the path ${r.resource}`;
  return `${verbs} on ${r.resource}${r.namespace ? ` in namespace ${r.namespace}` : ''}`;
}

const UNREACHABLE = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|fetch failed|socket hang up|connect/i;

/** Turns a failed call into a `KubeApiError` naming the operation, the context and, on a 403, the right it lacked. */
export function apiError(e: unknown, what: string, context: string, right?: Right): KubeApiError {
  if (e instanceof KubeApiError) return e;
  const status = httpStatus(e);
  const raw = e instanceof Error ? e.message : String(e);
  const reason = statusMessage((e as { body?: unknown } | null)?.body) ?? (raw || 'no message');
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : '';
  if (status === undefined && UNREACHABLE.test(`${reason} ${cause}`)) {
    return new KubeApiError(
      'kube.unreachable',
      `could not reach the Kubernetes API of context "${context}" while trying to ${what}: ${reason}`,
      undefined,
      reason,
      {
        exitCode: ExitCode.cluster,
        hint: 'Is the cluster running? `kubectl cluster-info` tells; for kind: `kind create cluster --config kind-config.yaml`. Without a cluster, the same pipeline runs with --local.',
        cause: e,
      },
    );
  }
  return new KubeApiError(
    'kube.api',
    `Kubernetes refused to ${what}${status ? ` (HTTP ${status})` : ''}: ${reason}`,
    status,
    reason,
    {
      exitCode: status === 403 ? ExitCode.refused : ExitCode.cluster,
      ...(status === 403
        ? {
            hint: `The kubeconfig user lacks the RBAC right ${right ? describeRight(right) : 'for this'}. k8s/rbac.yaml is a Role with every right schemagate needs in one namespace: have it applied and bound to you, or use another context.`,
          }
        : {}),
      cause: e,
    },
  );
}
