/**
 * Waiting for a Job: watches it, its pods (by the Job's own selector, so a
 * recreated Job of the same name never matches old pods, on any Kubernetes
 * version) and its events (by its uid), streams the migration container's
 * log in attempt order, and ends on `jobVerdict`. Every wait has a deadline
 * and says what it waited for.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { ExitCode, JobFailedError, SchemagateError } from '../errors.js';
import { type Clock, formatDuration, type Sleep } from '../util/time.js';
import { Resource, type KubeApi } from './api.js';
import { failedCreates } from './failed-create.js';
import { jobRecheck, pendingNotes } from './job-rules.js';
import {
  attemptOrder,
  type JobFailure,
  type JobObservation,
  jobVerdict,
  mainContainer,
  trueCondition,
} from './job-verdict.js';
import { type LogTail, PodLogs } from './logs.js';
import { unschedulable } from './pod-problems.js';
import { named } from './render/labels.js';
import { selectorString } from './selector.js';
import { WaitMemory } from './wait-memory.js';
import { type Source, type View, waitUntil } from './wait.js';

export interface JobWaitOptions {
  name: string;
  timeoutMs: number;
  signal: AbortSignal;
  /**
   * Whether the caller created (or replaced) the Job just now: then all its
   * events are current. Otherwise (attached to a Job that was there), an
   * event the first look shows counts only once it repeats. @default false
   */
  created?: boolean;
  /** How long a pod may stay unschedulable before the wait fails with the scheduler's message. @default 60 s */
  unschedulableGraceMs?: number;
  /** A line of a pod's log, with the attempt it belongs to (1, 2, ...). */
  onLog?: (line: string, attempt: number, pod: string) => void;
  /** Progress: attempts starting, early conditions, resumed watches. */
  onProgress?: (line: string) => void;
}

export interface JobOutcome {
  name: string;
  attempts: number;
  durationMs: number;
  /** When the Job's Complete condition was seen, on the wait's clock. */
  completedAt: number;
}

export interface Timers {
  clock: Clock;
  sleep: Sleep;
}

const indent = (lines: readonly string[]) => lines.map((l) => `    ${l}`).join('\n');

function tailText(pod: string, tail: LogTail): string {
  if (tail.unreadable) return `\n  the log of ${pod} could not be read: ${tail.unreadable}`;
  return tail.lines.length ? `\n  last ${tail.lines.length} log lines of ${pod}:\n${indent(tail.lines)}` : '';
}

/** The migration container's status, found by name. */
function main(pod: V1Pod) {
  const name = mainContainer(pod);
  return pod.status?.containerStatuses?.find((s) => s.name === name);
}

/**
 * The keys of the states a verdict times or may find stale: pods waiting for
 * a node, the Job's events. (A pod's container states are always judged: a
 * re-run replaces the pods whose state predates it.)
 */
function stateKeys(pods: readonly V1Pod[], o: Pick<JobObservation, 'events'>): string[] {
  const keys = pods.flatMap((p) => unschedulable(p)?.key ?? []);
  for (const f of failedCreates(o.events ?? [])) keys.push(f.key);
  return keys;
}

