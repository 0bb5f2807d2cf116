/**
 * The other kinds the double serves: Services, ConfigMaps, Secrets,
 * Namespaces, ResourceQuotas, Events, PersistentVolumeClaims,
 * ServiceAccounts, Roles and RoleBindings.
 * https://kubernetes.io/docs/reference/kubernetes-api/
 */
import {
  bool,
  int,
  intOrString,
  list,
  map,
  nullable,
  quantity,
  raw,
  req,
  str,
  struct,
  type TypeOf,
} from '../schema.js';
import { kind } from './meta.js';

export const servicePort = struct('ServicePort', {
  name: str,
  port: req(int),
  targetPort: intOrString,
  protocol: str,
  nodePort: int,
});
export type ServicePort = TypeOf<typeof servicePort>;

export const service = kind('Service', {
  spec: struct('ServiceSpec', {
    type: str,
    selector: map(str),
    clusterIP: str,
    clusterIPs: list(str),
    ports: list(servicePort),
    sessionAffinity: str,
  }),
  status: struct('ServiceStatus', { loadBalancer: raw }),
});
export type Service = TypeOf<typeof service>;

export const configMap = kind('ConfigMap', { data: map(str), binaryData: map(str), immutable: bool });
export type ConfigMap = TypeOf<typeof configMap>;

export const secret = kind('Secret', { data: map(str), stringData: map(str), type: str, immutable: bool });
export type Secret = TypeOf<typeof secret>;

export const namespace = kind('Namespace', {
  spec: struct('NamespaceSpec', { finalizers: list(str) }),
  status: struct('NamespaceStatus', { phase: str }),
});
export type Namespace = TypeOf<typeof namespace>;

export const resourceQuota = kind('ResourceQuota', {
  spec: struct('ResourceQuotaSpec', { hard: map(quantity) }),
  status: struct('ResourceQuotaStatus', { hard: map(quantity), used: map(quantity) }),
});
export type ResourceQuota = TypeOf<typeof resourceQuota>;

export const event = kind('Event', {
  involvedObject: req(
    struct('ObjectReference', {
      apiVersion: str,
      kind: str,
      name: str,
      namespace: str,
      uid: str,
      resourceVersion: str,
      fieldPath: str,
    }),
  ),
  reason: str,
  message: str,
  type: str,
  source: struct('EventSource', { component: str, host: str }),
  count: int,
  firstTimestamp: nullable(str),
  lastTimestamp: nullable(str),
  reportingComponent: str,
  reportingInstance: str,
});
export type Event = TypeOf<typeof event>;

export const persistentVolumeClaim = kind('PersistentVolumeClaim', {
  spec: raw,
  status: struct('PersistentVolumeClaimStatus', { phase: str }),
});
export type PersistentVolumeClaim = TypeOf<typeof persistentVolumeClaim>;

export const serviceAccount = kind('ServiceAccount', {});
export type ServiceAccount = TypeOf<typeof serviceAccount>;

export const policyRule = struct('PolicyRule', {
  verbs: list(str),
  apiGroups: list(str),
  resources: list(str),
  resourceNames: list(str),
});
export type PolicyRule = TypeOf<typeof policyRule>;

export const role = kind('Role', { rules: list(policyRule) });
export type Role = TypeOf<typeof role>;

export const subject = struct('Subject', { kind: req(str), name: req(str), namespace: str, apiGroup: str });
export type Subject = TypeOf<typeof subject>;

export const roleBinding = kind('RoleBinding', {
  roleRef: req(struct('RoleRef', { apiGroup: str, kind: req(str), name: req(str) })),
  subjects: list(subject),
});
export type RoleBinding = TypeOf<typeof roleBinding>;
