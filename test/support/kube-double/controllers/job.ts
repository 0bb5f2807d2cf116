/**
 * The Job controller for NonIndexed Jobs: one pod at a time (completions and
 * parallelism 1 are what the double supports), restartPolicy Never and
 * OnFailure, backoffLimit with the exponential pod re-creation delay,
 * activeDeadlineSeconds, suspend/resume, and the >= 1.31 condition sequence
 * (FailureTarget / SuccessCriteriaMet, then Failed / Complete).
 * https://kubernetes.io/docs/concepts/workloads/controllers/job/
 */
import type { Api } from '../api.js';
import type { Clock } from '../clock.js';
import type { EventRecorder } from '../events.js';
import { mustFind, resourceKey } from '../resources.js';
import { objectKey, objectOf } from '../store.js';
import type { Condition, Job, Pod } from '../types.js';
import { ApiError } from '../errors.js';
import { JobTracker } from './job-tracker.js';
import {
  createPodFromTemplate,
  deletePod,
  hasCondition,
  isActive,
  isReady,
  isTerminal,
  ownedPods,
  setCondition,
} from './pods.js';
import { WorkQueue } from './queue.js';

type JobStatus = NonNullable<Job['status']>;

const component = 'job-controller';

export const jobReasons = {
  backoff: { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' },
  deadline: { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' },
  completions: { reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' },
  podFailurePolicy: { reason: 'PodFailurePolicy', message: '' },
} as const;

export class JobController {
  private readonly queue: WorkQueue;
  private readonly unsubscribe: () => void;
  private readonly trackers = new Map<string, JobTracker>();

  constructor(
    private readonly api: Api,
    private readonly clock: Clock,
    private readonly events: EventRecorder,
    onError: (err: unknown, where: string) => void,
  ) {
    this.queue = new WorkQueue('job-controller', clock, (key) => this.sync(key), onError);
    const jobsKey = resourceKey(mustFind('jobs'));
    this.unsubscribe = api.store.subscribe((e) => {
      if (e.resource === jobsKey) this.queue.add(objectKey(e.object.metadata.namespace, e.object.metadata.name));
      const pod = objectOf(e, mustFind('pods'));
      const ref = (pod?.metadata.ownerReferences ?? []).find((r) => r.controller && r.kind === 'Job');
      if (pod && ref) {
        this.trackers.get(ref.uid)?.note(pod);
        this.queue.add(objectKey(pod.metadata.namespace, ref.name));
      }
    });
  }

  stop(): void {
    this.unsubscribe();
    this.queue.stop();
  }

  private condition(type: string, status: 'True' | 'False', reason: string, message: string): Condition {
    const now = this.clock.timestamp();
    return { type, status, lastProbeTime: now, lastTransitionTime: now, reason, message };
  }

  private sync(key: string): void {
    const [namespace, name] = key.split('/') as [string, string];
    const t = mustFind('jobs');
    const job = this.api.tryGet(t, namespace, name);
    if (!job) return;
    let tracker = this.trackers.get(job.metadata.uid);
    if (!tracker) {
      tracker = new JobTracker(this.clock.timeScale);
      this.trackers.set(job.metadata.uid, tracker);
    }
    if (job.metadata.deletionTimestamp || hasCondition(job, 'Complete') || hasCondition(job, 'Failed')) return;
    const spec = job.spec;
    const status: JobStatus = structuredClone(job.status ?? {});
    let conditions: Condition[] = status.conditions ?? [];
    const pods = ownedPods(this.api, job);
    const counts = tracker.observe(pods, this.clock.now().getTime(), spec.podFailurePolicy);
    const succeeded = (status.succeeded ?? 0) + counts.newSucceeded;
    const failed = (status.failed ?? 0) + counts.newFailed;
    status.succeeded = succeeded;
    status.failed = failed;
    const active = pods.filter(isActive);
    const terminating = pods.filter((p) => p.metadata.deletionTimestamp && !isTerminal(p));
    const now = this.clock.timestamp();
    const terminate = (): void => {
      for (const p of active) deletePod(this.api, this.events, job, p, component);
    };

    const failureTarget = conditions.find((c) => c.type === 'FailureTarget' && c.status === 'True');
    const successCriteria = conditions.find((c) => c.type === 'SuccessCriteriaMet' && c.status === 'True');
    if (failureTarget || successCriteria) {
      terminate();
      if (active.length === 0 && terminating.length === 0) {
        const final = failureTarget ? 'Failed' : 'Complete';
        const from = (failureTarget ?? successCriteria)!;
        conditions = setCondition(conditions, this.condition(final, 'True', from.reason ?? '', from.message ?? ''));
        if (final === 'Complete') status.completionTime = now;
        this.events.record(
          job,
          final === 'Complete' ? 'Normal' : 'Warning',
          final === 'Complete' ? 'Completed' : (from.reason ?? 'Failed'),
          final === 'Complete' ? 'Job completed' : (from.message ?? ''),
          component,
        );
      }
      this.writeStatus(job, status, conditions, active.length, terminating.length);
      return;
    }

    if (spec.suspend === true) {
      // https://kubernetes.io/docs/concepts/workloads/controllers/job/#suspending-a-job
      for (const p of active) tracker.ignoreFailureOf(p.metadata.uid);
      terminate();
      if (!hasCondition(job, 'Suspended')) {
        conditions = setCondition(conditions, this.condition('Suspended', 'True', 'JobSuspended', 'Job suspended'));
        this.events.record(job, 'Normal', 'Suspended', 'Job suspended', component);
      }
      tracker.startedAtMs = undefined;
      this.writeStatus(job, status, conditions, 0, terminating.length + active.length);
      return;
    }
    if (hasCondition(job, 'Suspended')) {
      conditions = setCondition(conditions, this.condition('Suspended', 'False', 'JobResumed', 'Job resumed'));
      this.events.record(job, 'Normal', 'Resumed', 'Job resumed', component);
      status.startTime = now;
      tracker.startedAtMs = this.clock.now().getTime();
    }
    const startTime = status.startTime ?? now;
    if (!status.startTime) {
      status.startTime = startTime;
      tracker.startedAtMs = this.clock.now().getTime();
    }
    tracker.startedAtMs ??= Date.parse(startTime);

    const nowMs = this.clock.now().getTime();
    const deadline = spec.activeDeadlineSeconds;
    if (typeof deadline === 'number') {
      const remainingMs = tracker.startedAtMs + this.clock.scaledMs(deadline) - nowMs;
      if (remainingMs <= 0) {
        this.failureTarget(job, status, conditions, jobReasons.deadline, active, terminating.length, terminate);
        return;
      }
      tracker.scheduleDeadline(() => this.clock.afterMs(remainingMs + 1, () => this.queue.add(key)));
    }
    if (counts.failJobMessage) {
      // pkg/controller/job/job_controller.go: a FailJob rule ends the Job before backoffLimit is looked at.
      const why = { reason: jobReasons.podFailurePolicy.reason, message: counts.failJobMessage };
      this.failureTarget(job, status, conditions, why, active, terminating.length, terminate);
      return;
    }
    const restarts =
      spec.template.spec.restartPolicy === 'OnFailure' ? active.reduce((n, p) => n + restartsOf(p), 0) : 0;
    if (failed + restarts > (spec.backoffLimit ?? 6)) {
      this.failureTarget(job, status, conditions, jobReasons.backoff, active, terminating.length, terminate);
      return;
    }
    if (succeeded >= (spec.completions ?? 1)) {
      conditions = setCondition(
        conditions,
        this.condition('SuccessCriteriaMet', 'True', jobReasons.completions.reason, jobReasons.completions.message),
      );
      this.queue.add(key);
      this.writeStatus(job, status, conditions, active.length, terminating.length);
      return;
    }
    const want = Math.min(spec.parallelism ?? 1, (spec.completions ?? 1) - succeeded);
    // podReplacementPolicy Failed: no replacement while a pod is still terminating.
    const occupied = active.length + (spec.podReplacementPolicy === 'Failed' ? terminating.length : 0);
    if (occupied < want) {
      // https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-backoff-failure-policy
      // Measured from when the last failed pod finished (backoff_utils.go), not from when it was seen.
      const waitMs = tracker.backoffRemainingMs(nowMs, (s) => this.clock.scaledMs(s));
      if (waitMs > 0) tracker.scheduleBackoff(() => this.clock.afterMs(waitMs + 1, () => this.queue.add(key)));
      else {
        try {
          for (let i = occupied; i < want; i++)
            active.push(createPodFromTemplate(this.api, this.events, job, spec.template, component));
          tracker.createFailures = 0;
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          // A rejected pod shows only as this event on the Job; the sync is retried with back-off (1 s doubling to 60 s).
          this.events.record(job, 'Warning', 'FailedCreate', `Error creating: ${err.message}`, component);
          const delay = Math.min(2 ** tracker.createFailures++, 60);
          tracker.scheduleBackoff(() => this.clock.after(delay, () => this.queue.add(key)));
        }
      }
    }
    this.writeStatus(job, status, conditions, active.length, terminating.length, active);
  }

  private failureTarget(
    job: Job,
    status: JobStatus,
    conditions: Condition[],
    why: { reason: string; message: string },
    active: Pod[],
    terminating: number,
    terminate: () => void,
  ): void {
    terminate();
    const next = setCondition(conditions, this.condition('FailureTarget', 'True', why.reason, why.message));
    this.queue.add(objectKey(job.metadata.namespace, job.metadata.name));
    this.writeStatus(job, status, next, 0, terminating + active.length);
  }

  private writeStatus(
    job: Job,
    status: JobStatus,
    conditions: Condition[],
    active: number,
    terminating: number,
    activePods: Pod[] = [],
  ): void {
    // active, succeeded and failed are omitempty in JobStatus; ready and terminating are pointers, shown as 0.
    const { active: _active, succeeded, failed, ...rest } = status;
    const next: JobStatus = {
      ...rest,
      ...(active ? { active } : {}),
      ...(succeeded ? { succeeded } : {}),
      ...(failed ? { failed } : {}),
      ready: activePods.filter(isReady).length,
      terminating,
      uncountedTerminatedPods: {},
    };
    if (conditions.length > 0) next.conditions = conditions;
    const t = mustFind('jobs');
    this.api.update(t, job.metadata.namespace, job.metadata.name, { ...job, status: next }, { subresource: 'status' });
  }
}

function restartsOf(pod: Pod): number {
  const all = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  return all.reduce((n, s) => n + s.restartCount, 0);
}
