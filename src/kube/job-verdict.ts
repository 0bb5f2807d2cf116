/**
 * What the state of a Job and its pods means for someone waiting on it:
 * pure functions of the objects (and of what the wait remembers), so each
 * decision is tested without a cluster. The Job's own final condition
 * decides; fail-fast rules (`job-rules.ts`) catch what never fails a Job by
 * itself.
 * https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup
 */
import type { CoreV1Event, V1Job, V1JobCondition, V1Pod } from '@kubernetes/client-node';
import { jobFailFastRules } from './job-rules.js';
import { oomKilled } from './pod-problems.js';
import { JobKind, Label, podsOfJobNamed } from './render/labels.js';
import type { Memory } from './wait-memory.js';

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
  /** The kubeconfig context, for hints (`kind load ... --name`). */
  context?: string;
  /** The events about the Job (by its uid), oldest first. @default none */
  events?: readonly CoreV1Event[];
  /** What the wait remembers: when it first saw each state, and what was stale. @default everything current, seen now */
  memory?: Memory;
  /** How long a pod may stay unschedulable. @default 60 s */
  unschedulableGraceMs?: number;
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

/**
 * The container a Job runs, found by name: the one named after its
 * `schemagate.dev/job` label (schemagate's templates name it so), else
 * `migrate` (the one-off db Jobs use the migration template), else the first
 * container of the spec. Never `containerStatuses[0]`: the kubelet sorts
 * statuses by name, so a sidecar such as cloud-sql-proxy may come first.
 */
export function mainContainer(pod: V1Pod): string | undefined {
  const containers = pod.spec?.containers ?? [];
  const kind = pod.metadata?.labels?.[Label.job];
  const named = (n: string | undefined) => containers.find((c) => c.name === n);
  return (named(kind) ?? named(JobKind.migrate) ?? containers[0])?.name;
}

/** Whether a pod's container has finished (or is being deleted): an earlier attempt than any still running. */
function finishedAt(pod: V1Pod): string | undefined {
  const main = mainContainer(pod);
  const s = pod.status?.containerStatuses?.find((c) => c.name === main)?.state?.terminated;
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