export async function waitForJob(api: KubeApi, timers: Timers, opts: JobWaitOptions): Promise<JobOutcome> {
  const { name } = opts;
  const started = timers.clock.now();
  const jobs: Source<'jobs'> = {
    name: `job/${name}`,
    resource: Resource.jobs,
    selectors: { fieldSelector: named(name) },
  };
  const pods: Source<'pods'> = {
    name: `pods of job/${name}`,
    resource: Resource.pods,
    selectors: (v) => {
      const labelSelector = selectorString(v.items(jobs)[0]?.spec?.selector);
      return labelSelector ? { labelSelector } : undefined;
    },
  };
  const events: Source<'events'> = {
    name: `events of job/${name}`,
    resource: Resource.events,
    selectors: (v) => {
      const uid = v.items(jobs)[0]?.metadata?.uid;
      return uid ? { fieldSelector: `involvedObject.uid=${uid}` } : undefined;
    },
  };
  const memory = new WaitMemory(timers.clock, !opts.created);
  const firstSeen = new Map<string, number>();
  const reported = new Set<string>();
  let seenBefore = false;
  let reportedTarget = false;
  let last: JobObservation | undefined;
  const logs = new PodLogs(
    api,
    (line, pod, attempt) => opts.onLog?.(line, attempt, pod),
    timers.sleep,
    opts.onProgress,
  );

  /** Side effects of a new state: early conditions, pods waiting for a node, attempts that started, their logs. */
  const report = (o: JobObservation) => {
    const target = o.job && trueCondition(o.job, 'FailureTarget');
    if (target && !reportedTarget) {
      reportedTarget = true;
      opts.onProgress?.(`job/${name} is failing (${target.reason ?? 'FailureTarget'}); waiting for its pods to stop`);
    }
    for (const note of pendingNotes(o)) {
      if (reported.has(note.key)) continue;
      reported.add(note.key);
      opts.onProgress?.(note.line);
    }
    o.pods.forEach((pod, i) => {
      const c = main(pod);
      const podName = pod.metadata?.name;
      if (!podName || !c || !(c.state?.running || c.state?.terminated)) return;
      if (!reported.has(podName)) {
        reported.add(podName);
        opts.onProgress?.(`attempt ${i + 1}: pod ${podName} started`);
      }
      logs.follow(podName, c.name, i + 1);
    });
  };

  const observe = (v: View): JobObservation | undefined => {
    if (!v.synced(jobs)) return undefined;
    const job = v.items(jobs)[0];
    const seen = v.synced(pods) ? v.items(pods) : [];
    for (const p of seen) {
      const n = p.metadata?.name ?? '';
      if (!firstSeen.has(n)) firstSeen.set(n, firstSeen.size);
    }
    const o: JobObservation = {
      name,
      namespace: api.namespace,
      context: api.context,
      job,
      pods: attemptOrder(seen, (n) => firstSeen.get(n) ?? 0),
      seenBefore,
      events: v.synced(events) ? v.items(events) : [],
      memory,
      ...(opts.unschedulableGraceMs === undefined ? {} : { unschedulableGraceMs: opts.unschedulableGraceMs }),
    };
    // Complete once the Job's pods and events were listed (or there is no Job to have any).
    memory.look(stateKeys(o.pods, o), !job || (v.synced(pods) && v.synced(events)));
    return o;
  };

  // When Complete was seen: the release latency starts here, not after the last log lines drained.
  let decidedAt = started;
  try {
    const verdict = await waitUntil({
      api,
      sources: [jobs, pods, events],
      signal: opts.signal,
      sleep: timers.sleep,
      deadlineMs: opts.timeoutMs,
      evaluate: (v) => {
        const o = observe(v);
        if (!o) return undefined;
        last = o;
        if (o.job) seenBefore = true;
        const result = jobVerdict(o);
        if (!result) report(o);
        return result;
      },
      recheck: () => (last ? jobRecheck(last) : undefined),
      timeout: () => {
        const s = last?.job?.status;
        const states = (last?.pods ?? []).map((p) => `${p.metadata?.name}: ${p.status?.phase ?? '?'}`).join(', ');
        return new SchemagateError(
          'job.timeout',
          `timed out after ${formatDuration(opts.timeoutMs)} waiting for job/${name} to finish (active ${s?.active ?? 0}, succeeded ${s?.succeeded ?? 0}, failed ${s?.failed ?? 0}${states ? `; ${states}` : ''})`,
          {
            exitCode: ExitCode.cluster,
            hint: `Look at it with kubectl -n ${api.namespace} describe job ${name}; raise the deadline with --timeout or kubernetes.timeout.`,
            context: { object: `job/${name}` },
          },
        );
      },
      ...(opts.onProgress ? { onResume: (s: Source, why: string) => opts.onProgress?.(`${s.name}: ${why}`) } : {}),
    });
    decidedAt = timers.clock.now();
    if (verdict.outcome === 'failed') throw await failure(verdict, logs, name);
    await logs.drain();
  } finally {
    logs.stop();
  }
  const job = last?.job?.status;
  return {
    name,
    attempts: last?.pods.length || (job?.succeeded ?? 0) + (job?.failed ?? 0),
    durationMs: decidedAt - started,
    completedAt: decidedAt,
  };
}

/** The error for a failure verdict, with the last log lines of the failed attempt's migration container. */
async function failure(f: JobFailure, logs: PodLogs, job: string): Promise<SchemagateError> {
  if (f.cause === 'gone')
    return new SchemagateError(f.code, f.message, {
      exitCode: ExitCode.cluster,
      hint: f.hint,
      context: { object: `job/${job}` },
    });
  const pod = f.logsOf;
  const podName = pod?.metadata?.name;
  const container = pod ? mainContainer(pod) : undefined;
  const tail = podName && container ? await logs.tail(podName, container) : { lines: [] };
  const message = `${f.message}${podName ? tailText(podName, tail) : ''}`;
  return new JobFailedError(f.code, message, f.hint, job, tail.lines, f.cause === 'condition');
}
