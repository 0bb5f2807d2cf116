import type { KubernetesObject, V1Deployment, V1Job } from '@kubernetes/client-node';
import type { Output } from '../util/output.js';
import type { Config } from '../config/types.js';
import { formatDuration } from '../util/time.js';
import { ExitCode, SchemagateError } from '../errors.js';
import { applyObject, deleteJob, ensureJob, jobState, resumeJob } from '../kube/apply.js';
import { type Cluster, connectCluster } from '../kube/client.js';
import { checkContext } from '../kube/guard.js';
import { renderAll, renderBackend, renderResetJob, renderSeedJob } from '../kube/render/index.js';
import { waitForRollout } from '../kube/rollout.js';
import { waitForJob } from '../kube/wait-job.js';
import { renderInputs } from './render-inputs.js';
import { runSteps, type Step, type Task as TaskOf } from './listr.js';

/** What every cluster pipeline needs, from flags and schemagate.yaml. */
export interface ClusterRun {
  config: Config;
  out: Output;
  signal: AbortSignal;
  namespace: string;
  context: string | undefined;
  image: string;
  timeoutMs: number;
  allowContext: string | undefined;
  env: NodeJS.ProcessEnv;
}

export interface ClusterContext {
  cluster?: Cluster;
  summary: string[];
  /** Milliseconds from the migration Job's Complete condition to the release request. */
  releaseLatencyMs?: number;
  migrationJob?: string;
  migrationMs?: number;
  seedJob?: string;
  backend?: { name: string; replicas: number; service: string | undefined };
}

type Task = TaskOf<ClusterContext>;

/** Everything rendered, split by the step that submits it. */
export function renderPlan(run: Pick<ClusterRun, 'config' | 'image' | 'namespace'>) {
  const objects = renderAll(run.config, { image: run.image, namespace: run.namespace, ...renderInputs(run.config) });
  const backendName = run.config.kubernetes.backend.deployment;
  const isJob = (o: KubernetesObject) => o.kind === 'Job';
  const isBackend = (o: KubernetesObject) => o.kind === 'Deployment' && o.metadata?.name === backendName;
  const jobs = objects.filter(isJob) as V1Job[];
  return {
    base: objects.filter((o) => !isJob(o) && !isBackend(o)),
    backend: objects.find(isBackend) as V1Deployment | undefined,
    migrationJob: jobs.find((j) => j.metadata?.labels?.['schemagate.dev/job'] === 'migrate'),
    seedJob: jobs.find((j) => j.metadata?.labels?.['schemagate.dev/job'] === 'seed'),
  };
}

function logTo(task: Task) {
  return {
    onLog: (line: string, attempt: number) => {
      task.output = `[attempt ${attempt}] ${line}`;
    },
    onProgress: (line: string) => {
      task.output = line;
    },
  };
}

async function connect(run: ClusterRun, ctx: ClusterContext, task: Task): Promise<void> {
  ctx.cluster = await connectCluster({ context: run.context, namespace: run.namespace });
  task.title = `Cluster: context ${ctx.cluster.context}, namespace ${run.namespace}`;
}

async function runMigrationJob(
  run: ClusterRun,
  ctx: ClusterContext,
  task: Task,
  job: V1Job,
  rerun = false,
): Promise<void> {
  const cluster = ctx.cluster!;
  const name = job.metadata!.name!;
  ctx.migrationJob = name;
  const ensured = await ensureJob(cluster, job, run.signal, { replaceComplete: rerun });
  if (ensured.state === 'complete') {
    task.title = `Migration job/${name} already complete (same migrations, same image)`;
    ctx.summary.push(task.title);
    ctx.releaseLatencyMs = undefined;
    return;
  }
  task.output = `${ensured.how === 'attached' ? 'attached to' : ensured.how} job/${name}`;
  const r = await waitForJob(cluster, { name, timeoutMs: run.timeoutMs, signal: run.signal, ...logTo(task) });
  ctx.migrationMs = r.durationMs;
  (ctx as { completedAt?: number }).completedAt = r.completedAt;
  task.title = `Migration job/${name} complete (${r.attempts} attempt${r.attempts === 1 ? '' : 's'}, ${formatDuration(r.durationMs)})`;
  ctx.summary.push(task.title);
}

