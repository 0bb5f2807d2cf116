import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { ExitCode, SchemagateError } from '../errors.js';
import { formatDuration } from '../util/time.js';
import type { Cluster } from './client.js';
import { PodLogs } from './logs.js';
import { oomKilled, stuckContainer, stuckHint } from './pod-problems.js';
import { observe } from './watch.js';

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
  /** When the Job's Complete condition was seen (performance.now()). */
  completedAt: number;
}

export class JobFailedError extends SchemagateError {
  override readonly name = 'JobFailedError';
  constructor(
    code: string,
    message: string,
    hint: string,
    job: string,
    readonly lastLines: string[],
  ) {
    super(code, message, { exitCode: ExitCode.cluster, hint, context: { object: `job/${job}` } });
  }
}

function condition(job: V1Job, type: string) {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

const indent = (lines: string[]) => lines.map((l) => `    ${l}`).join('\n');

/**
 * Waits for a Job to finish: watches it and its pods (by controller-uid, so a
 * recreated Job of the same name never matches old pods), streams the pods'
 * logs, acts on the final Complete or Failed condition, and fails fast on
 * what would never fail the Job by itself (image pull errors, a missing
 * Secret or key). Every wait has a deadline and says what it waited for.
 * https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup
 */
export async function waitForJob(cluster: Cluster, opts: JobWaitOptions): Promise<JobOutcome> {
  const ns = cluster.namespace;
  const started = performance.now();
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort();
  opts.signal.addEventListener('abort', onOuterAbort, { once: true });
  const logs = new PodLogs(cluster, ns, (line, pod, attempt) => opts.onLog?.(line, attempt, pod));
  const pods = new Map<string, V1Pod>();
  let job: V1Job | undefined;
  let uid: string | undefined;
  let podWatch: Promise<void> | undefined;
  let reportedTarget = false;
  const reportedAttempts = new Set<string>();

  const attemptOf = (name: string) =>
    [...pods.values()]
      .sort(
        (a, b) =>
          String(a.metadata?.creationTimestamp ?? '').localeCompare(String(b.metadata?.creationTimestamp ?? '')) ||
          String(a.metadata?.name).localeCompare(String(b.metadata?.name)),
      )
      .findIndex((p) => p.metadata?.name === name) + 1;

  return new Promise<JobOutcome>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined, value?: JobOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stop.abort();
      logs.stop();
      opts.signal.removeEventListener('abort', onOuterAbort);
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => {
      const s = job?.status;
      const podStates = [...pods.values()].map((p) => `${p.metadata?.name}: ${p.status?.phase ?? '?'}`).join(', ');
      finish(
        new SchemagateError(
          'job.timeout',
          `timed out after ${formatDuration(opts.timeoutMs)} waiting for job/${opts.name} to finish (active ${s?.active ?? 0}, succeeded ${s?.succeeded ?? 0}, failed ${s?.failed ?? 0}${podStates ? `; ${podStates}` : ''})`,
          {
            exitCode: ExitCode.cluster,
            hint: `Look at it with kubectl -n ${ns} describe job ${opts.name}; raise the deadline with --timeout or kubernetes.timeout.`,
            context: { object: `job/${opts.name}` },
          },
        ),
      );
    }, opts.timeoutMs);
    opts.signal.addEventListener(
      'abort',
      () => finish(opts.signal.reason instanceof Error ? opts.signal.reason : new Error('aborted')),
      { once: true },
    );

    const failWithLogs = async (code: string, message: string, hint: string, pod: V1Pod | undefined) => {
      const container = pod?.spec?.containers?.[0]?.name ?? 'migrate';
      const lines = pod?.metadata?.name ? await logs.tail(pod.metadata.name, container) : [];
      const tail = lines.length
        ? `\n  last ${lines.length} log lines of ${pod?.metadata?.name}:\n${indent(lines)}`
        : '';
      finish(new JobFailedError(code, `${message}${tail}`, hint, opts.name, lines));
    };

    const evaluate = () => {
      if (settled) return;
      if (!job) return;
      if (condition(job, 'Complete')) {
        const now = performance.now();
        finish(undefined, {
          name: opts.name,
          attempts: pods.size || (job.status?.succeeded ?? 0) + (job.status?.failed ?? 0),
          durationMs: now - started,
          completedAt: now,
        });
        return;
      }
      const failed = condition(job, 'Failed');
      if (failed) {
        const lastFailed = [...pods.values()]
          .filter((p) => p.status?.phase === 'Failed')
          .sort((a, b) => attemptOf(b.metadata!.name!) - attemptOf(a.metadata!.name!))[0];
        const oom = [...pods.values()].flatMap((p) => oomKilled(p).map((c) => `${p.metadata?.name}/${c}`));
        const why =
          failed.reason === 'DeadlineExceeded'
            ? `it ran longer than activeDeadlineSeconds (${job.spec?.activeDeadlineSeconds}s)`
            : failed.reason === 'BackoffLimitExceeded'
              ? `all ${(job.spec?.backoffLimit ?? 6) + 1} attempts failed (backoffLimit ${job.spec?.backoffLimit ?? 6})`
              : (failed.message ?? failed.reason ?? 'failed');
        const hint = [
          oom.length
            ? `OOMKilled: ${oom.join(', ')} ran out of memory; raise resources.limits.memory of the Job in schemagate.yaml.`
            : '',
          failed.reason === 'DeadlineExceeded'
            ? 'Raise activeDeadlineSeconds in schemagate.yaml if the migration really takes this long.'
            : '',
          `Fix the cause and run the command again: a failed Job is replaced. All attempts: kubectl -n ${ns} logs -l batch.kubernetes.io/job-name=${opts.name} --prefix`,
        ]
          .filter(Boolean)
          .join(' ');
        void failWithLogs(
          `job.${failed.reason ?? 'failed'}`,
          `job/${opts.name} failed (${failed.reason ?? 'Failed'}): ${why}`,
          hint,
          lastFailed,
        );
        return;
      }
      const target = condition(job, 'FailureTarget');
      if (target && !reportedTarget) {
        reportedTarget = true;
        opts.onProgress?.(
          `job/${opts.name} is failing (${target.reason ?? 'FailureTarget'}); waiting for its pods to stop`,
        );
      }
      for (const pod of pods.values()) {
        const stuck = stuckContainer(pod);
        if (stuck) {
          const image = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
            (c) => c.name === stuck.container,
          )?.image;
          finish(
            new JobFailedError(
              `job.${stuck.reason}`,
              `job/${opts.name}: pod ${stuck.pod}, container ${stuck.container}: ${stuck.reason}${stuck.message ? `: ${stuck.message}` : ''}${image && !stuck.message.includes(image) ? ` (image ${image})` : ''}`,
              stuckHint(stuck, image),
              opts.name,
              [],
            ),
          );
          return;
        }
        const name = pod.metadata?.name ?? '';
        const main = pod.status?.containerStatuses?.[0];
        if (main && (main.state?.running || main.state?.terminated)) {
          const attempt = attemptOf(name);
          if (!reportedAttempts.has(name)) {
            reportedAttempts.add(name);
            opts.onProgress?.(`attempt ${attempt}: pod ${name} started`);
          }
          logs.follow(name, main.name, attempt);
        }
      }
    };

    const watchPods = (jobUid: string) => {
      podWatch = observe<V1Pod>({
        cluster,
        path: `/api/v1/namespaces/${ns}/pods`,
        query: { labelSelector: `batch.kubernetes.io/controller-uid=${jobUid}` },
        list: () =>
          cluster.core.listNamespacedPod({
            namespace: ns,
            labelSelector: `batch.kubernetes.io/controller-uid=${jobUid}`,
          }),
        onSync: (items) => {
          pods.clear();
          for (const p of items) pods.set(p.metadata!.name!, p);
          evaluate();
        },
        onEvent: (type, p) => {
          if (type === 'DELETED') pods.delete(p.metadata!.name!);
          else pods.set(p.metadata!.name!, p);
          evaluate();
        },
        signal: stop.signal,
        ...(opts.onProgress ? { onResume: (why: string) => opts.onProgress!(`pods of job/${opts.name}: ${why}`) } : {}),
      }).catch((e: unknown) => finish(e as Error));
    };

    const seen = (j: V1Job | undefined, deleted = false) => {
      if (deleted || !j) {
        if (job && !settled) {
          finish(
            new SchemagateError('job.deleted', `job/${opts.name} was deleted while waiting for it`, {
              exitCode: ExitCode.cluster,
              hint: 'Someone (or its TTL) deleted it. Run the command again.',
              context: { object: `job/${opts.name}` },
            }),
          );
        }
        return;
      }
      job = j;
      const jobUid = j.metadata?.uid;
      if (jobUid && jobUid !== uid) {
        uid = jobUid;
        watchPods(jobUid);
      }
      evaluate();
    };

    void observe<V1Job>({
      cluster,
      path: `/apis/batch/v1/namespaces/${ns}/jobs`,
      query: { fieldSelector: `metadata.name=${opts.name}` },
      list: () => cluster.batch.listNamespacedJob({ namespace: ns, fieldSelector: `metadata.name=${opts.name}` }),
      onSync: (items) => {
        if (items.length === 0 && !job) {
          finish(
            new SchemagateError('job.missing', `job/${opts.name} does not exist in namespace ${ns}`, {
              exitCode: ExitCode.cluster,
              context: { object: `job/${opts.name}` },
            }),
          );
          return;
        }
        seen(items[0], items.length === 0);
      },
      onEvent: (type, j) => seen(j, type === 'DELETED'),
      signal: stop.signal,
      ...(opts.onProgress ? { onResume: (why: string) => opts.onProgress!(`job/${opts.name}: ${why}`) } : {}),
    }).catch((e: unknown) => finish(e as Error));
    void podWatch;
  });
}
