import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { DEPENDENCIES_INIT_CONTAINER } from './render/dependency-init.js';

/**
 * What never fails a Job (or a rollout) by itself, yet will never get better
 * without a change: the kubelet keeps retrying these for ever. Failing fast on
 * them is the point (kubernetes#66756, #101584, #62816).
 * https://kubernetes.io/docs/concepts/containers/images/#imagepullbackoff
 */
export const STUCK_REASONS = [
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
] as const;

export interface PodProblem {
  pod: string;
  container: string;
  init: boolean;
  reason: string;
  message: string;
  /** Identifies this state of this container: the same key while nothing changes, a new one after a restart. */
  key: string;
}

function statuses(pod: V1Pod): { s: V1ContainerStatus; init: boolean }[] {
  return [
    ...(pod.status?.initContainerStatuses ?? []).map((s) => ({ s, init: true })),
    ...(pod.status?.containerStatuses ?? []).map((s) => ({ s, init: false })),
  ];
}

function problem(pod: V1Pod, s: V1ContainerStatus, init: boolean, reason: string, message: string, kind: string) {
  const uid = pod.metadata?.uid ?? pod.metadata?.name ?? '?';
  return {
    pod: pod.metadata?.name ?? '?',
    container: s.name,
    init,
    reason,
    message,
    key: `${kind}/${uid}/${init ? 'init' : 'main'}/${s.name}/${s.restartCount}`,
  };
}

/**
 * A pod whose state still matters: not being deleted (a replaced or evicted
 * pod's last state is history) and not finished (its attempt is over, and the
 * Job's own counts judge it).
 * https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-phase
 */
export function isLive(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return !pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

/** A container waiting for a reason that retrying will not fix. */
export function stuckContainer(pod: V1Pod): PodProblem | undefined {
  for (const { s, init } of statuses(pod)) {
    const reason = s.state?.waiting?.reason;
    if (reason && (STUCK_REASONS as readonly string[]).includes(reason))
      return problem(pod, s, init, reason, s.state?.waiting?.message ?? '', 'stuck');
  }
  return undefined;
}

/**
 * `wait-for-dependencies` that ended non-zero: it waited its whole deadline
 * (backend.waitTimeout) or met a refusal waiting cannot fix, so another run
 * would only wait as long again. Fails at its first failure, not after the
 * restarts `crashingInit` waits for.
 */
export function failedDependencyWait(pod: V1Pod): PodProblem | undefined {
  const s = pod.status?.initContainerStatuses?.find((x) => x.name === DEPENDENCIES_INIT_CONTAINER);
  if (!s || s.state?.terminated?.exitCode === 0) return undefined;
  const exit = s.state?.terminated ?? s.lastState?.terminated;
  if (!exit || exit.exitCode === 0) return undefined;
  const reason = s.state?.waiting?.reason ?? exit.reason ?? 'Error';
  return problem(pod, s, true, reason, `exit code ${exit.exitCode}: not every dependency answered`, 'dependencies');
}

/** An init container of a Deployment's pod that keeps failing (CrashLoopBackOff, or failed twice), and has not got past it. */
export function crashingInit(pod: V1Pod): PodProblem | undefined {
  for (const s of pod.status?.initContainerStatuses ?? []) {
    // Running (a native sidecar) or done: earlier failures are over.
    if (s.state?.running || s.state?.terminated?.exitCode === 0) continue;
    const waiting = s.state?.waiting?.reason;
    const lastExit = s.state?.terminated ?? s.lastState?.terminated;
    if (waiting === 'CrashLoopBackOff' || (s.restartCount >= 2 && lastExit && lastExit.exitCode !== 0)) {
      const message = `exit code ${lastExit?.exitCode ?? '?'}, restarted ${s.restartCount} times`;
      return problem(pod, s, true, waiting ?? 'Error', message, 'crash');
    }
  }
  return undefined;
}

/** Any container (a native sidecar of a Job's pod, an app container) waiting in CrashLoopBackOff. */
export function crashLooping(pod: V1Pod): PodProblem | undefined {
  for (const { s, init } of statuses(pod)) {
    if (s.state?.waiting?.reason !== 'CrashLoopBackOff') continue;
    const lastExit = s.lastState?.terminated;
    const message = `exit code ${lastExit?.exitCode ?? '?'}, restarted ${s.restartCount} times`;
    return problem(pod, s, init, 'CrashLoopBackOff', message, 'crash');
  }
  return undefined;
}

/**
 * What a re-run replaces before it waits: a live pod stuck on an image or a
 * Secret, or crash-looping. Its state predates the fix the user made, and
 * the kubelet may not look again for minutes (back-off up to 5 min).
 */
export function needsReplacing(pod: V1Pod): PodProblem | undefined {
  if (!isLive(pod)) return undefined;
  return stuckContainer(pod) ?? crashLooping(pod) ?? failedDependencyWait(pod) ?? crashingInit(pod);
}

/** The scheduler could not place the pod: `PodScheduled=False`, reason `Unschedulable`, with its message. */
export interface Unschedulable {
  pod: string;
  message: string;
  key: string;
}

/** https://kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/ (PodScheduled, reason Unschedulable) */
export function unschedulable(pod: V1Pod): Unschedulable | undefined {
  if (!isLive(pod)) return undefined;
  const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
  if (c?.status !== 'False' || c.reason !== 'Unschedulable') return undefined;
  const uid = pod.metadata?.uid ?? pod.metadata?.name ?? '?';
  return { pod: pod.metadata?.name ?? '?', message: c.message ?? 'no node fits it', key: `unschedulable/${uid}` };
}

/** Containers that were killed for running out of memory. */
export function oomKilled(pod: V1Pod): string[] {
  return statuses(pod)
    .filter(({ s }) => s.state?.terminated?.reason === 'OOMKilled' || s.lastState?.terminated?.reason === 'OOMKilled')
    .map(({ s }) => s.name);
}

/** The kind cluster of a context (`kind-<name>`), else the one kind-config.yaml creates. */
export function kindCluster(context: string | undefined): string {
  return context?.startsWith('kind-') ? context.slice('kind-'.length) : KIND_CLUSTER;
}

/** `name:` in kind-config.yaml: the cluster `kind create cluster --config kind-config.yaml` makes. */
export const KIND_CLUSTER = 'schemagate';

/** How to get past a stuck container, by reason. */
export function stuckHint(p: Pick<PodProblem, 'reason' | 'pod'>, image: string | undefined, context?: string): string {
  switch (p.reason) {
    case 'ErrImagePull':
    case 'ImagePullBackOff':
    case 'ErrImageNeverPull':
      return `The node cannot get the image${image ? ` ${image}` : ''}. With kind, load it first: kind load docker-image ${image ?? '<image>'} --name ${kindCluster(context)} (Tilt does this for you); or fix the name with --image / kubernetes.image.`;
    case 'InvalidImageName':
      return 'The image reference is malformed (repository names are lowercase). Fix --image or kubernetes.image.';
    case 'CreateContainerConfigError':
      return 'A Secret or ConfigMap the container reads is missing, or lacks the key. Create it (k8s/secrets.yaml has the development ones: kubectl apply -f k8s/secrets.yaml), or fix the secret name/key in schemagate.yaml. Then run the command again: it replaces the stuck pod.';
    default:
      return 'Describe the pod for details: kubectl describe pod ' + p.pod;
  }
}
