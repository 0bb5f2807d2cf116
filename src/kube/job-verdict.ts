/**
 * What the state of a Job and its pods means for someone waiting on it:
 * pure functions of the objects, so each decision is tested without a
 * cluster. The Job's own final condition decides; fail-fast rules catch what
 * never fails a Job by itself. New rules (exit classes, events) are added to
 * `jobFailFastRules`.
 * https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup
 */
import type { V1Job, V1JobCondition, V1Pod } from '@kubernetes/client-node';
import { oomKilled, stuckContainer, stuckHint } from './pod-problems.js';
import { podsOfJobNamed } from './render/labels.js';

export type JobState = 'complete' | 'failed' | 'suspended' | 'running';

/** A condition of the Job that is True, if it has one of that type. */
export function trueCondition(job: V1Job, type: string): V1JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

export function jobState(job: V1Job): JobState {
  if (trueCondition(job, 'Complete')) return 'complete';
  if (trueCondition(job, 'Failed')) return 'failed';
  if (job.spec?.suspend) return 'suspended';
  return 'running';
}

/** What a wait has seen: the Job (undefined once listed and absent), its pods in attempt order. */
export interface JobObservation {
  name: string;
  namespace: string;
  job: V1Job | undefined;
  /** Oldest attempt first (see `attemptOrder`). */
  pods: readonly V1Pod[];
  /** Whether this wait saw the Job before: absent now means deleted, not missing. */
  seenBefore: boolean;
}

/** Why the wait ends without success: an error code, message and hint, and the pod whose log tells more. */
export interface JobFailure {
  outcome: 'failed';
  /** `condition`: the Job's Failed condition; `fail-fast`: it never would succeed; `gone`: there is no Job. */
  cause: 'condition' | 'fail-fast' | 'gone';
  code: string;
  message: string;
  hint: string;
  /** Whose last log lines go into the error. */
  logsOf?: V1Pod;
}

export type JobVerdict = { outcome: 'complete' } | JobFailure;

/** A rule that ends the wait before the Job fails by itself, because it never would. */
export type FailFastRule = (o: JobObservation) => JobFailure | undefined;

/** A container the kubelet keeps retrying for ever (image pull, missing Secret or key). */
export const stuckContainerRule: FailFastRule = (o) => {
  for (const pod of o.pods) {
    const stuck = stuckContainer(pod);
    if (!stuck) continue;
    const image = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
      (c) => c.name === stuck.container,
    )?.image;
    const detail = `${stuck.reason}${stuck.message ? `: ${stuck.message}` : ''}${image && !stuck.message.includes(image) ? ` (image ${image})` : ''}`;
    return {
      outcome: 'failed',
      cause: 'fail-fast',
      code: `job.${stuck.reason}`,
      message: `job/${o.name}: pod ${stuck.pod}, container ${stuck.container}: ${detail}`,
      hint: stuckHint(stuck, image),
    };
  }
  return undefined;
};

export const jobFailFastRules: readonly FailFastRule[] = [stuckContainerRule];

function failed(o: JobObservation, job: V1Job, condition: V1JobCondition): JobFailure {
  const reason = condition.reason ?? 'Failed';
  const backoffLimit = job.spec?.backoffLimit ?? 6;
  const why =
    reason === 'DeadlineExceeded'
      ? `it ran longer than activeDeadlineSeconds (${job.spec?.activeDeadlineSeconds}s)`
      : reason === 'BackoffLimitExceeded'
        ? `all ${backoffLimit + 1} attempts failed (backoffLimit ${backoffLimit})`
        : (condition.message ?? condition.reason ?? 'failed');
  const oom = o.pods.flatMap((p) => oomKilled(p).map((c) => `${p.metadata?.name}/${c}`));
  const hint = [
    oom.length
      ? `OOMKilled: ${oom.join(', ')} ran out of memory; raise resources.limits.memory of the Job in schemagate.yaml.`
      : '',
    reason === 'DeadlineExceeded'
      ? 'Raise activeDeadlineSeconds in schemagate.yaml if the migration really takes this long.'
      : '',
    `Fix the cause and run the command again: a failed Job is replaced. All attempts: kubectl -n ${o.namespace} logs -l ${podsOfJobNamed(o.name)} --prefix`,
  ]
    .filter(Boolean)
    .join(' ');
  const lastFailed = [...o.pods].reverse().find((p) => p.status?.phase === 'Failed');
  return {
    outcome: 'failed',
    cause: 'condition',
    code: `job.${condition.reason ?? 'failed'}`,
    message: `job/${o.name} failed (${reason}): ${why}`,
    hint,
    ...(lastFailed ? { logsOf: lastFailed } : {}),
  };
}

/**
 * The verdict on what a wait has seen, or `undefined` to wait on: the final
 * `Complete` or `Failed` condition first, then the fail-fast rules in order.
 */
export function jobVerdict(
  o: JobObservation,
  rules: readonly FailFastRule[] = jobFailFastRules,
): JobVerdict | undefined {
  const job = o.job;
  if (!job) {
    return o.seenBefore
      ? {
          outcome: 'failed',
          cause: 'gone',
          code: 'job.deleted',
          message: `job/${o.name} was deleted while waiting for it`,
          hint: 'Someone (or its TTL) deleted it. Run the command again.',
        }
      : {
          outcome: 'failed',
          cause: 'gone',
          code: 'job.missing',
          message: `job/${o.name} does not exist in namespace ${o.namespace}`,
          hint: 'Run the command again: it creates the Job.',
        };
  }
  if (trueCondition(job, 'Complete')) return { outcome: 'complete' };
  const fail = trueCondition(job, 'Failed');
  if (fail) return failed(o, job, fail);
  for (const rule of rules) {
    const f = rule(o);
    if (f) return f;
  }
  return undefined;
}

/** Whether a pod's container has finished (or is being deleted): an earlier attempt than any still running. */
function finishedAt(pod: V1Pod): string | undefined {
  const s = pod.status?.containerStatuses?.[0]?.state?.terminated;
  return s?.finishedAt ? new Date(s.finishedAt).toISOString() : pod.metadata?.deletionTimestamp ? '~' : undefined;
}

/**
 * A Job's pods, oldest attempt first. creationTimestamp has one-second
 * resolution, so pods created within one second are ordered by what else is
 * known: a finished pod came before a running one, an earlier finish before a
 * later one, and otherwise the order this wait first saw them in.
 */
export function attemptOrder(pods: readonly V1Pod[], firstSeen: (name: string) => number): V1Pod[] {
  const created = (p: V1Pod) => (p.metadata?.creationTimestamp ? new Date(p.metadata.creationTimestamp).getTime() : 0);
  return [...pods].sort((a, b) => {
    const byCreation = created(a) - created(b);
    if (byCreation !== 0) return byCreation;
    const fa = finishedAt(a);
    const fb = finishedAt(b);
    if (fa !== fb) {
      if (fa === undefined) return 1;
      if (fb === undefined) return -1;
      return fa < fb ? -1 : 1;
    }
    return firstSeen(a.metadata?.name ?? '') - firstSeen(b.metadata?.name ?? '');
  });
}