async function release(run: ClusterRun, ctx: ClusterContext, task: Task): Promise<void> {
  const cluster = ctx.cluster!;
  const k = run.config.kubernetes;
  const rendered = renderBackend(run.config, {
    image: run.image,
    namespace: run.namespace,
    replicas: k.backend.replicas,
  });
  const completedAt = (ctx as { completedAt?: number }).completedAt;
  for (const o of rendered.objects) {
    await applyObject(cluster, o);
    if (o === rendered.deployment && completedAt !== undefined) ctx.releaseLatencyMs = performance.now() - completedAt;
  }
  task.output = `scaled deployment/${k.backend.deployment} to ${k.backend.replicas}; waiting for the rollout`;
  const r = await waitForRollout(cluster, {
    name: k.backend.deployment,
    timeoutMs: run.timeoutMs,
    signal: run.signal,
    onProgress: (l) => (task.output = l),
  });
  const service = rendered.objects.find((o) => o.kind === 'Service')?.metadata?.name;
  ctx.backend = { name: k.backend.deployment, replicas: r.replicas, service };
  task.title = `Backend deployment/${k.backend.deployment} available (${r.replicas} replica${r.replicas === 1 ? '' : 's'}, ${formatDuration(r.durationMs)})`;
  ctx.summary.push(task.title);
}

async function ensureBackendParked(
  run: ClusterRun,
  ctx: ClusterContext,
  task: Task,
  backend: V1Deployment | undefined,
): Promise<void> {
  if (!backend) return;
  const cluster = ctx.cluster!;
  const name = backend.metadata!.name!;
  try {
    await cluster.apps.readNamespacedDeployment({ name, namespace: run.namespace });
    task.title = `Backend deployment/${name} exists: left as it is until the schema is ready`;
  } catch {
    await applyObject(cluster, backend);
    task.title = `Backend deployment/${name} created with 0 replicas`;
  }
}

function listr(run: ClusterRun, tasks: Step<ClusterContext>[]) {
  return { run: (ctx: ClusterContext) => runSteps(run.out, tasks, ctx) };
}

/** `up`: base objects, migration Job, seed Job (suspended), then release the backend and await its rollout. */
export async function up(run: ClusterRun): Promise<ClusterContext> {
  const plan = renderPlan(run);
  const ctx: ClusterContext = { summary: [] };
  const initMode = run.config.kubernetes.migrationMode === 'initContainer';
  await listr(run, [
    { title: 'Connect to the cluster', task: (c, t) => connect(run, c, t) },
    {
      title: `Apply ${plan.base.length} base objects (namespace, secrets, postgres)`,
      task: async (c, t) => {
        for (const o of plan.base) await applyObject(c.cluster!, o);
        t.title = `Applied ${plan.base.map((o) => `${o.kind?.toLowerCase()}/${o.metadata?.name}`).join(', ') || 'no base objects'}`;
      },
    },
    {
      title: 'Park the backend until the schema is ready',
      task: (c, t) => ensureBackendParked(run, c, t, plan.backend),
    },
    ...(initMode || !plan.migrationJob
      ? []
      : [
          {
            title: 'Run the migration Job',
            task: (c: ClusterContext, t: Task) => runMigrationJob(run, c, t, plan.migrationJob!),
          },
        ]),
    ...(plan.seedJob
      ? [
          {
            title: 'Create the seed Job (suspended)',
            task: async (c: ClusterContext, t: Task) => {
              const e = await ensureJob(c.cluster!, plan.seedJob!, run.signal);
              c.seedJob = e.job.metadata!.name!;
              t.title = `Seed job/${c.seedJob}: ${e.how === 'attached' ? `already there (${e.state})` : 'created, suspended'}; \`schemagate seed\` runs it`;
              c.summary.push(t.title);
            },
          },
        ]
      : []),
    { title: 'Release the backend', task: (c, t) => release(run, c, t) },
  ]).run(ctx);
  return ctx;
}

