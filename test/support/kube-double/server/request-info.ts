/**
 * The attributes the API server authorizes a request by, derived from its
 * method and URL as staging/src/k8s.io/apiserver/pkg/endpoints/request/
 * requestinfo.go does: GET on a collection is `list` (`watch` with
 * `watch=true`), DELETE on one is `deletecollection`; a list or watch with a
 * `metadata.name=` field selector carries that name; a request on
 * `namespaces/<name>` is in the namespace `<name>` (so a namespaced Role may
 * grant reading its own namespace).
 * https://kubernetes.io/docs/reference/access-authn-authz/authorization/#determine-the-request-verb
 */
import type { ResourceType } from '../resources.js';

export interface RequestAttributes {
  verb: string;
  apiGroup: string;
  /** The resource's plural name. */
  resource: string;
  /** e.g. "log", "eviction", "status"; "" for none. */
  subresource: string;
  /** "" for a cluster-scoped request. */
  namespace: string;
  /** "" for a collection. */
  name: string;
}

export interface ResourceRoute {
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

const methodVerbs: Record<string, string> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

export function requestAttributes(method: string, route: ResourceRoute, query: URLSearchParams): RequestAttributes {
  let verb = methodVerbs[method] ?? '';
  let name = route.name ?? '';
  if (name === '' && verb === 'get') {
    const watch = query.get('watch');
    verb = watch !== null && !['false', '0'].includes(watch.toLowerCase()) ? 'watch' : 'list';
    const byName = /(?:^|,)metadata\.name==?([^,]+)(?:,|$)/.exec(query.get('fieldSelector') ?? '');
    if (byName?.[1]) name = byName[1];
  }
  if (name === '' && verb === 'delete') verb = 'deletecollection';
  const namespace = route.type.plural === 'namespaces' ? (route.name ?? '') : (route.namespace ?? '');
  return {
    verb,
    apiGroup: route.type.group,
    resource: route.type.plural,
    subresource: route.subresource ?? '',
    namespace,
    name,
  };
}

/** `User "u" cannot get resource "pods/log" in API group "" in the namespace "n"` (responsewriters' forbiddenMessage). */
export function forbiddenMessage(user: string, a: RequestAttributes): string {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `User "${user}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${scope}`;
}
