/**
 * The fail-fast rules of the Job wait: what never fails a Job by itself, yet
 * never gets better without a change. Each judges only what is current: live
 * pods (not finished, not being replaced: a re-run replaces the pods whose
 * state predates it) and events that arose after the wait began, or repeated
 * since (see `Memory`).
 */
import type { V1Pod } from '@kubernetes/client-node';
import { admissionHint, failedCreates } from './failed-create.js';
import type { FailFastRule, JobObservation } from './job-verdict.js';
import { isLive, stuckContainer, stuckHint, unschedulable } from './pod-problems.js';
import type { Memory } from './wait-memory.js';

/** Everything current, first seen now: what a verdict assumes when no wait remembers anything. */
const NO_MEMORY: Memory = { now: 0, firstSeen: () => 0, stale: () => false };

/** How long a pod may stay unschedulable before the wait gives up. @default 60 s */
export const DEFAULT_UNSCHEDULABLE_GRACE_MS = 60_000;

function memoryOf(o: JobObservation): Memory {
  return o.memory ?? NO_MEMORY;
}

function imageOf(pod: V1Pod, container: string): string | undefined {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === container)
    ?.image;
}

/** A container the kubelet keeps retrying for ever (image pull, missing Secret or key). */
export const stuckContainerRule: FailFastRule = (o) => {
  for (const pod of o.pods.filter(isLive)) {
    const stuck = stuckContainer(pod);
    if (!stuck) continue;
    const image = imageOf(pod, stuck.container);
    const detail = `${stuck.reason}${stuck.message ? `: ${stuck.message}` : ''}${image && !stuck.message.includes(image) ? ` (image ${image})` : ''}`;
    return {
      outcome: 'failed',
      cause: 'fail-fast',
      code: `job.${stuck.reason}`,
      message: `job/${o.name}: pod ${stuck.pod}, container ${stuck.container}: ${detail}`,
      hint: stuckHint(stuck, image, o.context),
    };
  }
  return undefined;
};

/** The Job controller could not create a pod: admission refused it (Pod Security, ResourceQuota). */
export const failedCreateRule: FailFastRule = (o) => {
  const current = failedCreates(o.events ?? []).filter((f) => !memoryOf(o).stale(f.key));
  const last = current.at(-1);
  if (!last) return undefined;
  return {
    outcome: 'failed',
    cause: 'fail-fast',
    code: 'job.FailedCreate',
    message: `job/${o.name} cannot create its pod: ${last.message}`,
    hint: admissionHint(
      last.message,
      o.namespace,
      'kubernetes.migration.resources or kubernetes.seed.resources in schemagate.yaml',
    ),
  };
};

/** The pods still waiting for a node, with how long this wait has seen each so. */
function unschedulablePods(o: JobObservation) {
  const m = memoryOf(o);
  return o.pods.flatMap((p) => {
    const u = unschedulable(p);
    return u ? [{ ...u, forMs: m.now - m.firstSeen(u.key) }] : [];
  });
}

function graceOf(o: JobObservation): number {
  return o.unschedulableGraceMs ?? DEFAULT_UNSCHEDULABLE_GRACE_MS;
}

/** A pod no node can take, for longer than the grace period (a cluster autoscaler may add a node meanwhile). */
export const unschedulableRule: FailFastRule = (o) => {
  const grace = graceOf(o);
  const u = unschedulablePods(o).find((p) => p.forMs >= grace);
  if (!u) return undefined;
  return {
    outcome: 'failed',
    cause: 'fail-fast',
    code: 'job.Unschedulable',
    message: `job/${o.name}: pod ${u.pod} could not be scheduled for ${Math.round(u.forMs / 1000)}s: ${u.message}`,
    hint: 'No node has room for the pod. Lower its requests (kubernetes.migration.resources or kubernetes.seed.resources in schemagate.yaml), free or add capacity (kubectl describe nodes), or give an autoscaler more time with kubernetes.schedulingTimeout.',
  };
};

export const jobFailFastRules: readonly FailFastRule[] = [stuckContainerRule, failedCreateRule, unschedulableRule];

/** When a grace period of the Job's pods ends (ms from now), so the wait looks again though nothing changed. */
export function jobRecheck(o: JobObservation): number | undefined {
  const left = unschedulablePods(o).map((p) => graceOf(o) - p.forMs);
  return left.length ? Math.max(0, Math.min(...left)) : undefined;
}

/** Progress lines about pods the scheduler cannot place yet (said once per pod by the caller). */
export function pendingNotes(o: JobObservation): { key: string; line: string }[] {
  return unschedulablePods(o).map((u) => ({
    key: u.key,
    line: `pod ${u.pod} is unschedulable: ${u.message} (giving up after ${Math.round(graceOf(o) / 1000)}s unless it is scheduled)`,
  }));
}
