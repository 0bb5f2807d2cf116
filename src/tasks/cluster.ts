/**
 * The cluster pipelines (`up`, `migrate`, `seed`, `reset`) as task lists: each
 * step renders, submits and waits through the `Kube` session.
 */
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1Job } from '@kubernetes/client-node';
import { ExitCode, SchemagateError } from '../errors.js';
import { checkContext, jobState, type Kube, nameOf } from '../kube/index.js';
import { filesConfigMapFor, JobKind, renderBackend, renderResetJob, renderSeedJob } from '../kube/render/index.js';
import { formatDuration } from '../util/time.js';
import { type ClusterReport, type ClusterRun, connect, renderPlan } from './cluster-run.js';
import { replaceStuckBackendPods, waitForBackend, waitForSubmittedJob } from './cluster-waits.js';
import { runSteps, type Step, type Task as TaskOf } from './listr.js';
import { renderInputs } from './render-inputs.js';

export { renderPlan, type ClusterReport, type ClusterRun } from './cluster-run.js';

type Task = TaskOf<ClusterReport>;

/** When the migration Job's Complete condition was seen (on the session's clock): the release latency starts there. */
interface Timing {
  completedAt?: number;
}

function report(kube: Kube): ClusterReport {
  return { context: kube.context, namespace: kube.namespace, summary: [] };
}

