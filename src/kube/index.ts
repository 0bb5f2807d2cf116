/**
 * What the rest of schemagate uses of `src/kube`: the `Kube` session, the
 * context guard, and the pure decisions and names that reports show. Loading
 * this module does not load @kubernetes/client-node; `connectKube` does.
 */
export type { DbJobOptions, DbJobResult } from './db-job.js';
export { checkContext, LOCAL_CONTEXTS, type GuardInput } from './guard.js';
export { jobState, type JobState } from './job-verdict.js';
export type { JobOutcome, JobWaitOptions } from './job-wait.js';
export { nameOf, type EnsuredJob, type SubmittedJob } from './jobs.js';
export { connectKube, createKube, type DryRunResult, type Kube, type KubeOptions } from './kube.js';
export type { ReplacedPod } from './replace-stuck.js';
export { rolloutDone, type RolloutOptions } from './rollout.js';
export { jobWaitTimeoutMs, rolloutWaitTimeoutMs } from './wait-deadlines.js';
