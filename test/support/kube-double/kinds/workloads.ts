/**
 * The workloads the double's controllers run: Jobs, Deployments,
 * ReplicaSets and StatefulSets. spec and spec.template are always there
 * (a workload without a pod template does not pass validation).
 * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/
 */
import { bool, int, int64, intOrString, list, map, nullable, raw, req, str, struct, type TypeOf } from '../schema.js';
import { condition, kind, labelSelector } from './meta.js';
import { podTemplateSpec } from './pod.js';

export const podFailurePolicy = struct('PodFailurePolicy', {
  rules: list(
    struct('PodFailurePolicyRule', {
      action: req(str),
      onExitCodes: struct('PodFailurePolicyOnExitCodesRequirement', {
        containerName: str,
        operator: req(str),
        values: list(int),
      }),
      onPodConditions: list(struct('PodFailurePolicyOnPodConditionsPattern', { type: req(str), status: req(str) })),
    }),
  ),
});
export type PodFailurePolicy = TypeOf<typeof podFailurePolicy>;
export type PodFailurePolicyRule = NonNullable<PodFailurePolicy['rules']>[number];

const jobSpec = struct('JobSpec', {
  template: req(podTemplateSpec),
  selector: labelSelector,
  manualSelector: bool,
  backoffLimit: int,
  backoffLimitPerIndex: int,
  completions: int,
  parallelism: int,
  completionMode: str,
  suspend: bool,
  podReplacementPolicy: str,
  podFailurePolicy,
  activeDeadlineSeconds: int64,
  ttlSecondsAfterFinished: int,
});
export type JobSpec = TypeOf<typeof jobSpec>;

export const job = kind('Job', {
  spec: req(jobSpec),
  status: struct('JobStatus', {
    conditions: list(condition('JobCondition')),
    startTime: nullable(str),
    completionTime: nullable(str),
    active: int,
    succeeded: int,
    failed: int,
    ready: int,
    terminating: int,
    uncountedTerminatedPods: raw,
  }),
});
export type Job = TypeOf<typeof job>;

/** What Deployments, ReplicaSets and StatefulSets report about their pods. */
const replicaCounts = {
  observedGeneration: int64,
  replicas: int,
  updatedReplicas: int,
  readyReplicas: int,
  availableReplicas: int,
  unavailableReplicas: int,
};

export const deployment = kind('Deployment', {
  spec: req(
    struct('DeploymentSpec', {
      replicas: int,
      selector: labelSelector,
      template: req(podTemplateSpec),
      strategy: struct('DeploymentStrategy', {
        type: str,
        rollingUpdate: struct('RollingUpdateDeployment', { maxSurge: intOrString, maxUnavailable: intOrString }),
      }),
      revisionHistoryLimit: int,
      progressDeadlineSeconds: int,
    }),
  ),
  status: struct('DeploymentStatus', { ...replicaCounts, conditions: list(condition('DeploymentCondition')) }),
});
export type Deployment = TypeOf<typeof deployment>;

export const replicaSet = kind('ReplicaSet', {
  spec: req(struct('ReplicaSetSpec', { replicas: int, selector: labelSelector, template: req(podTemplateSpec) })),
  status: struct('ReplicaSetStatus', {
    ...replicaCounts,
    fullyLabeledReplicas: int,
    conditions: list(condition('ReplicaSetCondition')),
  }),
});
export type ReplicaSet = TypeOf<typeof replicaSet>;

/** A volumeClaimTemplate: a PersistentVolumeClaim's name, labels and spec. */
const claimTemplate = struct('PersistentVolumeClaim', {
  metadata: req(struct('ObjectMeta', { name: req(str), labels: map(str) })),
  spec: raw,
});

export const statefulSet = kind('StatefulSet', {
  spec: req(
    struct('StatefulSetSpec', {
      replicas: int,
      selector: labelSelector,
      template: req(podTemplateSpec),
      serviceName: str,
      volumeClaimTemplates: list(claimTemplate),
      updateStrategy: struct('StatefulSetUpdateStrategy', { type: str }),
    }),
  ),
  status: struct('StatefulSetStatus', {
    ...replicaCounts,
    currentReplicas: int,
    currentRevision: str,
    updateRevision: str,
    collisionCount: int,
  }),
});
export type StatefulSet = TypeOf<typeof statefulSet>;
