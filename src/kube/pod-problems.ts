import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

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
}

function statuses(pod: V1Pod): { s: V1ContainerStatus; init: boolean }[] {
  return [
    ...(pod.status?.initContainerStatuses ?? []).map((s) => ({ s, init: true })),
    ...(pod.status?.containerStatuses ?? []).map((s) => ({ s, init: false })),
  ];
}

/** A container waiting for a reason that retrying will not fix. */
export function stuckContainer(pod: V1Pod): PodProblem | undefined {
  for (const { s, init } of statuses(pod)) {
    const reason = s.state?.waiting?.reason;
    if (reason && (STUCK_REASONS as readonly string[]).includes(reason)) {
      return {
        pod: pod.metadata?.name ?? '?',
        container: s.name,
        init,
        reason,
        message: s.state?.waiting?.message ?? '',
      };
    }
  }
  return undefined;
}

/** An init container of a Deployment's pod that keeps failing (CrashLoopBackOff, or failed twice). */
export function crashingInit(pod: V1Pod): PodProblem | undefined {
  for (const s of pod.status?.initContainerStatuses ?? []) {
    const waiting = s.state?.waiting?.reason;
    const lastExit = s.lastState?.terminated ?? s.state?.terminated;
    if (waiting === 'CrashLoopBackOff' || (s.restartCount >= 2 && lastExit && lastExit.exitCode !== 0)) {
      return {
        pod: pod.metadata?.name ?? '?',
        container: s.name,
        init: true,
        reason: waiting ?? 'Error',
        message: `exit code ${lastExit?.exitCode ?? '?'}, restarted ${s.restartCount} times`,
      };
    }
  }
  return undefined;
}

/** Containers that were killed for running out of memory. */
export function oomKilled(pod: V1Pod): string[] {
  return statuses(pod)
    .filter(({ s }) => s.state?.terminated?.reason === 'OOMKilled' || s.lastState?.terminated?.reason === 'OOMKilled')
    .map(({ s }) => s.name);
}

/** How to get past a stuck container, by reason. */
export function stuckHint(p: PodProblem, image: string | undefined): string {
  switch (p.reason) {
    case 'ErrImagePull':
    case 'ImagePullBackOff':
    case 'ErrImageNeverPull':
      return `The node cannot get the image${image ? ` ${image}` : ''}. With kind, load it first: kind load docker-image ${image ?? '<image>'} (Tilt does this for you); or fix the name with --image / kubernetes.image.`;
    case 'InvalidImageName':
      return 'The image reference is malformed (repository names are lowercase). Fix --image or kubernetes.image.';
    case 'CreateContainerConfigError':
      return 'A Secret or ConfigMap the container reads is missing, or lacks the key. Create it (k8s/secrets.yaml has the development ones: kubectl apply -f k8s/secrets.yaml), or fix the secret name/key in schemagate.yaml.';
    default:
      return 'Describe the pod for details: kubectl describe pod ' + p.pod;
  }
}
