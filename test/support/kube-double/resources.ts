/**
 * The resource types the double serves, with what discovery reports about
 * them, the shape their objects are decoded into and what the API server
 * does to them on a write (its registry strategy: initial status, defaults,
 * validation). https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris
 */
import type { AdmissionContext } from './admission/admit.js';
import type { StatusCause } from './errors.js';
import * as core from './kinds/core.js';
import * as pods from './kinds/pod.js';
import * as workloads from './kinds/workloads.js';
import type { KubeObject } from './kinds/meta.js';
import type { Schema } from './schema.js';
import { strategies } from './strategies.js';
import type * as T from './types.js';

/** What the API server does with an object of one type on a write, besides storing it. */
export interface Strategy<T> {
  /** On create, before defaults: the status a new object starts with (what the client sent is dropped). */
  prepareForCreate?(obj: T): void;
  defaults?(obj: T, isCreate: boolean): void;
  /** The type's own validation causes (`old` on update); names and metadata are validated for every type. */
  validate?(obj: T, old: T | undefined): StatusCause[];
  /** Why admission refuses a new object (403), after validation. */
  admit?(obj: T, context: AdmissionContext): string | undefined;
  /** Seconds a DELETE leaves the object in place (a pod's grace period); none: it goes at once. */
  gracePeriod?(obj: T, requested: number | undefined): number;
  /** Whether a DELETE leaves it in place for its own finalizers (a namespace's spec.finalizers). */
  holdsDeletion?(obj: T): boolean;
  /** What a DELETE that leaves it in place changes besides deletionTimestamp (a namespace's phase). */
  markDeleting?(obj: T): void;
}

export interface ResourceType<T extends KubeObject = KubeObject> {
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
  /** Only stored (no controller acts on it); README lists these. */
  storeOnly?: boolean;
  /** How a request body becomes a T: the API server's JSON decoding into its Go type (schema.ts). */
  schema: Schema<T>;
  strategy: Strategy<T>;
}

const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
export const resourceVerbs: readonly string[] = verbs;

interface Options<T> extends Partial<
  Pick<ResourceType, 'namespaced' | 'shortNames' | 'subresources' | 'hasGeneration' | 'storeOnly'>
> {
  strategy?: Strategy<T>;
}

/** A resource type of `apiVersion` ("v1", "batch/v1"): namespaced, no subresources, no strategy unless given. */
function type<T extends KubeObject>(
  apiVersion: string,
  plural: string,
  kind: string,
  schema: Schema<T>,
  { strategy = {}, ...rest }: Options<NoInfer<T>> = {},
): ResourceType<T> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return {
    group: group ?? '',
    version: version ?? apiVersion,
    plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced: true,
    subresources: [],
    hasGeneration: false,
    ...rest,
    schema,
    strategy,
  };
}

const workload = { subresources: ['status', 'scale'], hasGeneration: true };

/** The stored shape of each resource's objects, by plural. */
export interface Kinds {
  namespaces: T.Namespace;
  pods: T.Pod;
  configmaps: T.ConfigMap;
  secrets: T.Secret;
  services: T.Service;
  events: T.Event;
  resourcequotas: T.ResourceQuota;
  serviceaccounts: T.ServiceAccount;
  persistentvolumeclaims: T.PersistentVolumeClaim;
  jobs: T.Job;
  deployments: T.Deployment;
  replicasets: T.ReplicaSet;
  statefulsets: T.StatefulSet;
  roles: T.Role;
  rolebindings: T.RoleBinding;
}
export type ResourceName = keyof Kinds;
export type ObjectOf<R extends ResourceName> = Kinds[R];

/** Every type, by plural; the order is discovery's. */
export const resources: { [R in ResourceName]: ResourceType<Kinds[R]> } = {
  namespaces: type('v1', 'namespaces', 'Namespace', core.namespace, {
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status'],
    strategy: strategies.namespaces,
  }),
  pods: type('v1', 'pods', 'Pod', pods.pod, {
    shortNames: ['po'],
    subresources: ['status', 'log', 'eviction'],
    strategy: strategies.pods,
  }),
  configmaps: type('v1', 'configmaps', 'ConfigMap', core.configMap, {
    shortNames: ['cm'],
    strategy: strategies.configmaps,
  }),
  secrets: type('v1', 'secrets', 'Secret', core.secret, { strategy: strategies.secrets }),
  services: type('v1', 'services', 'Service', core.service, {
    shortNames: ['svc'],
    subresources: ['status'],
    strategy: strategies.services,
  }),
  events: type('v1', 'events', 'Event', core.event, { shortNames: ['ev'] }),
  resourcequotas: type('v1', 'resourcequotas', 'ResourceQuota', core.resourceQuota, {
    shortNames: ['quota'],
    subresources: ['status'],
    strategy: strategies.resourcequotas,
  }),
  serviceaccounts: type('v1', 'serviceaccounts', 'ServiceAccount', core.serviceAccount, {
    shortNames: ['sa'],
    subresources: ['token'],
    storeOnly: true,
  }),
  persistentvolumeclaims: type('v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', core.persistentVolumeClaim, {
    shortNames: ['pvc'],
    subresources: ['status'],
    storeOnly: true,
  }),
  jobs: type('batch/v1', 'jobs', 'Job', workloads.job, {
    subresources: ['status'],
    hasGeneration: true,
    strategy: strategies.jobs,
  }),
  deployments: type('apps/v1', 'deployments', 'Deployment', workloads.deployment, {
    shortNames: ['deploy'],
    ...workload,
    strategy: strategies.deployments,
  }),
  replicasets: type('apps/v1', 'replicasets', 'ReplicaSet', workloads.replicaSet, {
    shortNames: ['rs'],
    ...workload,
    strategy: strategies.replicasets,
  }),
  statefulsets: type('apps/v1', 'statefulsets', 'StatefulSet', workloads.statefulSet, {
    shortNames: ['sts'],
    ...workload,
    strategy: strategies.statefulsets,
  }),
  roles: type('rbac.authorization.k8s.io/v1', 'roles', 'Role', core.role, { storeOnly: true }),
  rolebindings: type('rbac.authorization.k8s.io/v1', 'rolebindings', 'RoleBinding', core.roleBinding, {
    storeOnly: true,
  }),
};

export const resourceTypes: readonly ResourceType[] = Object.values(resources);

/** "batch/v1/jobs", "v1/pods": the key the store files objects under. */
export function resourceKey(t: ResourceType): string {
  return t.group === '' ? `${t.version}/${t.plural}` : `${t.group}/${t.version}/${t.plural}`;
}

export function apiVersionOf(t: ResourceType): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

export function findResource(group: string, version: string, plural: string): ResourceType | undefined {
  return resourceTypes.find((t) => t.group === group && t.version === version && t.plural === plural);
}

export function findByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return resourceTypes.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
}

export function mustFind<R extends ResourceName>(plural: R): ResourceType<Kinds[R]> {
  return resources[plural];
}
