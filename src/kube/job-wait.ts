/**
 * Waiting for a Job: watches it and its pods (by controller-uid, so a
 * recreated Job of the same name never matches old pods), streams the pods'
 * logs in attempt order, and ends on `jobVerdict`. Every wait has a deadline
 * and says what it waited for.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { ExitCode, JobFailedError, SchemagateError } from '../errors.js';
import { type Clock, formatDuration, type Sleep } from '../util/time.js';
import { Resource, type KubeApi } from './api.js';
import { attemptOrder, type JobFailure, type JobObservation, jobVerdict, trueCondition } from './job-verdict.js';
import { type LogTail, PodLogs } from './logs.js';
import { named, podsOfJob } from './render/labels.js';
import { type Source, waitUntil } from './wait.js';

export interface JobWaitOptions {
  name: string;
  timeoutMs: number;
  signal: AbortSignal;
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

function main(pod: V1Pod) {
  return pod.status?.containerStatuses?.[0];
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
      const uid = v.items(jobs)[0]?.metadata?.uid;
      return uid ? { labelSelector: podsOfJob(uid) } : undefined;
    },
  };
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

  /** Side effects of a new state: early conditions, attempts that started, their logs. */
  const report = (o: JobObservation) => {
    const target = o.job && trueCondition(o.job, 'FailureTarget');
    if (target && !reportedTarget) {
      reportedTarget = true;
      opts.onProgress?.(`job/${name} is failing (${target.reason ?? 'FailureTarget'}); waiting for its pods to stop`);
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

  // When Complete was seen: the release latency starts here, not after the last log lines drained.
  let decidedAt = started;
  try {
    const verdict = await waitUntil({
      api,
      sources: [jobs, pods],
      signal: opts.signal,
      sleep: timers.sleep,
      deadlineMs: opts.timeoutMs,
      evaluate: (v) => {
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
          job,
          pods: attemptOrder(seen, (n) => firstSeen.get(n) ?? 0),
          seenBefore,
        };
        last = o;
        if (job) seenBefore = true;
        const result = jobVerdict(o);
        if (!result) report(o);
        return result;
      },
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

/** The error for a failure verdict, with the last log lines of the failed attempt. */
async function failure(f: JobFailure, logs: PodLogs, job: string): Promise<SchemagateError> {
  if (f.cause === 'gone')
    return new SchemagateError(f.code, f.message, {
      exitCode: ExitCode.cluster,
      hint: f.hint,
      context: { object: `job/${job}` },
    });
  const pod = f.logsOf;
  const podName = pod?.metadata?.name;
  const container = pod?.spec?.containers[0]?.name;
  const tail = podName && container ? await logs.tail(podName, container) : { lines: [] };
  const message = `${f.message}${podName ? tailText(podName, tail) : ''}`;
  return new JobFailedError(f.code, message, f.hint, job, tail.lines, f.cause === 'condition');
}
