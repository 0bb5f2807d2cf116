import type { V1Job } from '@kubernetes/client-node';
import type { StatusReport } from '../engine/status.js';
import { deleteJob, ensureJob, jobState } from '../kube/apply.js';
import { apiError, type Cluster, connectCluster } from '../kube/client.js';
import { jobSelector, renderMigrationJob } from '../kube/render/index.js';
import { rolloutDone } from '../kube/rollout.js';
import { JobFailedError, waitForJob } from '../kube/wait-job.js';
import type { ClusterRun } from './cluster.js';

export interface JobSummary {
  kind: string;
  name: string;
  state: ReturnType<typeof jobState>;
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

async function jobsOf(cluster: Cluster, kind: 'migrate' | 'seed'): Promise<JobSummary[]> {
  try {
    const l = await cluster.batch.listNamespacedJob({ namespace: cluster.namespace, labelSelector: jobSelector(kind) });
    return l.items
      .sort((a, b) =>
        String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')),
      )
      .map((j) => summarize(kind, j));
  } catch (e) {
    throw apiError(e, `list the ${kind} Jobs`, cluster);
  }
}

/**
 * Runs a one-off `schemagate db ... --json` in a Job with the migration role,
 * reads the JSON it printed, and deletes the Job. The runner itself never
 * connects to the database.
 */
export async function runDbJob<T>(
  run: ClusterRun,
  cluster: Cluster,
  kind: string,
  dbArgs: string[],
): Promise<T | { error: string }> {
  const base = renderMigrationJob(run.config, { image: run.image, namespace: run.namespace, migrationChecksums: [] });
  const name = `schemagate-${kind}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const job: V1Job = {
    ...base,
    metadata: { ...base.metadata, name, labels: { ...base.metadata?.labels, 'schemagate.dev/job': kind } },
    spec: {
      ...base.spec!,
      backoffLimit: 0,
      ttlSecondsAfterFinished: 300,
      podFailurePolicy: undefined,
      template: {
        ...base.spec!.template,
        metadata: {
          ...base.spec!.template.metadata,
          labels: { ...base.spec!.template.metadata?.labels, 'schemagate.dev/job': kind },
        },
        spec: {
          ...base.spec!.template.spec!,
          containers: base.spec!.template.spec!.containers.map((c, i) =>
            i === 0 ? { ...c, args: ['db', ...dbArgs, '--json'] } : c,
          ),
        },
      },
    },
  };
  await ensureJob(cluster, job, run.signal);
  try {
    await waitForJob(cluster, { name, timeoutMs: Math.min(run.timeoutMs, 120_000), signal: run.signal });
  } catch (e) {
    // Exit 7 (pending), 4 (drift) and 8 (verify) fail the pod, and still print the report.
    if (!(e instanceof JobFailedError)) throw e;
  }
  try {
    const pods = await cluster.core.listNamespacedPod({
      namespace: cluster.namespace,
      labelSelector: `batch.kubernetes.io/job-name=${name}`,
    });
    const pod = pods.items[0]?.metadata?.name;
    const text = pod
      ? String(await cluster.core.readNamespacedPodLog({ name: pod, namespace: cluster.namespace }))
      : '';
    const start = text.indexOf('{');
    if (start < 0) return { error: `job/${name} printed nothing` };
    const parsed = JSON.parse(text.slice(start)) as T & { error?: unknown; message?: string };
    // A failed command prints {"error": code, "message": ...}: report its message.
    return typeof parsed.error === 'string' ? { error: parsed.message ?? parsed.error } : parsed;
  } catch (e) {
    return { error: `could not read the output of job/${name}: ${(e as Error).message}` };
  } finally {
    await deleteJob(cluster, name, run.signal).catch(() => undefined);
  }
}

/** One screen: the Jobs, the backend's rollout, and the database's applied and pending migrations. */
export async function clusterStatus(run: ClusterRun): Promise<ClusterStatus> {
  const cluster = await connectCluster({ context: run.context, namespace: run.namespace });
  const [migrations, seeds] = await Promise.all([jobsOf(cluster, 'migrate'), jobsOf(cluster, 'seed')]);
  let backend: ClusterStatus['backend'] = null;
  try {
    const d = await cluster.apps.readNamespacedDeployment({
      name: run.config.kubernetes.backend.deployment,
      namespace: run.namespace,
    });
    backend = {
      name: d.metadata!.name!,
      replicas: d.spec?.replicas ?? 0,
      updated: d.status?.updatedReplicas ?? 0,
      available: d.status?.availableReplicas ?? 0,
      rolledOut: rolloutDone(d),
    };
  } catch {
    backend = null;
  }
  const database = await runDbJob<StatusReport>(run, cluster, 'status', ['status']);
  return { context: cluster.context, namespace: run.namespace, jobs: [...migrations, ...seeds], backend, database };
}
