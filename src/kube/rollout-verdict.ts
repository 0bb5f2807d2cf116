/**
 * What a Deployment, its ReplicaSets, the current one's events and its pods
 * mean for someone waiting on its rollout: pure functions of the objects and
 * of what the wait remembers. Judged: the current revision's live pods (an
 * old ReplicaSet's pods are on their way out), and refusals (ReplicaFailure,
 * FailedCreate) that arose after the wait began or repeated since.
 * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#deployment-status
 */
import type { CoreV1Event, V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { failedCreates } from './failed-create.js';
import { DEFAULT_UNSCHEDULABLE_GRACE_MS } from './job-rules.js';
import {
  crashingInit,
  failedDependencyWait,
  isLive,
  type PodProblem,
  stuckContainer,
  unschedulable,
} from './pod-problems.js';
import type { Memory } from './wait-memory.js';

export interface RolloutObservation {
  /** Undefined once listed and absent. */
  deployment: V1Deployment | undefined;
  /** The Deployment's ReplicaSets (owned by it). */
  replicaSets: readonly V1ReplicaSet[];
  /** Pods matching the Deployment's selector. */
  pods: readonly V1Pod[];
  /** Events about the current ReplicaSet. */
  events: readonly CoreV1Event[];
  memory?: Memory;
  /** @default 60 s */
  unschedulableGraceMs?: number;
}

export type RolloutVerdict =
  | { outcome: 'done'; replicas: number }
  | { outcome: 'missing' }
  | { outcome: 'deadline'; message: string }
  | { outcome: 'refused'; message: string }
  | { outcome: 'unschedulable'; pod: string; message: string; forMs: number }
  | { outcome: 'pod'; problem: PodProblem; crashing: boolean; image: string | undefined };

const REVISION = 'deployment.kubernetes.io/revision';
const NO_MEMORY: Memory = { now: 0, firstSeen: () => 0, stale: () => false };

/** `kubectl rollout status`'s rule: the controller saw the latest spec, and every replica is updated and available. */
export function rolloutDone(d: V1Deployment): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want
  );
}

/** The ReplicaSet of the Deployment's current revision (the controller gives both the same revision annotation). */
export function currentReplicaSet(d: V1Deployment, sets: readonly V1ReplicaSet[]): V1ReplicaSet | undefined {
  const uid = d.metadata?.uid;
  const own = sets.filter((rs) => !uid || rs.metadata?.ownerReferences?.some((r) => r.uid === uid));
  const revision = d.metadata?.annotations?.[REVISION];
  return revision === undefined ? undefined : own.find((rs) => rs.metadata?.annotations?.[REVISION] === revision);
}

/** The live pods of the current revision (all live pods while it is not known yet). */
export function currentPods(o: RolloutObservation): V1Pod[] {
  const rs = o.deployment ? currentReplicaSet(o.deployment, o.replicaSets) : undefined;
  const hash = rs?.metadata?.labels?.['pod-template-hash'];
  return o.pods.filter((p) => isLive(p) && (hash === undefined || p.metadata?.labels?.['pod-template-hash'] === hash));
}

/** The key of the Deployment's ReplicaFailure condition as it stands (it changes when the condition does). */
export function replicaFailure(d: V1Deployment | undefined): { message: string; key: string } | undefined {
  const c = d?.status?.conditions?.find((x) => x.type === 'ReplicaFailure' && x.status === 'True');
  if (!c) return undefined;
  const at = c.lastUpdateTime ?? c.lastTransitionTime;
  const when = at ? new Date(at).toISOString() : '';
  return { message: c.message ?? c.reason ?? 'ReplicaFailure', key: `replicafailure/${when}/${c.message ?? ''}` };
}

/** The keys of the states the rollout wait times or may find stale. */
export function rolloutStateKeys(o: RolloutObservation): string[] {
  return [
    ...o.pods.flatMap((p) => unschedulable(p)?.key ?? []),
    ...failedCreates(o.events).map((f) => f.key),
    ...(replicaFailure(o.deployment)?.key ?? []),
  ];
}

function unschedulableFor(o: RolloutObservation) {
  const m = o.memory ?? NO_MEMORY;
  return currentPods(o).flatMap((p) => {
    const u = unschedulable(p);
    return u ? [{ ...u, forMs: m.now - m.firstSeen(u.key) }] : [];
  });
}

/** What the Deployment and its pods mean for the wait, or `undefined` to wait on. */
export function rolloutVerdict(o: RolloutObservation): RolloutVerdict | undefined {
  const d = o.deployment;
  const m = o.memory ?? NO_MEMORY;
  if (!d) return { outcome: 'missing' };
  if (rolloutDone(d)) return { outcome: 'done', replicas: d.spec?.replicas ?? 0 };
  const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return { outcome: 'deadline', message: progressing.message ?? '' };
  const failure = replicaFailure(d);
  if (failure && !m.stale(failure.key)) return { outcome: 'refused', message: failure.message };
  const created = failedCreates(o.events)
    .filter((f) => !m.stale(f.key))
    .at(-1);
  if (created) return { outcome: 'refused', message: created.message };
  for (const pod of currentPods(o)) {
    const stuck = stuckContainer(pod);
    const problem = stuck ?? failedDependencyWait(pod) ?? crashingInit(pod);
    if (!problem) continue;
    const image = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
      (c) => c.name === problem.container,
    )?.image;
    return { outcome: 'pod', problem, crashing: !stuck, image };
  }
  const grace = o.unschedulableGraceMs ?? DEFAULT_UNSCHEDULABLE_GRACE_MS;
  const u = unschedulableFor(o).find((p) => p.forMs >= grace);
  if (u) return { outcome: 'unschedulable', pod: u.pod, message: u.message, forMs: u.forMs };
  return undefined;
}

/** When an unschedulable pod's grace period ends (ms from now), so the wait looks again. */
export function rolloutRecheck(o: RolloutObservation): number | undefined {
  const grace = o.unschedulableGraceMs ?? DEFAULT_UNSCHEDULABLE_GRACE_MS;
  const left = unschedulableFor(o).map((p) => grace - p.forMs);
  return left.length ? Math.max(0, Math.min(...left)) : undefined;
}
