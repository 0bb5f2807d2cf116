/**
 * A re-run after a fix (the missing Secret created, the image loaded, the
 * database migrated) must not wait for the kubelet's back-off (up to 5
 * minutes) on the pods of the last run, nor fail on their old state: their
 * stuck or crash-looping pods are replaced before the wait begins. A Job's
 * pod is evicted, so its podFailurePolicy ignores it (`DisruptionTarget`)
 * instead of counting a failed attempt; a Deployment's pod is deleted (its
 * ReplicaSet makes a new one at once).
 * https://kubernetes.io/docs/concepts/scheduling-eviction/api-eviction/
 * https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-failure-policy
 */
import type { V1Job } from '@kubernetes/client-node';
import { Resource, type KubeApi } from './api.js';
import { hasStatus } from './errors.js';
import { needsReplacing } from './pod-problems.js';
import { selectorString } from './selector.js';

/** A pod that was replaced, and why. */
export interface ReplacedPod {
  pod: string;
  container: string;
  reason: string;
}

async function replace(
  api: KubeApi,
  labelSelector: string | undefined,
  remove: (pod: string) => Promise<void>,
): Promise<ReplacedPod[]> {
  if (!labelSelector) return [];
  const replaced: ReplacedPod[] = [];
  for (const pod of (await api.list(Resource.pods, { labelSelector })).items) {
    const p = needsReplacing(pod);
    if (!p) continue;
    try {
      await remove(p.pod);
    } catch (e) {
      // Gone meanwhile: nothing left to replace.
      if (hasStatus(e, 404)) continue;
      throw e;
    }
    replaced.push({ pod: p.pod, container: p.container, reason: p.reason });
  }
  return replaced;
}

/** Evicts the Job's pods that are stuck on an image or a Secret, or crash-looping. */
export function replaceStuckJobPods(api: KubeApi, job: V1Job): Promise<ReplacedPod[]> {
  return replace(api, selectorString(job.spec?.selector), (pod) => api.evictPod(pod));
}

/** Deletes the Deployment's pods that are stuck or whose init container keeps failing; none when it does not exist. */
export async function replaceStuckDeploymentPods(api: KubeApi, name: string): Promise<ReplacedPod[]> {
  let selector;
  try {
    selector = (await api.readDeployment(name)).spec?.selector;
  } catch (e) {
    if (hasStatus(e, 404)) return [];
    throw e;
  }
  return replace(api, selectorString(selector), (pod) => api.deletePod(pod));
}
