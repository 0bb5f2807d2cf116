/**
 * Who is asking, and may they: the bearer token names the user (the
 * double's own kubeconfig, and a request without a token, act as the
 * cluster admin), RBAC decides, and every resource request is recorded with
 * its user, so a test can read what a command asked of the API server.
 * https://kubernetes.io/docs/reference/access-authn-authz/authentication/
 */
import { randomUUID } from 'node:crypto';
import type { Api } from '../api.js';
import { ApiError, type Status } from '../errors.js';
import { decodeBody, int64, list, parseJson, str, struct } from '../schema.js';
import { mustFind, type ResourceType } from '../resources.js';
import type { Store } from '../store.js';
import { forbiddenMessage, type RequestAttributes } from './request-info.js';
import { ADMIN, authorize, type User, userNamed } from './rbac.js';

export interface RecordedRequest extends RequestAttributes {
  user: string;
  allowed: boolean;
}

/** What the double reads of an authentication.k8s.io/v1 TokenRequest. */
const tokenRequestSchema = struct('TokenRequest', {
  spec: struct('TokenRequestSpec', { expirationSeconds: int64, audiences: list(str) }),
});

function unauthorized(): ApiError {
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Unauthorized',
    reason: 'Unauthorized',
    code: 401,
  };
  return new ApiError(status);
}

export class Access {
  private readonly tokens = new Map<string, User>();
  readonly requests: RecordedRequest[] = [];

  constructor(adminToken: string) {
    this.tokens.set(adminToken, ADMIN);
  }

  addToken(token: string, user: User): void {
    this.tokens.set(token, user);
  }

  /**
   * `serviceaccounts/<name>/token` (a TokenRequest, what `kubectl create
   * token` asks for): a token that authenticates as the ServiceAccount.
   * https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-request-v1/
   */
  tokenRequest(api: Api, namespace: string, name: string, body: string): object {
    api.get(mustFind('serviceaccounts'), namespace, name);
    const request = decodeBody(tokenRequestSchema, body ? parseJson(body) : {}, 'TokenRequest');
    const token = `sa-token-${randomUUID()}`;
    this.addToken(token, userNamed(`system:serviceaccount:${namespace}:${name}`));
    const seconds = request.spec?.expirationSeconds ?? 3600;
    return {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name, namespace, creationTimestamp: api.now() },
      spec: { audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: seconds },
      status: { token, expirationTimestamp: new Date(Date.now() + seconds * 1000).toISOString() },
    };
  }

  /** The user of an `Authorization` header; none: the admin (the double's tests use plain fetch). */
  authenticate(header: string | undefined): User {
    if (header === undefined) return ADMIN;
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const user = token === undefined ? undefined : this.tokens.get(token);
    if (!user) throw unauthorized();
    return user;
  }

  /** Records the request, and refuses it with the API server's 403 unless RBAC allows it. */
  check(store: Store, user: User, a: RequestAttributes, t: ResourceType): void {
    const allowed = authorize(store, user, a);
    this.requests.push({ ...a, user: user.name, allowed });
    if (allowed) return;
    // errors.NewForbidden: the group-qualified resource, the name when there is one, then why.
    const qualified = t.group === '' ? t.plural : `${t.plural}.${t.group}`;
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `${qualified}${a.name ? ` "${a.name}"` : ''} is forbidden: ${forbiddenMessage(user.name, a)}`,
      reason: 'Forbidden',
      details: { name: a.name, ...(t.group ? { group: t.group } : {}), kind: t.plural },
      code: 403,
    };
    throw new ApiError(status);
  }
}
