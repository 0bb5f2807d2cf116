/**
 * Submitting, replacing, resuming and deleting the Jobs schemagate renders.
 * A Job's name carries its content hash, so the same content is the same Job.
 */
import type { V1Job } from '@kubernetes/client-node';
import { ExitCode, SchemagateError } from '../errors.js';
import { formatDuration } from '../util/time.js';
import { Resource, type KubeApi } from './api.js';
import { hasStatus } from './errors.js';
import { jobState, type JobState } from './job-verdict.js';
import type { Timers } from './job-wait.js';
import { named } from './render/labels.js';
import { type Source, waitUntil } from './wait.js';

/** How long a deletion may take before it is reported (a finalizer may hold the Job). */
export const DELETE_TIMEOUT_MS = 60_000;

/** A Job as it came back from the API server: its name is known. */
export type SubmittedJob = V1Job & { metadata: NonNullable<V1Job['metadata']> & { name: string } };

/** The name of a rendered Job (the renderer always sets one). */
export function nameOf(job: V1Job): string {
  const name = job.metadata?.name;
  if (!name) throw new Error('a Job without metadata.name reached the submitter (the renderer always names Jobs)');
  return name;
}

export async function readJob(api: KubeApi, name: string): Promise<V1Job | undefined> {
  try {
    return await api.readJob(name);
  } catch (e) {
    if (hasStatus(e, 404)) return undefined;
    throw e;
  }
}

/** Waits, by watching, until no Job of that name is left. */
export function waitGone(api: KubeApi, timers: Timers, name: string, signal: AbortSignal, timeoutMs: number) {
  const jobs: Source<'jobs'> = {
    name: `job/${name}`,
    resource: Resource.jobs,
    selectors: { fieldSelector: named(name) },
  };
  return waitUntil({
    api,
    sources: [jobs],
    signal,
    sleep: timers.sleep,
    deadlineMs: timeoutMs,
    evaluate: (v) => (v.synced(jobs) && v.items(jobs).length === 0 ? true : undefined),
    timeout: () =>
      new SchemagateError(
        'job.delete-timeout',
        `job/${name} was still there ${formatDuration(timeoutMs)} after it was deleted`,
        {
          exitCode: ExitCode.cluster,
          hint: `A finalizer may hold it: kubectl -n ${api.namespace} get job ${name} -o yaml`,
          context: { object: `job/${name}` },
        },
      ),
  });
}

/** Deletes a Job with its pods (propagation Background), and waits until it is gone. */
export async function deleteJob(
  api: KubeApi,
  timers: Timers,
  name: string,
  signal: AbortSignal,
  timeoutMs = DELETE_TIMEOUT_MS,
): Promise<void> {
  try {
    await api.deleteJob(name);
  } catch (e) {
    if (hasStatus(e, 404)) return;
    throw e;
  }
  await waitGone(api, timers, name, signal, timeoutMs);
}

export interface EnsuredJob {
  job: SubmittedJob;
  /** created: submitted now; attached: the same content was already there; replaced: a failed (or, asked, complete) one was. */
  how: 'created' | 'attached' | 'replaced';
  state: JobState;
}

function submitted(job: V1Job, name: string): SubmittedJob {
  return { ...job, metadata: { ...job.metadata, name } };
}

/**
 * Submits a Job whose name carries its content hash. The same content is the
 * same Job: a second submit attaches to it (never an "immutable field"
 * error). A failed Job of the same content is replaced: the user fixed
 * something outside it (a Secret, the database) and asks again.
 */
export async function ensureJob(
  api: KubeApi,
  timers: Timers,
  job: V1Job,
  signal: AbortSignal,
  opts: { replaceComplete?: boolean; beforeReplace?: (old: SubmittedJob) => Promise<void> } = {},
): Promise<EnsuredJob> {
  const name = nameOf(job);
  const create = async (): Promise<SubmittedJob | undefined> => {
    try {
      return submitted(await api.createJob(job), name);
    } catch (e) {
      if (hasStatus(e, 409)) return undefined;
      throw e;
    }
  };
  const made = await create();
  if (made) return { job: made, how: 'created', state: jobState(made) };
  const existing = await readJob(api, name);
  if (!existing) {
    // Deleted between our create and read (its TTL): create it again.
    const again = await create();
    if (again) return { job: again, how: 'created', state: jobState(again) };
    throw new SchemagateError('job.race', `job/${name} keeps appearing and disappearing`, {
      exitCode: ExitCode.cluster,
      context: { object: `job/${name}` },
    });
  }
  const state = jobState(existing);
  if (state === 'failed' || (state === 'complete' && opts.replaceComplete)) {
    await opts.beforeReplace?.(submitted(existing, name));
    await deleteJob(api, timers, name, signal);
    const fresh = await create();
    if (!fresh)
      throw new SchemagateError('job.race', `job/${name} was created by someone else while it was being replaced`, {
        exitCode: ExitCode.cluster,
        context: { object: `job/${name}` },
      });
    return { job: fresh, how: 'replaced', state: jobState(fresh) };
  }
  return { job: submitted(existing, name), how: 'attached', state };
}

/** Resumes a suspended Job (`spec.suspend: false`). */
export async function resumeJob(api: KubeApi, name: string): Promise<void> {
  await api.patchJob(name, { spec: { suspend: false } });
}
