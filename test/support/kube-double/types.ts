/**
 * The shapes the double stores and reasons about, in one import: each kind
 * is declared once, as the schema a request body is decoded with
 * (kinds/*.ts, schema.ts), and its type is that schema's. Plus the store's
 * change events.
 */
export type { Condition, KubeObject, LabelSelector, ObjectMeta, OwnerReference } from './kinds/meta.js';
export type {
  Container,
  ContainerState,
  ContainerStatus,
  EnvVar,
  Pod,
  PodSpec,
  PodStatus,
  PodTemplateSpec,
  Probe,
  Volume,
} from './kinds/pod.js';
export type {
  Deployment,
  Job,
  JobSpec,
  PodFailurePolicy,
  PodFailurePolicyRule,
  ReplicaSet,
  StatefulSet,
} from './kinds/workloads.js';
export type {
  ConfigMap,
  Event,
  Namespace,
  PersistentVolumeClaim,
  PolicyRule,
  ResourceQuota,
  Role,
  RoleBinding,
  Secret,
  Service,
  ServiceAccount,
  ServicePort,
  Subject,
} from './kinds/core.js';
import type { KubeObject } from './kinds/meta.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change in the store's history, as a watch streams it. */
export interface StoreEvent {
  type: WatchEventType;
  /** Resource key, e.g. "batch/v1/jobs" (see resources.ts). */
  resource: string;
  object: KubeObject;
  /** The object before a MODIFIED change (to tell when it leaves a watch's selector). */
  previous?: KubeObject;
  resourceVersion: number;
}