/** `migrate`: run (or re-attach to) the migration Job and wait for it. */
export async function migrate(
  run: ClusterRun,
  opts: { rerun?: boolean; cleanup?: boolean } = {},
): Promise<ClusterContext> {
  const plan = renderPlan(run);
  if (!plan.migrationJob) {
    throw new SchemagateError(
      'migrate.init-mode',
      "kubernetes.migration.mode is initContainer: there is no migration Job; the backend's init container migrates",
      {
        exitCode: ExitCode.usage,
        hint: 'Run `schemagate up` to roll the backend out, or switch the mode to job.',
      },
    );
  }
  const ctx: ClusterContext = { summary: [] };
  await listr(run, [
    { title: 'Connect to the cluster', task: (c, t) => connect(run, c, t) },
    {
      title: 'Run the migration Job',
      task: (c, t) => runMigrationJob(run, c, t, plan.migrationJob!, opts.rerun ?? false),
    },
    ...(opts.cleanup
      ? [
          {
            title: 'Delete the migration Job',
            task: async (c: ClusterContext, t: Task) => {
              await deleteJob(c.cluster!, plan.migrationJob!.metadata!.name!, run.signal);
              t.title = `Deleted job/${plan.migrationJob!.metadata!.name} and its pods`;
              c.summary.push(t.title);
            },
          },
        ]
      : []),
  ]).run(ctx);
  return ctx;
}

/** `seed`: resume the suspended seed Job (recreating it if it already ran) and wait. */
export async function seed(run: ClusterRun): Promise<ClusterContext> {
  const ctx: ClusterContext = { summary: [] };
  const job = renderSeedJob(run.config, { image: run.image, namespace: run.namespace, ...renderInputs(run.config) });
  const name = job.metadata!.name!;
  await listr(run, [
    { title: 'Connect to the cluster', task: (c, t) => connect(run, c, t) },
    {
      title: `Run the seed Job`,
      task: async (c, t) => {
        const e = await ensureJob(c.cluster!, job, run.signal, { replaceComplete: true });
        c.seedJob = name;
        if (jobState(e.job) === 'suspended') await resumeJob(c.cluster!, name);
        t.output = `${e.how === 'replaced' ? 'recreated' : e.how} and resumed job/${name}`;
        const r = await waitForJob(c.cluster!, { name, timeoutMs: run.timeoutMs, signal: run.signal, ...logTo(t) });
        t.title = `Seed job/${name} complete (${formatDuration(r.durationMs)})`;
        c.summary.push(t.title);
      },
    },
  ]).run(ctx);
  return ctx;
}

/** `reset`: on an allowed context only, drop and recreate the schema through a Job, then migrate. */
export async function reset(run: ClusterRun): Promise<ClusterContext> {
  const plan = renderPlan(run);
  const ctx: ClusterContext = { summary: [] };
  // The guard runs before any task, so a refusal touches nothing.
  const cluster = await connectCluster({ context: run.context, namespace: run.namespace });
  const allowed = checkContext({
    command: 'reset',
    context: cluster.context,
    allowed: run.config.kubernetes.allowedContexts,
    allowFlag: run.allowContext,
    env: run.env,
  });
  ctx.cluster = cluster;
  const job = renderResetJob(run.config, {
    image: run.image,
    namespace: run.namespace,
    nonce: `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
  });
  await listr(run, [
    {
      title: `Reset the database (context ${cluster.context}, allowed by ${allowed.allowedBy})`,
      task: async (c, t) => {
        const name = job.metadata!.name!;
        await ensureJob(c.cluster!, job, run.signal);
        await waitForJob(c.cluster!, { name, timeoutMs: run.timeoutMs, signal: run.signal, ...logTo(t) });
        t.title = `Reset job/${name} complete: schema dropped and recreated`;
        c.summary.push(t.title);
      },
    },
    ...(plan.migrationJob
      ? // The schema is empty now: a complete migration Job of the same content must run again.
        [
          {
            title: 'Run the migration Job',
            task: (c: ClusterContext, t: Task) => runMigrationJob(run, c, t, plan.migrationJob!, true),
          },
        ]
      : []),
  ]).run(ctx);
  return ctx;
}
