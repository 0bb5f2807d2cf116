/**
 * Waiting for a Deployment's rollout, failing fast with the output of an init
 * container that keeps failing (the backend's `db verify`) or a container
 * that cannot start.
 * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#deployment-status
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { ExitCode, SchemagateError } from '../errors.js';
import { formatDuration } from '../util/time.js';
import { Resource, type KubeApi } from './api.js';
import { hasStatus } from './errors.js';
import type { Timers } from './job-wait.js';
import { crashingInit, type PodProblem, stuckContainer, stuckHint } from './pod-problems.js';
import { named, selectorOf } from './render/labels.js';
import { type Source, waitUntil } from './wait.js';

export interface RolloutOptions {
  name: string;
  timeoutMs: number;
  signal: AbortSignal;
  onProgress?: (line: string) => void;
}

/** `kubectl rollout status`'s rule: the controller saw the latest spec, and every replica is updated and available. */
export function rolloutDone(d: V1Deployment): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want
  );
}

export type RolloutVerdict =
  | { outcome: 'done'; replicas: number }
  | { outcome: 'missing' }
  | { outcome: 'deadline'; message: string }
  | { outcome: 'pod'; problem: PodProblem; crashing: boolean; image: string | undefined };

/** What the Deployment and its pods mean for the wait, or `undefined` to wait on. */
export function rolloutVerdict(d: V1Deployment | undefined, pods: readonly V1Pod[]): RolloutVerdict | undefined {
  if (!d) return { outcome: 'missing' };
  if (rolloutDone(d)) return { outcome: 'done', replicas: d.spec?.replicas ?? 0 };
  const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return { outcome: 'deadline', message: progressing.message ?? '' };
  for (const pod of pods) {
    const stuck = stuckContainer(pod);
    const problem = stuck ?? crashingInit(pod);
    if (!problem) continue;
    const image = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
      (c) => c.name === problem.container,
    )?.image;
    return { outcome: 'pod', problem, crashing: !stuck, image };
  }
  return undefined;
}

/** The last lines a crashing container printed: its current run, else its previous one. */
async function output(api: KubeApi, p: PodProblem): Promise<string> {
  for (const previous of [false, true]) {
    try {
      const lines = (await api.readLog(p.pod, p.container, { tailLines: 20, previous })).split('\n').filter(Boolean);
      if (lines.length) return `\n  output of ${p.container}:\n${lines.map((l) => `    ${l}`).join('\n')}`;
    } catch (e) {
      // 400: this run has not started (or there is no previous one): try the other.
      if (hasStatus(e, 400) || hasStatus(e, 404)) continue;
      return `\n  the output of ${p.container} could not be read: ${(e as Error).message}`;
    }
  }
  return '';
}

export async function waitForRollout(
  api: KubeApi,
  timers: Timers,
  opts: RolloutOptions,
): Promise<{ durationMs: number; replicas: number }> {
  const started = timers.clock.now();
  const what = `deployment/${opts.name}`;
  const deployments: Source<'deployments'> = {
    name: what,
    resource: Resource.deployments,
    selectors: { fieldSelector: named(opts.name) },
  };
  const pods: Source<'pods'> = {
    name: `pods of ${what}`,
    resource: Resource.pods,
    selectors: (v) => {
      const labels = v.items(deployments)[0]?.spec?.selector.matchLabels;
      return labels ? { labelSelector: selectorOf(labels) } : undefined;
    },
  };
  let deployment: V1Deployment | undefined;
  const verdict = await waitUntil({
    api,
    sources: [deployments, pods],
    signal: opts.signal,
    sleep: timers.sleep,
    deadlineMs: opts.timeoutMs,
    evaluate: (v) => {
      if (!v.synced(deployments)) return undefined;
      deployment = v.items(deployments)[0];
      return rolloutVerdict(deployment, v.items(pods));
    },
    timeout: () => {
      const s = deployment?.status;
      return new SchemagateError(
        'rollout.timeout',
        `timed out after ${formatDuration(opts.timeoutMs)} waiting for ${what} to roll out (${s?.updatedReplicas ?? 0} updated, ${s?.availableReplicas ?? 0} available of ${deployment?.spec?.replicas ?? '?'})`,
        {
          exitCode: ExitCode.cluster,
          hint: `kubectl -n ${api.namespace} describe deployment ${opts.name}; raise the deadline with --timeout.`,
          context: { object: what },
        },
      );
    },
    ...(opts.onProgress ? { onResume: (s: Source, why: string) => opts.onProgress?.(`${s.name}: ${why}`) } : {}),
  });
  const context = { object: what };
  switch (verdict.outcome) {
    case 'done':
      return { durationMs: timers.clock.now() - started, replicas: verdict.replicas };
    case 'missing':
      throw new SchemagateError('rollout.missing', `${what} does not exist in namespace ${api.namespace}`, {
        exitCode: ExitCode.cluster,
        context,
      });
    case 'deadline':
      throw new SchemagateError('rollout.deadline', `${what} exceeded its progress deadline: ${verdict.message}`, {
        exitCode: ExitCode.cluster,
        context,
      });
    case 'pod': {
      const p = verdict.problem;
      const out = verdict.crashing ? await output(api, p) : '';
      throw new SchemagateError(
        `rollout.${p.reason}`,
        `${what}: pod ${p.pod}, ${p.init ? 'init container' : 'container'} ${p.container}: ${p.reason}${p.message ? `: ${p.message}` : ''}${out}`,
        {
          exitCode: ExitCode.cluster,
          hint: verdict.crashing
            ? 'The init container keeps failing. If it is verify-schema, the database is not migrated: run `schemagate migrate` (or `schemagate db status` against it) and look at the output above.'
            : stuckHint(p, verdict.image),
          context,
        },
      );
    }
  }
}
