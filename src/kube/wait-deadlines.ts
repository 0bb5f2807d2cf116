/**
 * The default deadline of each wait, when neither `--timeout` nor
 * `kubernetes.timeout` sets one: longer than the cluster's own deadline for
 * the object plus the time its pods get to stop, so that the cluster's
 * verdict (a Job's `DeadlineExceeded`, a Deployment's
 * `ProgressDeadlineExceeded`) is what the user reads, not "timed out".
 * https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup
 * https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination
 */
import type { V1Deployment, V1Job, V1PodSpec } from '@kubernetes/client-node';

/** Kubernetes' defaults: a pod's `terminationGracePeriodSeconds`, a Deployment's `progressDeadlineSeconds`. */
const GRACE_SECONDS = 30;
const PROGRESS_DEADLINE_SECONDS = 600;

/** Room after the cluster's deadline and the grace period: controllers and the watch report it. */
export const MARGIN_MS = 60_000;

/** A wait on something without a deadline of its own. */
export const FALLBACK_TIMEOUT_MS = 600_000;

function graceMs(pod: V1PodSpec | undefined): number {
  return (pod?.terminationGracePeriodSeconds ?? GRACE_SECONDS) * 1000;
}

/** `activeDeadlineSeconds` + the pod's termination grace period + a minute (11m30s with the defaults). */
export function jobWaitTimeoutMs(job: V1Job): number {
  const deadline = job.spec?.activeDeadlineSeconds;
  if (deadline === undefined) return FALLBACK_TIMEOUT_MS;
  return deadline * 1000 + graceMs(job.spec?.template.spec) + MARGIN_MS;
}

/** `progressDeadlineSeconds` (600 by default) + the pod's termination grace period + a minute. */
export function rolloutWaitTimeoutMs(deployment: V1Deployment): number {
  const deadline = deployment.spec?.progressDeadlineSeconds ?? PROGRESS_DEADLINE_SECONDS;
  return deadline * 1000 + graceMs(deployment.spec?.template.spec) + MARGIN_MS;
}
