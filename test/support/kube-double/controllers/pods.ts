/**
 * What the workload controllers share about their pods: which pods a
 * controller owns, creating a pod from a template with a controller
 * ownerReference, and pod readiness.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/owners-dependents/
 */
import type { Api } from '../api.js';
import type { EventRecorder } from '../events.js';
import { mustFind } from '../resources.js';
import { fromSelectorObject, matchesLabels } from '../selectors.js';
import type { Condition, KubeObject, LabelSelector, Pod, PodTemplateSpec } from '../types.js';
import { unlessGone } from '../errors.js';

export function controllerRef(owner: KubeObject): {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: true;
  blockOwnerDeletion: true;
} {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Pods selected by the owner's selector and controlled by it (ownerReference with controller: true). */
export function ownedPods(api: Api, owner: KubeObject & { spec: { selector?: LabelSelector } }): Pod[] {
  const selector = fromSelectorObject(owner.spec.selector);
  return api
    .list(mustFind('pods'), owner.metadata.namespace)
    .filter(
      (p) =>
        matchesLabels(selector, p.metadata.labels) &&
        (p.metadata.ownerReferences ?? []).some((r) => r.controller === true && r.uid === owner.metadata.uid),
    );
}

export function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Not finished and not being deleted. */
export function isActive(pod: Pod): boolean {
  return !isTerminal(pod) && !pod.metadata.deletionTimestamp;
}

export function isReady(pod: Pod): boolean {
  return hasCondition(pod, 'Ready');
}

export function createPodFromTemplate(
  api: Api,
  events: EventRecorder,
  owner: KubeObject,
  template: PodTemplateSpec,
  component: string,
): Pod {
  const meta = template.metadata ?? {};
  const pod = api.create(mustFind('pods'), owner.metadata.namespace, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${owner.metadata.name}-`,
      labels: { ...(meta.labels ?? {}) },
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ownerReferences: [controllerRef(owner)],
    },
    spec: structuredClone(template.spec),
  });
  events.record(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, component);
  return pod;
}

export function deletePod(api: Api, events: EventRecorder, owner: KubeObject, pod: Pod, component: string): void {
  unlessGone(() => {
    api.delete(mustFind('pods'), pod.metadata.namespace, pod.metadata.name, {
      preconditions: { uid: pod.metadata.uid },
    });
    events.record(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, component);
  });
}

export function setCondition(conditions: Condition[], next: Condition): Condition[] {
  const i = conditions.findIndex((c) => c.type === next.type);
  if (i < 0) return [...conditions, next];
  const before = conditions[i]!;
  if (before.status === next.status && before.reason === next.reason && before.message === next.message)
    return conditions;
  const merged = { ...next };
  if (before.status === next.status && before.lastTransitionTime) merged.lastTransitionTime = before.lastTransitionTime;
  const out = [...conditions];
  out[i] = merged;
  return out;
}

export function hasCondition(obj: { status?: { conditions?: Condition[] } }, type: string): boolean {
  return (obj.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}
