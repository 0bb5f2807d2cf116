/**
 * Resource URL paths: /api/v1/... and /apis/GROUP/VERSION/..., namespaced or
 * not, with a name and a subresource.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris
 */
import { findResource, type ResourceType } from '../resources.js';

export type Route =
  | { kind: 'version' }
  | { kind: 'health' }
  | { kind: 'coreVersions' }
  | { kind: 'groupList' }
  | { kind: 'group'; group: string }
  | { kind: 'resourceList'; group: string; version: string }
  | {
      kind: 'resource';
      type: ResourceType;
      namespace: string | undefined;
      name: string | undefined;
      subresource: string | undefined;
    }
  | { kind: 'unknown' };

export function route(pathname: string): Route {
  const segs = pathname
    .split('/')
    .filter((s) => s !== '')
    .map(decodeURIComponent);
  if (pathname === '/version' || pathname === '/version/') return { kind: 'version' };
  if (['healthz', 'livez', 'readyz'].includes(segs[0] ?? '')) return { kind: 'health' };
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api') {
    if (segs.length === 1) return { kind: 'coreVersions' };
    group = '';
    version = segs[1] ?? '';
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    if (segs.length === 1) return { kind: 'groupList' };
    if (segs.length === 2) return { kind: 'group', group: segs[1] ?? '' };
    group = segs[1] ?? '';
    version = segs[2] ?? '';
    rest = segs.slice(3);
  } else return { kind: 'unknown' };
  if (rest.length === 0) return { kind: 'resourceList', group, version };

  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const inner = findResource(group, version, rest[2] ?? '');
    if (inner?.namespaced) {
      return { kind: 'resource', type: inner, namespace: rest[1], name: rest[3], subresource: rest[4] };
    }
  }
  const type = findResource(group, version, rest[0] ?? '');
  if (!type || rest.length > 3) return { kind: 'unknown' };
  return { kind: 'resource', type, namespace: undefined, name: rest[1], subresource: rest[2] };
}
