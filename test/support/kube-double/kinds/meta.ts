/**
 * What every object has (apiVersion, kind, ObjectMeta) and the small shapes
 * several kinds share: conditions, label selectors, object references.
 * https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/object-meta/
 */
import { bool, int64, list, map, nullable, req, str, struct, type Schema, type TypeOf } from '../schema.js';

export const ownerReference = struct('OwnerReference', {
  apiVersion: req(str),
  kind: req(str),
  name: req(str),
  uid: req(str),
  controller: bool,
  blockOwnerDeletion: bool,
});
export type OwnerReference = TypeOf<typeof ownerReference>;

/** name, uid, resourceVersion and creationTimestamp are always set on a stored object (the API server sets them). */
export const objectMeta = struct('ObjectMeta', {
  name: req(str),
  generateName: str,
  namespace: str,
  uid: req(str),
  resourceVersion: req(str),
  generation: int64,
  creationTimestamp: req(str),
  deletionTimestamp: str,
  deletionGracePeriodSeconds: int64,
  labels: map(str),
  annotations: map(str),
  ownerReferences: list(ownerReference),
  finalizers: list(str),
});
export type ObjectMeta = TypeOf<typeof objectMeta>;

/** Any stored object: what the double knows of every kind. Other fields are the kind's (kinds/*.ts). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** A top-level kind: apiVersion, kind and metadata, then its own fields. */
export function kind<F extends Record<string, Schema<unknown>>>(name: string, fields: F) {
  return struct(name, { apiVersion: req(str), kind: req(str), metadata: req(objectMeta), ...fields });
}

/** PodCondition, JobCondition, DeploymentCondition...: the same fields under their own Go names. */
export function condition(goName: string) {
  return struct(goName, {
    type: req(str),
    status: req(str),
    reason: str,
    message: str,
    lastProbeTime: nullable(str),
    lastTransitionTime: nullable(str),
    lastUpdateTime: nullable(str),
  });
}
export type Condition = TypeOf<ReturnType<typeof condition>>;

export const labelSelector = struct('LabelSelector', {
  matchLabels: map(str),
  matchExpressions: list(struct('LabelSelectorRequirement', { key: req(str), operator: req(str), values: list(str) })),
});
export type LabelSelector = TypeOf<typeof labelSelector>;
