/**
 * Discovery documents: /version, /api, /apis and the resource lists of each
 * group/version, as far as clients (KubernetesObjectApi) read them.
 * https://kubernetes.io/docs/concepts/overview/kubernetes-api/#discovery-api
 */
import { apiVersionOf, resourceTypes, resourceVerbs } from '../resources.js';

/** The Kubernetes version the double imitates (conditions as >= 1.31 sets them). */
export const imitatedVersion = { major: '1', minor: '31', gitVersion: 'v1.31.0' };

export function versionInfo(): object {
  return {
    ...imitatedVersion,
    gitCommit: 'schemagate-kube-double',
    gitTreeState: 'clean',
    buildDate: '2024-08-13T07:28:49Z',
    goVersion: 'go1.22.5',
    compiler: 'gc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

export function coreVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groups(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of resourceTypes) {
    if (t.group === '') continue;
    const versions = out.get(t.group) ?? [];
    if (!versions.includes(t.version)) versions.push(t.version);
    out.set(t.group, versions);
  }
  return out;
}

export function groupList(): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups()].map(([name, versions]) => ({
      name,
      versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
    })),
  };
}

export function apiGroup(group: string): object | undefined {
  const versions = groups().get(group);
  if (!versions) return undefined;
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: group,
    versions: versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${group}/${versions[0]}`, version: versions[0] },
  };
}

export function resourceList(group: string, version: string): object | undefined {
  const types = resourceTypes.filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  const resources: object[] = [];
  for (const t of types) {
    const base = { name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind };
    resources.push({ ...base, verbs: [...resourceVerbs], ...(t.shortNames ? { shortNames: t.shortNames } : {}) });
    for (const sub of t.subresources) {
      const kind = { scale: 'Scale', eviction: 'Eviction', token: 'TokenRequest' }[sub] ?? t.kind;
      const verbs =
        sub === 'log' ? ['get'] : sub === 'eviction' || sub === 'token' ? ['create'] : ['get', 'patch', 'update'];
      resources.push({
        name: `${t.plural}/${sub}`,
        singularName: '',
        namespaced: t.namespaced,
        kind,
        verbs,
        ...(sub === 'scale' ? { group: 'autoscaling', version: 'v1' } : {}),
        ...(sub === 'eviction' ? { group: 'policy', version: 'v1' } : {}),
        ...(sub === 'token' ? { group: 'authentication.k8s.io', version: 'v1' } : {}),
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(types[0]!), resources };
}
