/**
 * `status` and `verify` in a cluster: the Jobs, the backend's rollout, and
 * the database's own view, read by a short one-off db Job (the runner never
 * connects to the database).
 */
import type { V1ConfigMap, V1Job } from '@kubernetes/client-node';
import type { StatusReport } from '../engine/status.js';
import type { VerifyReport } from '../engine/verify.js';
import { connectKube, type DbJobResult, jobState, type JobState, type Kube, rolloutDone } from '../kube/index.js';
import { type DbJobCommand, filesConfigMapFor, JobKind, renderDbJob } from '../kube/render/index.js';
import { jobFiles } from './render-inputs.js';
import type { ClusterRun } from './cluster-run.js';

export interface JobSummary {
  kind: string;
  name: string;
  state: JobState;
  conditions: { type: string; reason?: string | undefined; message?: string | undefined }[];
  attempts: { active: number; succeeded: number; failed: number };
  created: string | undefined;
  completed: string | undefined;
}

export interface ClusterStatus {
  context: string;
  namespace: string;
  jobs: JobSummary[];
  backend: { name: string; replicas: number; updated: number; available: number; rolledOut: boolean } | null;
  /** The database's own view, from a short `db status --json` Job (the runner never connects to the database). */
  database: StatusReport | { error: string };
}

function summarize(kind: string, j: V1Job): JobSummary {
  return {
    kind,
    name: j.metadata?.name ?? '?',
    state: jobState(j),
    conditions: (j.status?.conditions ?? [])
      .filter((c) => c.status === 'True')
      .map((c) => ({ type: c.type, reason: c.reason, message: c.message })),
    attempts: { active: j.status?.active ?? 0, succeeded: j.status?.succeeded ?? 0, failed: j.status?.failed ?? 0 },
    created: j.metadata?.creationTimestamp ? new Date(j.metadata.creationTimestamp).toISOString() : undefined,
    completed: j.status?.completionTime ? new Date(j.status.completionTime).toISOString() : undefined,
  };
}

function nonce(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** Runs `schemagate db <command> --json` in a one-off Job with the migration role and returns its report. */
export function runDbCommand<T>(run: ClusterRun, kube: Kube, command: DbJobCommand): Promise<DbJobResult<T>> {
  const files = jobFiles(run.config);
  const job = renderDbJob(run.config, { image: run.image, namespace: run.namespace, command, nonce: nonce(), files });
  const configMaps = [filesConfigMapFor(run.config, command, files, run.namespace)].filter(
    (cm): cm is V1ConfigMap => cm !== undefined,
  );
  return kube.runDbJob<T>(job, {
    configMaps,
    timeoutMs: run.timeoutMs,
    signal: run.signal,
    onProgress: (line) => run.out.warn(line),
  });
}

export function connectFor(run: ClusterRun): Promise<Kube> {
  return connectKube({ context: run.context, namespace: run.namespace, env: run.env });
}

/** `schemagate verify` in a cluster: `db verify --json` in a one-off Job. */
export async function verifyInCluster(run: ClusterRun): Promise<DbJobResult<VerifyReport>> {
  return runDbCommand<VerifyReport>(run, await connectFor(run), JobKind.verify);
}

/** One screen: the Jobs, the backend's rollout, and the database's applied and pending migrations. */
export async function clusterStatus(run: ClusterRun, connected?: Kube): Promise<ClusterStatus> {
  const kube = connected ?? (await connectFor(run));
  const [migrations, seeds] = await Promise.all([kube.listJobs(JobKind.migrate), kube.listJobs(JobKind.seed)]);
  const name = run.config.kubernetes.backend.deployment;
  const d = await kube.readDeployment(name);
  const backend = d
    ? {
        name,
        replicas: d.spec?.replicas ?? 0,
        updated: d.status?.updatedReplicas ?? 0,
        available: d.status?.availableReplicas ?? 0,
        rolledOut: rolloutDone(d),
      }
    : null;
  const database = await runDbCommand<StatusReport>(run, kube, JobKind.status);
  return {
    context: kube.context,
    namespace: kube.namespace,
    jobs: [...migrations.map((j) => summarize(JobKind.migrate, j)), ...seeds.map((j) => summarize(JobKind.seed, j))],
    backend,
    database,
  };
}
