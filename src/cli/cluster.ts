import { ExitCode, SchemagateError } from '../errors.js';
import { type Options, flag, str } from './args.js';
import type { CommandContext, DbCommand } from './db.js';
import { configFrom, durationFlag } from './engine-options.js';
import { statusExitCode } from './print-status.js';

/** Flags of the cluster commands (the `--local` ones run the same steps on the embedded PostgreSQL). */
export const clusterOptions: Options = {
  local: { type: 'boolean', description: 'run against the embedded PostgreSQL instead of a cluster' },
  'data-dir': {
    type: 'string',
    description: "with --local: the embedded PostgreSQL's folder (default: local.dataDir)",
    value: 'DIR',
  },
  port: { type: 'string', description: 'with --local: its port (default: local.port)', value: 'PORT' },
  namespace: {
    type: 'string',
    short: 'n',
    description: 'Kubernetes namespace (default: kubernetes.namespace)',
    value: 'NS',
  },
  context: {
    type: 'string',
    description: 'kubeconfig context (default: kubernetes.context, then the current one)',
    value: 'NAME',
  },
  timeout: { type: 'string', description: 'deadline of each wait (default: kubernetes.timeout)', value: 'DURATION' },
  image: { type: 'string', description: 'image the Jobs run (Tilt passes the one it built)', value: 'IMAGE' },
};

const runLocal = async (...a: Parameters<typeof import('./local-pipeline.js').runLocalPipeline>) =>
  (await import('./local-pipeline.js')).runLocalPipeline(...a);

function clusterRun(c: CommandContext): import('../tasks/cluster.js').ClusterRun {
  const config = configFrom(c.args, c.env);
  const k = config.kubernetes;
  return {
    config,
    out: c.out,
    signal: c.signal,
    namespace: str(c.args, 'namespace') ?? k.namespace,
    context: str(c.args, 'context') ?? k.context,
    image: str(c.args, 'image') ?? k.image,
    timeoutMs: durationFlag(c.args, 'timeout') ?? k.timeoutMs,
    allowContext: str(c.args, 'allow-context'),
    env: c.env,
  };
}

/** The end of a cluster pipeline: the summary (or, with --json, the report). */
function finish(c: CommandContext, r: import('../tasks/cluster.js').ClusterReport, started: number): ExitCode {
  const seconds = (performance.now() - started) / 1000;
  c.out.data({ ...r, seconds });
  if (!c.out.json) {
    c.out.result('');
    for (const line of r.summary) c.out.result(`  ${line}`);
    if (r.backend) {
      c.out.result(
        `  backend: kubectl -n ${r.namespace} port-forward deployment/${r.backend.name} 8080${r.backend.service ? ` (service/${r.backend.service})` : ''}`,
      );
    }
    c.out.result(`done in ${seconds.toFixed(1)}s`);
  }
  return ExitCode.ok;
}

async function cluster(c: CommandContext, step: 'up' | 'migrate' | 'seed' | 'reset'): Promise<ExitCode> {
  const run = clusterRun(c);
  const tasks = await import('../tasks/cluster.js');
  const started = performance.now();
  const ctx =
    step === 'up'
      ? await tasks.up(run)
      : step === 'migrate'
        ? await tasks.migrate(run, { rerun: flag(c.args, 'rerun'), cleanup: flag(c.args, 'cleanup') })
        : step === 'seed'
          ? await tasks.seed(run)
          : await tasks.reset(run);
  return finish(c, ctx, started);
}

function cmd(
  usage: string,
  summary: string,
  options: Options,
  run: (c: CommandContext) => Promise<ExitCode>,
): DbCommand {
  return { usage, summary, options: { ...clusterOptions, ...options }, positionals: 0, run };
}

