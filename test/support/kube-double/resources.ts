/**
 * The resource types the double serves, with what discovery reports about
 * them. https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris
 */
export interface ResourceType {
  /** "" for the core group. */
  group: string;
  version: string;
  /** Plural lower-case name used in URLs, e.g. "jobs". */
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Subresources served, e.g. ["status", "log"]. */
  subresources: string[];
  /** metadata.generation is kept and bumped on spec changes. */
  hasGeneration: boolean;
  /**
   * Only stored (no controller acts on it); README lists these.
   */
  storeOnly?: boolean;
}

const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
export const resourceVerbs: readonly string[] = verbs;

function type(
  group: string,
  version: string,
  plural: string,
  kind: string,
  rest: Partial<ResourceType> = {},
): ResourceType {
  return {
    group,
    version,
    plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced: true,
    subresources: [],
    hasGeneration: false,
    ...rest,
  };
}

export const resourceTypes: readonly ResourceType[] = [
  type('', 'v1', 'namespaces', 'Namespace', { namespaced: false, shortNames: ['ns'], subresources: ['status'] }),
  type('', 'v1', 'pods', 'Pod', { shortNames: ['po'], subresources: ['status', 'log', 'eviction'] }),
  type('', 'v1', 'configmaps', 'ConfigMap', { shortNames: ['cm'] }),
  type('', 'v1', 'secrets', 'Secret'),
  type('', 'v1', 'services', 'Service', { shortNames: ['svc'], subresources: ['status'] }),
  type('', 'v1', 'events', 'Event', { shortNames: ['ev'] }),
  type('', 'v1', 'resourcequotas', 'ResourceQuota', { shortNames: ['quota'], subresources: ['status'] }),
  type('', 'v1', 'serviceaccounts', 'ServiceAccount', { shortNames: ['sa'], subresources: ['token'], storeOnly: true }),
  type('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', {
    shortNames: ['pvc'],
    subresources: ['status'],
    storeOnly: true,
  }),
  type('batch', 'v1', 'jobs', 'Job', { subresources: ['status'], hasGeneration: true }),
  type('apps', 'v1', 'deployments', 'Deployment', {
    shortNames: ['deploy'],
    subresources: ['status', 'scale'],
    hasGeneration: true,
  }),
  type('apps', 'v1', 'replicasets', 'ReplicaSet', {
    shortNames: ['rs'],
    subresources: ['status', 'scale'],
    hasGeneration: true,
  }),
  type('apps', 'v1', 'statefulsets', 'StatefulSet', {
    shortNames: ['sts'],
    subresources: ['status', 'scale'],
    hasGeneration: true,
  }),
  type('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', { storeOnly: true }),
  type('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', { storeOnly: true }),
];

/** "batch/v1/jobs", "v1/pods": the key the store files objects under. */
export function resourceKey(t: ResourceType): string {
  return t.group === '' ? `${t.version}/${t.plural}` : `${t.group}/${t.version}/${t.plural}`;
}

export function apiVersionOf(t: ResourceType): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** "jobs.batch", "pods": how error messages name a resource. */
export function qualifiedName(t: ResourceType): string {
  return t.group === '' ? t.plural : `${t.plural}.${t.group}`;
}

export function findResource(group: string, version: string, plural: string): ResourceType | undefined {
  return resourceTypes.find((t) => t.group === group && t.version === version && t.plural === plural);
}

export function findByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return resourceTypes.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
}

export function mustFind(
  key:
    | 'pods'
    | 'jobs'
    | 'events'
    | 'namespaces'
    | 'replicasets'
    | 'deployments'
    | 'secrets'
    | 'configmaps'
    | 'resourcequotas'
    | 'services'
    | 'statefulsets'
    | 'persistentvolumeclaims'
    | 'serviceaccounts',
): ResourceType {
  const found = resourceTypes.find((t) => t.plural === key);
  if (!found) throw new Error(`unknown resource ${key}`);
  return found;
}
