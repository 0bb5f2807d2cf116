/**
 * `Kube`: everything the task lists ask of a cluster, in one small
 * interface. It is the only door from `src/tasks` into Kubernetes: no raw
 * API client, no label written by hand, every wait on the one primitive with
 * the session's clock.
 */
import type { CoreV1Event, KubernetesObject, V1ConfigMap, V1Deployment, V1Job } from '@kubernetes/client-node';
import { KubeApiError } from '../errors.js';
import { redact } from '../redact.js';
import { type Clock, type Sleep, sleep as realSleep, systemClock } from '../util/time.js';
import { Resource, type KubeApi } from './api.js';
import { connectApi, type ConnectOptions } from './client.js';
import { runDbJob, type DbJobOptions, type DbJobResult } from './db-job.js';
import { hasStatus } from './errors.js';
import { ensureJobWithFiles } from './job-files.js';
import { type JobOutcome, type JobWaitOptions, type Timers, waitForJob } from './job-wait.js';
import { deleteJob, type EnsuredJob, resumeJob } from './jobs.js';
import { TAIL_LINES } from './logs.js';
import { type JobKind, jobSelector } from './render/labels.js';
import { type ReplacedPod, replaceStuckDeploymentPods, replaceStuckJobPods } from './replace-stuck.js';
import { type RolloutOptions, waitForRollout } from './rollout.js';

/** One object's answer to a server-side dry run: accepted, or the API server's reason. */
export interface DryRunResult {
  object: string;
  rejected?: string;
}

export interface Kube {
  /** The kubeconfig context, and the namespace everything happens in. */
  readonly context: string;
  readonly namespace: string;
  /** The API server's version, read when connecting. */
  readonly serverVersion: string;
  /** The clock the waits measure with (durations, the release latency). */
  readonly clock: Clock;
  /** Server-side apply. */
  apply(object: KubernetesObject): Promise<void>;
  /**
   * Whether the namespace exists: 404 is no. Reading it needs only `get` on
   * it, which a namespaced Role can grant; a 403 is an error that names the
   * right, never taken for "not found".
   */
  namespaceExists(name: string): Promise<boolean>;
  /** Server-side dry run of each object: what the API server would reject, and why. */
  dryRun(objects: readonly KubernetesObject[]): Promise<DryRunResult[]>;
  /**
   * Submits a content-named Job, attaching to the same content or replacing a
   * failed one; `configMaps` (the files it mounts) are created before it and
   * owned by it after.
   */
  ensureJob(
    job: V1Job,
    signal: AbortSignal,
    options?: { replaceComplete?: boolean; configMaps?: readonly V1ConfigMap[] },
  ): Promise<EnsuredJob>;
  resumeJob(name: string): Promise<void>;
  /** Deletes a Job and its pods, and waits until it is gone; nothing to do when there is none. */
  deleteJob(name: string, signal: AbortSignal): Promise<void>;
  waitForJob(options: JobWaitOptions): Promise<JobOutcome>;
  /** Runs a rendered one-off `db ... --json` Job and returns the report it printed. */
  runDbJob<T>(job: V1Job, options: DbJobOptions): Promise<DbJobResult<T>>;
  /** The Jobs of one kind, newest first. */
  listJobs(kind: JobKind): Promise<V1Job[]>;
  /** The Deployment, or undefined when there is none. */
  readDeployment(name: string): Promise<V1Deployment | undefined>;
  waitForRollout(options: RolloutOptions): Promise<{ durationMs: number; replicas: number }>;
  /**
   * Before a re-run waits: replaces the pods of a Job (evicted, not counted
   * as failed attempts) or of a Deployment (deleted) that are stuck on an
   * image or a Secret or crash-looping, so their old state neither fails the
   * new wait nor makes it sit out the kubelet's back-off.
   */
  replaceStuckPods(target: { job: V1Job } | { deployment: string }): Promise<ReplacedPod[]>;
  /** The last lines of a container's log. */
  podLogs(pod: string, container: string, options?: { tailLines?: number; previous?: boolean }): Promise<string[]>;
  /** The events about an object (`kind` as in `Job`, `Pod`), oldest first. */
  events(kind: string, name: string): Promise<CoreV1Event[]>;
}

const rejections = new Set([400, 404, 409, 422]);

export function createKube(api: KubeApi, serverVersion: string, timers: Timers): Kube {
  return {
    context: api.context,
    namespace: api.namespace,
    serverVersion,
    clock: timers.clock,
    async apply(object) {
      await api.apply(object);
    },
    async namespaceExists(name) {
      try {
        await api.readNamespace(name);
        return true;
      } catch (e) {
        if (hasStatus(e, 404)) return false;
        throw e;
      }
    },
    async dryRun(objects) {
      const results: DryRunResult[] = [];
      for (const o of objects) {
        const object = `${o.kind ?? 'object'}/${o.metadata?.name ?? '?'}`;
        try {
          await api.apply(o, { dryRun: true });
          results.push({ object });
        } catch (e) {
          // What the API server says about the object is the answer; no permission or no answer is not.
          if (!(e instanceof KubeApiError) || e.status === undefined || !rejections.has(e.status)) throw e;
          results.push({ object, rejected: e.reason });
        }
      }
      return results;
    },
    ensureJob: (job, signal, options = {}) => ensureJobWithFiles(api, timers, job, signal, options),
    resumeJob: (name) => resumeJob(api, name),
    deleteJob: (name, signal) => deleteJob(api, timers, name, signal),
    waitForJob: (options) => waitForJob(api, timers, options),
    runDbJob: (job, options) => runDbJob(api, timers, job, options),
    async listJobs(kind) {
      const l = await api.list(Resource.jobs, { labelSelector: jobSelector(kind) });
      const created = (j: V1Job) =>
        j.metadata?.creationTimestamp ? new Date(j.metadata.creationTimestamp).getTime() : 0;
      return l.items.sort((a, b) => created(b) - created(a));
    },
    async readDeployment(name) {
      try {
        return await api.readDeployment(name);
      } catch (e) {
        if (hasStatus(e, 404)) return undefined;
        throw e;
      }
    },
    waitForRollout: (options) => waitForRollout(api, timers, options),
    replaceStuckPods: (target) =>
      'job' in target ? replaceStuckJobPods(api, target.job) : replaceStuckDeploymentPods(api, target.deployment),
    async podLogs(pod, container, options = {}) {
      const text = await api.readLog(pod, container, { tailLines: options.tailLines ?? TAIL_LINES, ...options });
      return text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => redact(l));
    },
    async events(kind, name) {
      const l = await api.list(Resource.events, {
        fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}`,
      });
      const at = (e: CoreV1Event) => new Date(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? 0).getTime();
      return l.items.sort((a, b) => at(a) - at(b));
    },
  };
}

export interface KubeOptions extends ConnectOptions {
  /** @default the system clock */
  clock?: Clock;
  /** @default real timers */
  sleep?: Sleep;
}

/** Connects (the API server answered once this resolves) and returns the session. */
export async function connectKube(opts: KubeOptions): Promise<Kube> {
  const { api, serverVersion } = await connectApi(opts);
  return createKube(api, serverVersion, { clock: opts.clock ?? systemClock, sleep: opts.sleep ?? realSleep });
}
