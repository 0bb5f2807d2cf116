/**
 * Waiting for a Deployment's rollout: watches it, its ReplicaSets, its pods
 * and the current ReplicaSet's events, and fails fast on what never heals:
 * an init container that keeps failing (the backend's `db verify`, with its
 * output), a container that cannot start, pods admission refuses
 * (ReplicaFailure, FailedCreate), a pod no node takes.
 * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#deployment-status
 */
import { ExitCode, SchemagateError } from '../errors.js';
import { formatDuration } from '../util/time.js';
import { Resource, type KubeApi } from './api.js';
import { hasStatus } from './errors.js';
import { DependencyProgress } from './dependency-progress.js';
import { admissionHint } from './failed-create.js';
import type { Timers } from './job-wait.js';
import { type PodProblem, stuckHint, unschedulable } from './pod-problems.js';
import { DEPENDENCIES_INIT_CONTAINER } from './render/dependency-init.js';
import { named } from './render/labels.js';
import {
  currentPods,
  currentReplicaSet,
  rolloutRecheck,
  rolloutStateKeys,
  rolloutVerdict,
  type RolloutObservation,
  type RolloutVerdict,
} from './rollout-verdict.js';
import { selectorString } from './selector.js';
import { WaitMemory } from './wait-memory.js';
import { type Source, type View, waitUntil } from './wait.js';

export { rolloutDone, rolloutVerdict, type RolloutVerdict } from './rollout-verdict.js';

export interface RolloutOptions {
  name: string;
  timeoutMs: number;
  signal: AbortSignal;
  /** How long a pod may stay unschedulable before the wait fails with the scheduler's message. @default 60 s */
  unschedulableGraceMs?: number;
  onProgress?: (line: string) => void;
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
  const bySelector = (v: View) => {
    const labelSelector = selectorString(v.items(deployments)[0]?.spec?.selector);
    return labelSelector ? { labelSelector } : undefined;
  };
  const replicaSets: Source<'replicasets'> = {
    name: `replicasets of ${what}`,
    resource: Resource.replicasets,
    selectors: bySelector,
  };
  const pods: Source<'pods'> = { name: `pods of ${what}`, resource: Resource.pods, selectors: bySelector };
  const events: Source<'events'> = {
    name: `events of the current replicaset of ${what}`,
    resource: Resource.events,
    selectors: (v) => {
      const d = v.items(deployments)[0];
      const uid = d && currentReplicaSet(d, v.items(replicaSets))?.metadata?.uid;
      return uid ? { fieldSelector: `involvedObject.uid=${uid}` } : undefined;
    },
  };
  // The Deployment was there before this wait (the caller applied it): refusals it already showed are stale.
  const memory = new WaitMemory(timers.clock, true);
  const noted = new Set<string>();
  let last: RolloutObservation | undefined;
  const dependencies = new DependencyProgress(api, timers.sleep, (l) => opts.onProgress?.(l));
  const verdict = await waitUntil({
    api,
    sources: [deployments, replicaSets, pods, events],
    signal: opts.signal,
    sleep: timers.sleep,
    deadlineMs: opts.timeoutMs,
    evaluate: (v) => {
      if (!v.synced(deployments)) return undefined;
      const o: RolloutObservation = {
        deployment: v.items(deployments)[0],
        replicaSets: v.items(replicaSets),
        pods: v.items(pods),
        events: v.synced(events) ? v.items(events) : [],
        memory,
        ...(opts.unschedulableGraceMs === undefined ? {} : { unschedulableGraceMs: opts.unschedulableGraceMs }),
      };
      const complete = !o.deployment || (v.synced(replicaSets) && v.synced(pods) && v.synced(events));
      memory.look(rolloutStateKeys(o), complete);
      last = o;
      const result = rolloutVerdict(o);
      if (!result) {
        note(o, noted, opts);
        if (opts.onProgress) dependencies.look(currentPods(o));
      }
      return result;
    },
    recheck: () => (last ? rolloutRecheck(last) : undefined),
    timeout: () => {
      const d = last?.deployment;
      const s = d?.status;
      const waiting = last ? dependencies.waiting(currentPods(last)) : [];
      return new SchemagateError(
        'rollout.timeout',
        `timed out after ${formatDuration(opts.timeoutMs)} waiting for ${what} to roll out (${s?.updatedReplicas ?? 0} updated, ${s?.availableReplicas ?? 0} available of ${d?.spec?.replicas ?? '?'})${waiting.map((w) => `\n  ${w}`).join('')}`,
        {
          exitCode: ExitCode.cluster,
          hint: waiting.length
            ? `A dependency in backend.dependencies does not answer: start it or fix it (kubectl -n ${api.namespace} get pods,services), or raise --timeout above backend.waitTimeout.`
            : `kubectl -n ${api.namespace} describe deployment ${opts.name}; raise the deadline with --timeout.`,
          context: { object: what },
        },
      );
    },
    ...(opts.onProgress ? { onResume: (s: Source, why: string) => opts.onProgress?.(`${s.name}: ${why}`) } : {}),
  }).finally(() => dependencies.stop());
  if (verdict.outcome === 'done') return { durationMs: timers.clock.now() - started, replicas: verdict.replicas };
  throw await rolloutError(api, what, verdict);
}