function nonce(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

async function runMigrationJob(
  run: ClusterRun,
  kube: Kube,
  r: ClusterReport,
  task: Task,
  job: { job: V1Job; configMaps: readonly V1ConfigMap[] },
  timing: Timing,
  rerun = false,
): Promise<void> {
  const ensured = await kube.ensureJob(job.job, run.signal, { replaceComplete: rerun, configMaps: job.configMaps });
  const name = ensured.job.metadata.name;
  r.migrationJob = name;
  if (ensured.state === 'complete') {
    task.title = `Migration job/${name} already complete (same migrations, same image)`;
    r.summary.push(task.title);
    return;
  }
  task.output = `${ensured.how === 'attached' ? 'attached to' : ensured.how} job/${name}`;
  const w = await waitForSubmittedJob(run, kube, task, ensured, r.summary);
  r.migrationMs = w.durationMs;
  timing.completedAt = w.completedAt;
  task.title = `Migration job/${name} complete (${w.attempts} attempt${w.attempts === 1 ? '' : 's'}, ${formatDuration(w.durationMs)})`;
  r.summary.push(task.title);
}

async function release(run: ClusterRun, kube: Kube, r: ClusterReport, task: Task, timing: Timing): Promise<void> {
  const k = run.config.kubernetes;
  const rendered = renderBackend(run.config, {
    image: run.image,
    namespace: run.namespace,
    replicas: k.backend.replicas,
  });
  for (const o of rendered.objects) {
    await kube.apply(o);
    if (o === rendered.deployment && timing.completedAt !== undefined)
      r.releaseLatencyMs = kube.clock.now() - timing.completedAt;
  }
  await replaceStuckBackendPods(kube, task, k.backend.deployment, r.summary);
  task.output = `scaled deployment/${k.backend.deployment} to ${k.backend.replicas}; waiting for the rollout`;
  const w = await waitForBackend(run, kube, task, rendered.deployment);
  const service = rendered.objects.find((o) => o.kind === 'Service')?.metadata?.name;
  r.backend = { name: k.backend.deployment, replicas: w.replicas, service };
  task.title = `Backend deployment/${k.backend.deployment} available (${w.replicas} replica${w.replicas === 1 ? '' : 's'}, ${formatDuration(w.durationMs)})`;
  r.summary.push(task.title);
}

async function ensureBackendParked(kube: Kube, task: Task, backend: V1Deployment): Promise<void> {
  const name = backend.metadata?.name ?? '';
  if (await kube.readDeployment(name)) {
    task.title = `Backend deployment/${name} exists: left as it is until the schema is ready`;
    return;
  }
  await kube.apply(backend);
  task.title = `Backend deployment/${name} created with 0 replicas`;
}

/**
 * Applies the base objects, but not a Namespace that exists: applying one
 * needs cluster-scoped rights a deployer bound to a namespaced Role lacks,
 * while reading its own namespace does not (k8s/rbac.yaml grants it).
 */
async function applyBase(kube: Kube, objects: readonly KubernetesObject[]): Promise<string[]> {
  const shown: string[] = [];
  for (const o of objects) {
    const name = `${o.kind?.toLowerCase()}/${o.metadata?.name}`;
    if (o.kind === 'Namespace' && o.metadata?.name && (await kube.namespaceExists(o.metadata.name))) {
      shown.push(`${name} (exists: left as it is)`);
      continue;
    }
    await kube.apply(o);
    shown.push(name);
  }
  return shown;
}

/**
 * Deletes the seed Jobs that never ran and never will: suspended, never
 * started, of other files than `current` (the seed Job's content covers the
 * migrations too, so each new migration renders a new one). A suspended Job
 * has no TTL: without this they would pile up. Their ConfigMaps go with them.
 */
async function removeStaleSeedJobs(kube: Kube, current: string, signal: AbortSignal): Promise<number> {
  const stale = (await kube.listJobs(JobKind.seed)).filter(
    (j) => j.metadata?.name !== current && j.spec?.suspend === true && !j.status?.startTime,
  );
  for (const j of stale) await kube.deleteJob(j.metadata?.name ?? '', signal);
  return stale.length;
}

/** `up`: base objects, migration Job, seed Job (suspended), then release the backend and await its rollout. */
export async function up(run: ClusterRun): Promise<ClusterReport> {
  const plan = renderPlan(run);
  const initMode = run.config.kubernetes.migrationMode === 'initContainer';
  const kube = await connect(run);
  const timing: Timing = {};
  const { migrationJob, migrationFiles, seedJob, seedFiles, backend } = plan;
  const steps: Step<ClusterReport>[] = [
    {
      title: `Apply ${plan.base.length} base objects (namespace, secrets, postgres, dependencies)`,
      task: async (_r, t) => {
        const applied = await applyBase(kube, plan.base);
        t.title = `Applied ${applied.join(', ') || 'no base objects'}`;
      },
    },
  ];
  if (backend)
    steps.push({
      title: 'Park the backend until the schema is ready',
      task: (_r, t) => ensureBackendParked(kube, t, backend),
    });
  if (!initMode && migrationJob)
    steps.push({
      title: 'Run the migration Job',
      task: (r, t) => runMigrationJob(run, kube, r, t, { job: migrationJob, configMaps: migrationFiles }, timing),
    });
  if (seedJob)
    steps.push({
      title: 'Create the seed Job (suspended)',
      task: async (r, t) => {
        const e = await kube.ensureJob(seedJob, run.signal, { configMaps: seedFiles });
        r.seedJob = e.job.metadata.name;
        const replaced = await removeStaleSeedJobs(kube, r.seedJob, run.signal);
        t.title = `Seed job/${r.seedJob}: ${e.how === 'attached' ? `already there (${e.state})` : 'created, suspended'}; \`schemagate seed\` runs it${replaced ? ` (removed ${replaced} suspended seed Job${replaced === 1 ? '' : 's'} of older files)` : ''}`;
        r.summary.push(t.title);
      },
    });
  steps.push({ title: 'Release the backend', task: (r, t) => release(run, kube, r, t, timing) });
  return runSteps(run.out, steps, report(kube));
}

/** `migrate`: run (or re-attach to) the migration Job and wait for it. */
export async function migrate(
  run: ClusterRun,
  opts: { rerun?: boolean; cleanup?: boolean } = {},
): Promise<ClusterReport> {
  const { migrationJob, migrationFiles } = renderPlan(run);
  if (!migrationJob) {
    throw new SchemagateError(
      'migrate.init-mode',
      "kubernetes.migration.mode is initContainer: there is no migration Job; the backend's init container migrates",
      { exitCode: ExitCode.usage, hint: 'Run `schemagate up` to roll the backend out, or switch the mode to job.' },
    );
  }
  const kube = await connect(run);
  const name = nameOf(migrationJob);
  const steps: Step<ClusterReport>[] = [
    {
      title: 'Run the migration Job',
      task: (r, t) =>
        runMigrationJob(run, kube, r, t, { job: migrationJob, configMaps: migrationFiles }, {}, opts.rerun),
    },
  ];
  if (opts.cleanup)
    steps.push({
      title: 'Delete the migration Job',
      task: async (r, t) => {
        await kube.deleteJob(name, run.signal);
        t.title = `Deleted job/${name} and its pods`;
        r.summary.push(t.title);
      },
    });
  return runSteps(run.out, steps, report(kube));
}

/** `seed`: resume the suspended seed Job (recreating it if it already ran) and wait. */
export async function seed(run: ClusterRun): Promise<ClusterReport> {
  const inputs = renderInputs(run.config);
  const job = renderSeedJob(run.config, { image: run.image, namespace: run.namespace, ...inputs });
  const configMaps = [filesConfigMapFor(run.config, JobKind.seed, inputs.files, run.namespace)].filter(
    (cm): cm is V1ConfigMap => cm !== undefined,
  );
  const kube = await connect(run);
  return runSteps(
    run.out,
    [
      {
        title: 'Run the seed Job',
        task: async (r, t) => {
          const e = await kube.ensureJob(job, run.signal, { replaceComplete: true, configMaps });
          const name = e.job.metadata.name;
          r.seedJob = name;
          if (jobState(e.job) === 'suspended') await kube.resumeJob(name);
          t.output = `${e.how === 'replaced' ? 'recreated' : e.how} and resumed job/${name}`;
          const w = await waitForSubmittedJob(run, kube, t, e, r.summary);
          t.title = `Seed job/${name} complete (${formatDuration(w.durationMs)})`;
          r.summary.push(t.title);
        },
      },
    ],
    report(kube),
  );
}

/** `reset`: on an allowed context only, drop and recreate the schema through a Job, then migrate. */
export async function reset(run: ClusterRun): Promise<ClusterReport> {
  const { migrationJob, migrationFiles } = renderPlan(run);
  const kube = await connect(run);
  // The guard runs before any change, so a refusal touches nothing.
  const allowed = checkContext({
    command: 'reset',
    context: kube.context,
    allowed: run.config.kubernetes.allowedContexts,
    allowFlag: run.allowContext,
    env: run.env,
  });
  const job = renderResetJob(run.config, { image: run.image, namespace: run.namespace, nonce: nonce() });
  const resetFiles = [
    filesConfigMapFor(run.config, JobKind.reset, { migrations: [], seeds: [] }, run.namespace),
  ].filter((cm): cm is V1ConfigMap => cm !== undefined);
  const steps: Step<ClusterReport>[] = [
    {
      title: `Reset the database (context ${kube.context}, allowed by ${allowed.allowedBy})`,
      task: async (r, t) => {
        const e = await kube.ensureJob(job, run.signal, { configMaps: resetFiles });
        const name = e.job.metadata.name;
        await waitForSubmittedJob(run, kube, t, e);
        t.title = `Reset job/${name} complete: schema dropped and recreated`;
        r.summary.push(t.title);
      },
    },
  ];
  // The schema is empty now: a complete migration Job of the same content must run again.
  if (migrationJob)
    steps.push({
      title: 'Run the migration Job',
      task: (r, t) => runMigrationJob(run, kube, r, t, { job: migrationJob, configMaps: migrationFiles }, {}, true),
    });
  return runSteps(run.out, steps, report(kube));
}
