/**
 * What every cluster pipeline shares: its settings, its report, the rendered
 * plan, and the step that connects (titled only once the API server answered).
 */
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1Job } from '@kubernetes/client-node';
import type { Config } from '../config/types.js';
import { connectKube, type Kube } from '../kube/index.js';
import { filesConfigMapName, isFilesConfigMap, JobKind, jobKindOf, renderAll } from '../kube/render/index.js';
import type { Output } from '../util/output.js';
import { runStep, type Task } from './listr.js';
import { renderInputs } from './render-inputs.js';

/** What every cluster pipeline needs, from flags and schemagate.yaml. */
export interface ClusterRun {
  config: Config;
  out: Output;
  signal: AbortSignal;
  namespace: string;
  context: string | undefined;
  image: string;
  /** Every wait's deadline (`--timeout`, `kubernetes.timeout`); undefined: each wait's own (see `jobWaitTimeoutMs`). */
  timeoutMs: number | undefined;
  allowContext: string | undefined;
  env: NodeJS.ProcessEnv;
}

/** What a cluster pipeline did: its summary lines, and the figures `--json` reports. */
export interface ClusterReport {
  context: string;
  namespace: string;
  summary: string[];
  migrationJob?: string;
  /** The migration Job's wait, from submission to its Complete condition. */
  migrationMs?: number;
  /** Milliseconds from seeing the migration Job's Complete condition to the release request's answer. */
  releaseLatencyMs?: number;
  seedJob?: string;
  backend?: { name: string; replicas: number; service: string | undefined };
}

function isJob(o: KubernetesObject): o is V1Job {
  return o.kind === 'Job';
}

function isDeployment(o: KubernetesObject): o is V1Deployment {
  return o.kind === 'Deployment';
}

/** Everything rendered, split by the step that submits it; each Job with the ConfigMap of its files. */
export function renderPlan(run: Pick<ClusterRun, 'config' | 'image' | 'namespace'>) {
  const objects = renderAll(run.config, { image: run.image, namespace: run.namespace, ...renderInputs(run.config) });
  const backendName = run.config.kubernetes.backend.deployment;
  const isBackend = (o: KubernetesObject) => isDeployment(o) && o.metadata?.name === backendName;
  const jobs = objects.filter(isJob);
  const files = objects.filter((o): o is V1ConfigMap => isFilesConfigMap(o));
  const filesOf = (job: V1Job | undefined) =>
    job ? files.filter((cm) => cm.metadata?.name === filesConfigMapName(job)) : [];
  const migrationJob = jobs.find((j) => jobKindOf(j) === JobKind.migrate);
  const seedJob = jobs.find((j) => jobKindOf(j) === JobKind.seed);
  return {
    base: objects.filter((o) => !isJob(o) && !isBackend(o) && !isFilesConfigMap(o)),
    backend: objects.filter(isDeployment).find(isBackend),
    migrationJob,
    migrationFiles: filesOf(migrationJob),
    seedJob,
    seedFiles: filesOf(seedJob),
  };
}

/** A Job's log lines and progress, shown under its step. */
export function logTo<C>(task: Task<C>) {
  return {
    onLog: (line: string, attempt: number) => {
      task.output = `[attempt ${attempt}] ${line}`;
    },
    onProgress: (line: string) => {
      task.output = line;
    },
  };
}

/** Connects as its own step, titled "Cluster: context ..." only once the API server has answered. */
export function connect(run: ClusterRun): Promise<Kube> {
  return runStep(run.out, 'Connect to the cluster', async (task) => {
    const kube = await connectKube({ context: run.context, namespace: run.namespace, env: run.env });
    task.title = `Cluster: context ${kube.context}, namespace ${kube.namespace} (Kubernetes ${kube.serverVersion})`;
    return kube;
  });
}