/** Says once per pod that it waits for a node, and for how long the wait allows it. */
function note(o: RolloutObservation, noted: Set<string>, opts: RolloutOptions): void {
  const grace = Math.round((opts.unschedulableGraceMs ?? 60_000) / 1000);
  for (const p of o.pods) {
    const u = unschedulable(p);
    if (!u || noted.has(u.key)) continue;
    noted.add(u.key);
    opts.onProgress?.(`pod ${u.pod} is unschedulable: ${u.message} (giving up after ${grace}s unless it is scheduled)`);
  }
}

async function rolloutError(
  api: KubeApi,
  what: string,
  verdict: Exclude<RolloutVerdict, { outcome: 'done' }>,
): Promise<SchemagateError> {
  const context = { object: what };
  const exitCode = ExitCode.cluster;
  switch (verdict.outcome) {
    case 'missing':
      return new SchemagateError('rollout.missing', `${what} does not exist in namespace ${api.namespace}`, {
        exitCode,
        context,
      });
    case 'deadline':
      return new SchemagateError('rollout.deadline', `${what} exceeded its progress deadline: ${verdict.message}`, {
        exitCode,
        context,
      });
    case 'refused':
      return new SchemagateError('rollout.FailedCreate', `${what} cannot create its pods: ${verdict.message}`, {
        exitCode,
        hint: admissionHint(verdict.message, api.namespace, 'resources of the containers in k8s/backend.yaml'),
        context,
      });
    case 'unschedulable':
      return new SchemagateError(
        'rollout.Unschedulable',
        `${what}: pod ${verdict.pod} could not be scheduled for ${Math.round(verdict.forMs / 1000)}s: ${verdict.message}`,
        {
          exitCode,
          hint: 'No node has room for the pod. Lower the requests of the containers in k8s/backend.yaml or kubernetes.backend.replicas, free or add capacity (kubectl describe nodes), or give an autoscaler more time with kubernetes.schedulingTimeout.',
          context,
        },
      );
    case 'pod': {
      const p = verdict.problem;
      const out = verdict.crashing ? await output(api, p) : '';
      return new SchemagateError(
        `rollout.${p.reason}`,
        `${what}: pod ${p.pod}, ${p.init ? 'init container' : 'container'} ${p.container}: ${p.reason}${p.message ? `: ${p.message}` : ''}${out}`,
        {
          exitCode,
          hint:
            p.container === DEPENDENCIES_INIT_CONTAINER
              ? `A dependency in backend.dependencies did not answer within backend.waitTimeout (the output above names it, with its last error). Start or fix it (kubectl -n ${api.namespace} get pods,services), correct its url or password Secret in schemagate.yaml, or raise backend.waitTimeout; then run the command again: it replaces the failing pods.`
              : verdict.crashing
                ? 'The init container keeps failing. If it is verify-schema, the database is not migrated: run `schemagate migrate` (or `schemagate db status` against it) and look at the output above. Run the command again once it is fixed: it replaces the failing pods.'
                : stuckHint(p, verdict.image, api.context),
          context,
        },
      );
    }
  }
}
