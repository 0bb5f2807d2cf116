/**
 * A controller that could not create a pod says so only in a Warning
 * `FailedCreate` event on itself (a Job), or also in a `ReplicaFailure`
 * condition (a ReplicaSet, copied to its Deployment): admission refused the
 * pod (Pod Security, a ResourceQuota, a webhook). The controller retries with
 * back-off for ever; nothing fails by itself.
 * https://kubernetes.io/docs/concepts/security/pod-security-admission/
 * https://kubernetes.io/docs/concepts/policy/resource-quotas/
 */
import type { CoreV1Event } from '@kubernetes/client-node';

export interface CreateFailure {
  message: string;
  /** Changes with every repeat of the event (its count), so a repeat after a wait began is current. */
  key: string;
}

/** The `FailedCreate` warnings among an object's events, newest last. */
export function failedCreates(events: readonly CoreV1Event[]): CreateFailure[] {
  return events
    .filter((e) => e.type === 'Warning' && e.reason === 'FailedCreate')
    .map((e) => ({
      message: e.message ?? 'FailedCreate',
      key: `event/${e.metadata.uid ?? e.metadata.name ?? '?'}/${e.count ?? 1}`,
    }));
}

/** How to get past a refused pod, by what refused it. `resources` names where the pod's resources are set. */
export function admissionHint(message: string, namespace: string, resources: string): string {
  const level = /violates PodSecurity "([^"]+)"/.exec(message)?.[1];
  if (level)
    return `The namespace ${namespace} enforces the Pod Security Standard "${level}" (its label pod-security.kubernetes.io/enforce). Make the pod template comply with what the message lists (securityContext in the manifests under k8s/), or use a namespace with a lower level.`;
  if (/quota/i.test(message))
    return `A ResourceQuota in namespace ${namespace} refused the pod: set the requests and limits it asks for (${resources}), or raise the quota (kubectl -n ${namespace} describe resourcequota).`;
  return `Admission refused the pod; kubectl -n ${namespace} get events --field-selector reason=FailedCreate shows every attempt.`;
}
