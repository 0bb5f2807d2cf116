/**
 * The Kubernetes API as schemagate uses it: the few calls it makes, typed,
 * each failing with a `KubeApiError` that names the operation and carries the
 * HTTP status. `client-node-api.ts` implements it over
 * `@kubernetes/client-node`; everything else in `src/kube` is written
 * against this interface, so the waits can be driven by any implementation.
 * Only types are imported from client-node here.
 */
import type { Writable } from 'node:stream';
import type {
  CoreV1Event,
  KubernetesObject,
  V1ConfigMap,
  V1Deployment,
  V1Job,
  V1Namespace,
  V1Pod,
  V1ReplicaSet,
} from '@kubernetes/client-node';

/** The collections schemagate lists and watches, all namespaced. */
export const Resource = {
  jobs: 'jobs',
  pods: 'pods',
  deployments: 'deployments',
  replicasets: 'replicasets',
  events: 'events',
} as const;
export type Resource = (typeof Resource)[keyof typeof Resource];

/** The object type of each collection. */
export interface ResourceTypes {
  jobs: V1Job;
  pods: V1Pod;
  deployments: V1Deployment;
  replicasets: V1ReplicaSet;
  events: CoreV1Event;
}

/** `labelSelector` / `fieldSelector` as the API takes them (`a=b,c=d`). */
export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ObjectList<T> {
  items: T[];
  metadata?: { resourceVersion?: string };
}

/** ADDED, MODIFIED, DELETED; BOOKMARK carries only a resourceVersion; ERROR a Status (410 Gone). */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchHandlers<T> {
  onEvent(type: WatchEventType, object: T & { code?: number }): void;
  /** Called once when the stream ends: `undefined` when the server closed it, else why it failed. */
  onDone(error: unknown): void;
}

export interface LogOptions {
  tailLines?: number;
  /** The log of the previous (terminated) instance of the container. */
  previous?: boolean;
}

export interface KubeApi {
  /** The kubeconfig context in use. */
  readonly context: string;
  /** The namespace every call below works in. */
  readonly namespace: string;
  /** The API server's version (`gitVersion`): proves that it answers. */
  serverVersion(): Promise<string>;
  /** Server-side apply (`kubectl apply --server-side --force-conflicts`); `dryRun` validates only. */
  apply<T extends KubernetesObject>(object: T, options?: { dryRun?: boolean }): Promise<T>;
  /** Fails with status 409 when a Job of that name exists. */
  createJob(job: V1Job): Promise<V1Job>;
  /** Fails with status 404 when there is none. */
  readJob(name: string): Promise<V1Job>;
  /** Deletes with `propagationPolicy: Background`, so its pods go too. 404 when there is none. */
  deleteJob(name: string): Promise<void>;
  /** A JSON merge patch of a Job's spec (e.g. `{ spec: { suspend: false } }`). */
  patchJob(name: string, patch: object): Promise<V1Job>;
  /** Fails with status 404 when there is none. */
  readDeployment(name: string): Promise<V1Deployment>;
  /** A namespace (a namespaced Role may grant `get` on its own). 404 when there is none, 403 without the right. */
  readNamespace(name: string): Promise<V1Namespace>;
  /**
   * Evicts a pod of the session's namespace (`pods/eviction`): the API server
   * marks it `DisruptionTarget` before deleting it, so a Job's podFailurePolicy
   * ignores it instead of counting a failed attempt.
   */
  evictPod(name: string): Promise<void>;
  /** Deletes a pod of the session's namespace (its controller makes a new one). */
  deletePod(name: string): Promise<void>;
  /** Fails with status 409 when a ConfigMap of that name exists. */
  createConfigMap(configMap: V1ConfigMap): Promise<V1ConfigMap>;
  /** A strategic merge patch (`metadata.ownerReferences` merge by uid). 404 when there is none. */
  patchConfigMap(name: string, patch: object): Promise<V1ConfigMap>;
  list<R extends Resource>(resource: R, selectors: Selectors): Promise<ObjectList<ResourceTypes[R]>>;
  /**
   * Opens a watch from `resourceVersion` (with bookmarks). Resolves once the
   * request is under way, with what stops it; `onDone` tells how it ended.
   */
  watch<R extends Resource>(
    resource: R,
    query: Selectors & { resourceVersion?: string },
    handlers: WatchHandlers<ResourceTypes[R]>,
  ): Promise<AbortController>;
  /** A container's log as text. 400 while the container has not started, 404 without the pod. */
  readLog(pod: string, container: string, options?: LogOptions): Promise<string>;
  /** Follows a container's log into `sink` until the container ends or the returned controller aborts. */
  followLog(pod: string, container: string, sink: Writable): Promise<AbortController>;
}
