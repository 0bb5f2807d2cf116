/**
 * A one-off `schemagate db <command> --json` in a Job: how the runner learns
 * the database's state without ever connecting to it.
 */
import type { V1ConfigMap, V1Job } from '@kubernetes/client-node';
import { JobFailedError } from '../errors.js';
import { Resource, type KubeApi } from './api.js';
import { ensureJobWithFiles } from './job-files.js';
import { mainContainer } from './job-verdict.js';
import { deleteJob, nameOf, type SubmittedJob } from './jobs.js';
import { type Timers, waitForJob } from './job-wait.js';
import { selectorString } from './selector.js';

export interface DbJobOptions {
  /** Deadline of the wait (at most 2 minutes, the default: a report is quick). */
  timeoutMs?: number | undefined;
  signal: AbortSignal;
  /** Told when the Job could not be deleted afterwards (its TTL removes it in 5 minutes). */
  onProgress?: (line: string) => void;
  /** The ConfigMaps of the files the Job mounts, owned by it (deleted with it). */
  configMaps?: readonly V1ConfigMap[];
}

const DB_JOB_TIMEOUT_MS = 120_000;

/** The report a command printed, or why there is none (`error`: the command's own message, or what went wrong). */
export type DbJobResult<T> = T | { error: string };

/** Reads the JSON report the Job's pod printed (its pod found by the Job's own selector, the container by name). */
async function report<T>(api: KubeApi, job: SubmittedJob): Promise<DbJobResult<T>> {
  const name = job.metadata.name;
  const labelSelector = selectorString(job.spec?.selector);
  const pods = labelSelector ? await api.list(Resource.pods, { labelSelector }) : { items: [] };
  const pod = pods.items[0];
  const podName = pod?.metadata?.name;
  const container = pod ? mainContainer(pod) : undefined;
  if (!podName || !container) return { error: `job/${name} has no pod to read a report from` };
  const text = await api.readLog(podName, container);
  const start = text.indexOf('{');
  if (start < 0) return { error: `job/${name} printed nothing` };
  let parsed: T & { error?: unknown; message?: string };
  try {
    parsed = JSON.parse(text.slice(start)) as T & { error?: unknown; message?: string };
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    return { error: `job/${name} printed no JSON report: ${e.message}` };
  }
  // A failed command prints {"error": code, "message": ...}: report its message.
  return typeof parsed.error === 'string' ? { error: parsed.message ?? parsed.error } : parsed;
}

/**
 * Submits the rendered Job, waits for it, reads the report its pod printed,
 * and deletes the Job. A command that exits non-zero (pending migrations,
 * drift, a failed verify) fails its pod and still printed its report.
 */
export async function runDbJob<T>(
  api: KubeApi,
  timers: Timers,
  job: V1Job,
  opts: DbJobOptions,
): Promise<DbJobResult<T>> {
  const name = nameOf(job);
  const cleanup = () => deleteJob(api, timers, name, opts.signal);
  let result: DbJobResult<T>;
  try {
    const ensured = await ensureJobWithFiles(api, timers, job, opts.signal, { configMaps: opts.configMaps ?? [] });
    const wait = {
      name,
      timeoutMs: Math.min(opts.timeoutMs ?? DB_JOB_TIMEOUT_MS, DB_JOB_TIMEOUT_MS),
      signal: opts.signal,
      created: ensured.how !== 'attached',
    };
    result = await waitForJob(api, timers, wait)
      .then(() => report<T>(api, ensured.job))
      .catch(async (e: unknown) => {
        if (!(e instanceof JobFailedError)) throw e;
        // Its pods ran and exited non-zero: the report is in the log. Otherwise it never ran (an image that cannot be pulled).
        return e.finished ? report<T>(api, ensured.job) : { error: e.message };
      });
  } catch (e) {
    await cleanup().catch((cleanupError: unknown) => {
      // The first failure is the one to report; an interrupted run does not wait for the deletion.
      if (!opts.signal.aborted)
        opts.onProgress?.(`could not delete job/${name} after the failure: ${(cleanupError as Error).message}`);
    });
    throw e;
  }
  await cleanup();
  return result;
}
