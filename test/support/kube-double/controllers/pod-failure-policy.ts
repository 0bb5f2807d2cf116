/**
 * Matching a failed pod against a Job's podFailurePolicy, as the Job
 * controller of Kubernetes 1.31 does (pkg/controller/job/pod_failure_policy.go):
 * rules in order, the first match wins; `onExitCodes` looks at terminated
 * containers with a non-zero exit code (containers first, then init
 * containers), `onPodConditions` at the pod's conditions. No match counts.
 * https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-failure-policy
 */
import type { ContainerStatus, Pod, PodFailurePolicy, PodFailurePolicyRule } from '../types.js';

export interface PolicyMatch {
  /** The Job's FailureTarget message when a FailJob rule matched. */
  failJobMessage?: string;
  /** False when an Ignore rule matched: the failure does not count against backoffLimit. */
  countFailed: boolean;
  action?: 'FailJob' | 'Ignore' | 'Count';
}

type OnExitCodes = NonNullable<PodFailurePolicyRule['onExitCodes']>;

function operatorMatches(exitCode: number, req: OnExitCodes): boolean {
  const values = req.values ?? [];
  if (req.operator === 'In') return values.includes(exitCode);
  if (req.operator === 'NotIn') return !values.includes(exitCode);
  return false;
}

function matchingContainer(
  statuses: ContainerStatus[],
  req: OnExitCodes,
): { name: string; exitCode: number } | undefined {
  for (const s of statuses) {
    const terminated = s.state?.terminated;
    if (!terminated) continue;
    if (req.containerName !== undefined && req.containerName !== s.name) continue;
    const code = terminated.exitCode;
    if (code !== 0 && operatorMatches(code, req)) return { name: s.name, exitCode: code };
  }
  return undefined;
}

export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: Pod): PolicyMatch {
  if (!policy) return { countFailed: true };
  const status = pod.status ?? {};
  const where = `${pod.metadata.namespace}/${pod.metadata.name}`;
  for (const [index, rule] of (policy.rules ?? []).entries()) {
    let failJobMessage: string | undefined;
    if (rule.onExitCodes) {
      const c =
        matchingContainer(status.containerStatuses ?? [], rule.onExitCodes) ??
        matchingContainer(status.initContainerStatuses ?? [], rule.onExitCodes);
      if (!c) continue;
      failJobMessage = `Container ${c.name} for pod ${where} failed with exit code ${c.exitCode} matching FailJob rule at index ${index}`;
    } else if (rule.onPodConditions) {
      const patterns = rule.onPodConditions;
      const cond = (status.conditions ?? []).find((pc) =>
        patterns.some((p) => p.type === pc.type && p.status === pc.status),
      );
      if (!cond) continue;
      failJobMessage = `Pod ${where} has condition ${cond.type} matching FailJob rule at index ${index}`;
    } else continue;
    // An unknown action skips the rule, as clients are told to.
    if (rule.action === 'Ignore') return { countFailed: false, action: 'Ignore' };
    if (rule.action === 'Count') return { countFailed: true, action: 'Count' };
    if (rule.action === 'FailJob') return { failJobMessage, countFailed: true, action: 'FailJob' };
  }
  return { countFailed: true };
}

/**
 * When a pod finished, for the re-creation back-off (pkg/controller/job/backoff_utils.go
 * getFinishedTime): the latest finishedAt when every container (and sidecar)
 * terminated, else Ready=False's transition, else deletion minus grace, else creation.
 */
export function finishedTimeMs(pod: Pod, timeScale = 1): number {
  const status = pod.status ?? {};
  const sidecars = new Set(
    (pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name),
  );
  const statuses: ContainerStatus[] = [
    ...(status.containerStatuses ?? []),
    ...(status.initContainerStatuses ?? []).filter((s) => sidecars.has(s.name)),
  ];
  let latest: number | undefined;
  let all = statuses.length > 0;
  for (const s of statuses) {
    const finishedAt = s.state?.terminated?.finishedAt;
    if (!finishedAt) {
      all = false;
      break;
    }
    const t = Date.parse(finishedAt);
    if (latest === undefined || t > latest) latest = t;
  }
  if (all && latest !== undefined) return latest;
  const ready = (status.conditions ?? []).find((c) => c.type === 'Ready');
  if (ready && ready.status === 'False' && ready.lastTransitionTime) return Date.parse(ready.lastTransitionTime);
  if (pod.metadata.deletionTimestamp)
    return (
      Date.parse(pod.metadata.deletionTimestamp) - (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000 * timeScale
    );
  return Date.parse(pod.metadata.creationTimestamp);
}
