/**
 * `check --cluster`'s look at `backend.dependencies`: the CLI runs outside
 * the cluster, where `redis://redis:6379` means nothing, so a one-off Job
 * runs the backend's own `wait-for-dependencies` inside it (a short
 * deadline, `--json`) and its report says how each target answered.
 */
import type { Kube } from '../kube/index.js';
import { DEPENDENCY_CHECK_TIMEOUT, renderDependencyJob } from '../kube/render/dependency-job.js';
import type { Check } from './check.js';
import type { ClusterRun } from './cluster-run.js';

/** What `schemagate wait --json` prints when every target answered. */
interface WaitReport {
  ok: boolean;
  targets: { target: string; ok: boolean; answer?: string; attempts: number }[];
}

const NAME = 'dependencies (from the cluster)';

function nonce(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** Undefined when the backend has no dependencies. */
export async function dependencyCheck(run: ClusterRun, kube: Kube): Promise<Check | undefined> {
  const job = renderDependencyJob(run.config, { image: run.image, namespace: run.namespace, nonce: nonce() });
  if (!job) return undefined;
  const r = await kube.runDbJob<WaitReport>(job, {
    timeoutMs: run.timeoutMs,
    signal: run.signal,
    onProgress: (line) => run.out.warn(line),
  });
  if ('error' in r) {
    return {
      name: NAME,
      ok: false,
      detail: r.error,
      hint: `Asked from a pod in namespace ${run.namespace} for ${DEPENDENCY_CHECK_TIMEOUT}, as the backend's wait-for-dependencies asks. Start or fix what does not answer (kubectl -n ${run.namespace} get pods,services), or correct its url or password Secret in backend.dependencies.`,
    };
  }
  return {
    name: NAME,
    ok: true,
    detail: r.targets.map((t) => `${t.target}: ${t.answer ?? 'answers'}`).join('\n'),
  };
}