export const clusterCommands = {
  up: cmd(
    'schemagate up [--local [--fresh] [--keep]]',
    'Bring the schema up: migrate, seed, verify. In a cluster: migration Job, seed Job (suspended), backend release and rollout.',
    {
      fresh: { type: 'boolean', description: 'with --local: delete the embedded data and start over' },
      keep: {
        type: 'boolean',
        description: 'with --local: leave the embedded PostgreSQL running (schemagate local stop stops it)',
      },
    },
    async (c) =>
      flag(c.args, 'local')
        ? runLocal(c, ['migrate', 'seed', 'verify', 'status'], { fresh: flag(c.args, 'fresh') })
        : cluster(c, 'up'),
  ),
  migrate: cmd(
    'schemagate migrate [--local] [--rerun]',
    'Apply pending migrations (in a cluster: run, or re-attach to, the migration Job and wait for it).',
    {
      rerun: {
        type: 'boolean',
        description:
          'run the migration Job again even if a Job of the same content completed (after the database was recreated)',
      },
      cleanup: { type: 'boolean', description: 'delete the migration Job (and its pods) once it completed' },
    },
    async (c) => (flag(c.args, 'local') ? runLocal(c, ['migrate']) : cluster(c, 'migrate')),
  ),
  seed: cmd(
    'schemagate seed [--local] [--force]',
    'Run the seeds (in a cluster: resume the suspended seed Job, recreating it if it already ran).',
    { force: { type: 'boolean', description: 'with --local: run every seed again' } },
    async (c) => (flag(c.args, 'local') ? runLocal(c, ['seed'], { force: flag(c.args, 'force') }) : cluster(c, 'seed')),
  ),
  reset: cmd(
    'schemagate reset [--local --yes] [--allow-context NAME]',
    'Drop and recreate the schema, then migrate. In a cluster only on local contexts (kind-*, docker-desktop, k3d-*, minikube, rancher-desktop, orbstack, kubernetes.allowedContexts).',
    {
      'allow-context': {
        type: 'string',
        description: 'allow this one non-local context (refused when CI is set)',
        value: 'NAME',
      },
      yes: {
        type: 'boolean',
        description: 'with --local: confirm that the schema may be dropped (asked in a terminal)',
      },
    },
    async (c) => (flag(c.args, 'local') ? runLocal(c, ['reset', 'migrate']) : cluster(c, 'reset')),
  ),
  status: cmd(
    'schemagate status [--local] [--json]',
    "Migration and seed Jobs, the backend rollout, and the database's applied and pending migrations.",
    {},
    async (c) => {
      if (flag(c.args, 'local')) return runLocal(c, ['status']);
      const { clusterStatus } = await import('../tasks/cluster-status.js');
      const { printClusterStatus } = await import('./print-cluster-status.js');
      const s = await clusterStatus(clusterRun(c));
      c.out.data(s);
      if (!c.out.json) printClusterStatus(c.out, s);
      return 'error' in s.database ? ExitCode.cluster : statusExitCode(s.database);
    },
  ),
  verify: cmd(
    'schemagate verify [--local] [--json]',
    'Check that the database is what the application needs (db verify, in a one-off Job; --local: on the embedded PostgreSQL). Exit 8 if not.',
    {},
    async (c) => {
      if (flag(c.args, 'local')) return runLocal(c, ['verify']);
      const run = clusterRun(c);
      const { verifyInCluster } = await import('../tasks/cluster-status.js');
      const r = await verifyInCluster(run);
      c.out.data(r);
      if ('error' in r) {
        if (c.out.json) return ExitCode.cluster;
        throw new SchemagateError('verify.job', `the verify Job could not check the database: ${r.error}`, {
          exitCode: ExitCode.cluster,
        });
      }
      if (r.ok) {
        c.out.result(
          `schema verified: version ${r.current ?? '(none)'}, ${run.config.verify.tables.length} required tables present`,
        );
        return ExitCode.ok;
      }
      const { VerifyError } = await import('../engine/verify.js');
      if (c.out.json) return ExitCode.verify;
      throw new VerifyError(r);
    },
  ),
  check: cmd(
    'schemagate check [--cluster] [--json]',
    "Check a setup without changing anything: configuration, migrations and seeds parse (PostgreSQL's own parser) and validate, manifests render; with --cluster, the API server accepts them (dry run) and the database is current.",
    { cluster: { type: 'boolean', description: 'also check against the cluster of the kubeconfig' } },
    async (c) => {
      const { offlineChecks, lintChecks, manifestChecks, clusterChecks } = await import('../tasks/check.js');
      let checks: import('../tasks/check.js').Check[];
      try {
        const run = clusterRun(c);
        checks = await (await import('./syntax-checks.js')).withSyntaxChecks(run.config, offlineChecks(run.config));
        checks.push(...(await lintChecks(run.config, checks, c.signal)));
        const manifests = manifestChecks(run.config, run.image, run.namespace);
        checks.push(...manifests.checks);
        if (flag(c.args, 'cluster') && manifests.objects) checks.push(...(await clusterChecks(run, manifests.objects)));
      } catch (e) {
        // A configuration that does not load is the check's finding; anything else is a bug and propagates.
        if (!(e instanceof SchemagateError)) throw e;
        checks = [{ name: 'configuration', ok: false, detail: e.message, hint: e.hint }];
      }
      c.out.data({ ok: checks.every((x) => x.ok), checks });
      for (const x of checks) {
        const [first, ...rest] = x.detail.split('\n');
        c.out.result(`${x.ok ? c.out.paint('green', 'ok  ') : c.out.paint('red', 'FAIL')}  ${x.name}: ${first}`);
        for (const line of rest) c.out.result(`        ${line}`);
        if (!x.ok && x.hint) c.out.result(`        hint: ${x.hint}`);
      }
      const bad = checks.filter((x) => !x.ok);
      c.out.result(
        bad.length ? `${bad.length} of ${checks.length} checks failed` : `all ${checks.length} checks passed`,
      );
      if (bad.length === 0) return ExitCode.ok;
      if (bad.some((x) => ['configuration', 'migrations', 'seeds', 'manifests'].includes(x.name)))
        return ExitCode.validation;
      return bad.every((x) => x.name === 'lint') ? ExitCode.lint : ExitCode.cluster;
    },
  ),
  render: cmd(
    'schemagate render [--image IMAGE] [--namespace NS] [--show-secrets] [--for tilt|argocd|flux|helm|kustomize [--out DIR]]',
    'Print every manifest that would be submitted, as YAML (no cluster needed). Secret values are hidden unless --show-secrets.',
    {
      'show-secrets': {
        type: 'boolean',
        description: "print the Secrets' values (e.g. to pipe into kubectl apply -f -)",
      },
      for: {
        type: 'string',
        description:
          'tilt: what the Tiltfile deploys, as JSON (Secret values included); argocd, flux, helm, kustomize: the migration Job and backend for a shared cluster (no Secrets, postgres or seed Job)',
        value: 'TOOL',
      },
      out: {
        type: 'string',
        description:
          'with --for argocd|flux|helm|kustomize: write the files into this folder (helm and kustomize need it)',
        value: 'DIR',
      },
    },
    async (c) => {
      const target = str(c.args, 'for');
      if (target !== undefined) return (await import('./render-for.js')).renderFor(c, target);
      const run = clusterRun(c);
      const { renderAll, toYaml } = await import('../kube/render/index.js');
      const { renderInputs } = await import('../tasks/render-inputs.js');
      const objects = renderAll(run.config, {
        image: run.image,
        namespace: run.namespace,
        ...renderInputs(run.config),
      });
      const shown = flag(c.args, 'show-secrets') ? objects : objects.map(hideSecretValues);
      if (c.out.json) c.out.data(shown);
      // Written as is: with --show-secrets the output is meant for kubectl, passwords included.
      else process.stdout.write(toYaml(shown));
      return ExitCode.ok;
    },
  ),
} satisfies Record<string, DbCommand>;

/** A Secret with every value replaced by `<hidden>`: output never shows a password unless asked to. */
function hideSecretValues<T extends { kind?: string }>(o: T): T {
  if (o.kind !== 'Secret') return o;
  const s = o as T & { data?: Record<string, string>; stringData?: Record<string, string> };
  const hide = (m: Record<string, string> | undefined) =>
    m ? Object.fromEntries(Object.keys(m).map((k) => [k, '<hidden: schemagate render --show-secrets>'])) : undefined;
  return {
    ...s,
    ...(s.data ? { data: hide(s.data) } : {}),
    ...(s.stringData ? { stringData: hide(s.stringData) } : {}),
  };
}
