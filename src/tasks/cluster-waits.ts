/**
 * How the cluster pipelines wait: for a Job they submitted or attached to,
 * and for the backend's rollout. A re-run first replaces the pods the last
 * run left stuck (an image, a Secret, a crash loop), so it judges only what
 * happens now; each wait's deadline is `--timeout` or, by default, longer
 * than the cluster's own deadline for the object.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import {
  type EnsuredJob,
  type JobOutcome,
  jobWaitTimeoutMs,
  type Kube,
  type ReplacedPod,
  rolloutWaitTimeoutMs,
} from '../kube/index.js';
import { formatDuration } from '../util/time.js';
import { type ClusterRun, logTo } from './cluster-run.js';
import type { Task } from './listr.js';

function described(replaced: readonly ReplacedPod[]): string {
  return replaced.map((r) => `pod ${r.pod} (${r.container}: ${r.reason})`).join(', ');
}

/** Waits for a Job this run created, replaced or attached to (then replacing its stuck pods first). */
export async function waitForSubmittedJob<C>(
  run: ClusterRun,
  kube: Kube,
  task: Task<C>,
  ensured: EnsuredJob,
  summary?: string[],
): Promise<JobOutcome> {
  const name = ensured.job.metadata.name;
  if (ensured.how === 'attached' && ensured.state === 'running') {
    const replaced = await kube.replaceStuckPods({ job: ensured.job });
    if (replaced.length) {
      const line = `Replaced the stuck ${replaced.length === 1 ? 'pod' : 'pods'} of job/${name} left by an earlier run: ${described(replaced)}`;
      task.output = line;
      summary?.push(line);
    }
  }
  const timeoutMs = run.timeoutMs ?? jobWaitTimeoutMs(ensured.job);
  if (run.timeoutMs === undefined)
    task.output = `waiting for job/${name} up to ${formatDuration(timeoutMs)}: its activeDeadlineSeconds, its pods' grace period and a minute, so the Job's own verdict comes first`;
  return kube.waitForJob({
    name,
    timeoutMs,
    signal: run.signal,
    created: ensured.how !== 'attached',
    unschedulableGraceMs: run.config.kubernetes.schedulingTimeoutMs,
    ...logTo(task),
  });
}

/** Replaces the backend's stuck or crash-looping pods (an earlier run's), so the rollout starts from now. */
export async function replaceStuckBackendPods<C>(
  kube: Kube,
  task: Task<C>,
  name: string,
  summary: string[],
): Promise<void> {
  const replaced = await kube.replaceStuckPods({ deployment: name });
  if (!replaced.length) return;
  const line = `Replaced the failing ${replaced.length === 1 ? 'pod' : 'pods'} of deployment/${name} left by an earlier run: ${described(replaced)}`;
  task.output = line;
  summary.push(line);
}

/** Waits for the backend's rollout, with `--timeout` or a deadline longer than its progressDeadlineSeconds. */
export function waitForBackend<C>(run: ClusterRun, kube: Kube, task: Task<C>, deployment: V1Deployment) {
  return kube.waitForRollout({
    name: deployment.metadata?.name ?? run.config.kubernetes.backend.deployment,
    timeoutMs: run.timeoutMs ?? rolloutWaitTimeoutMs(deployment),
    signal: run.signal,
    unschedulableGraceMs: run.config.kubernetes.schedulingTimeoutMs,
    onProgress: (l) => (task.output = l),
  });
}
