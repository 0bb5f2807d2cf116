import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { ExitCode, SchemagateError } from '../errors.js';
import { formatDuration } from '../util/time.js';
import type { Cluster } from './client.js';
import { crashingInit, stuckContainer, stuckHint } from './pod-problems.js';
import { observe } from './watch.js';

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

/**
 * Waits for a Deployment's rollout, failing fast with the output of an init
 * container that keeps failing (the backend's `db verify`) or a container
 * that cannot start.
 * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#deployment-status
 */
export async function waitForRollout(
  cluster: Cluster,
  opts: RolloutOptions,
): Promise<{ durationMs: number; replicas: number }> {
  const ns = cluster.namespace;
  const started = performance.now();
  const stop = new AbortController();
  let deployment: V1Deployment | undefined;
  const pods = new Map<string, V1Pod>();
  let podsWatched = false;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stop.abort();
      if (err) reject(err);
      else resolve({ durationMs: performance.now() - started, replicas: deployment?.spec?.replicas ?? 0 });
    };
    const timer = setTimeout(() => {
      const s = deployment?.status;
      finish(
        new SchemagateError(
          'rollout.timeout',
          `timed out after ${formatDuration(opts.timeoutMs)} waiting for deployment/${opts.name} to roll out (${s?.updatedReplicas ?? 0} updated, ${s?.availableReplicas ?? 0} available of ${deployment?.spec?.replicas ?? '?'})`,
          {
            exitCode: ExitCode.cluster,
            hint: `kubectl -n ${ns} describe deployment ${opts.name}; raise the deadline with --timeout.`,
            context: { object: `deployment/${opts.name}` },
          },
        ),
      );
    }, opts.timeoutMs);
    opts.signal.addEventListener(
      'abort',
      () => finish(opts.signal.reason instanceof Error ? opts.signal.reason : new Error('aborted')),
      { once: true },
    );

    const podFailure = async (pod: V1Pod): Promise<boolean> => {
      const stuck = stuckContainer(pod);
      const crash = stuck ? undefined : crashingInit(pod);
      const p = stuck ?? crash;
      if (!p) return false;
      let output = '';
      if (crash) {
        const text = await cluster.core
          .readNamespacedPodLog({ name: p.pod, namespace: ns, container: p.container, tailLines: 20 })
          .catch(() =>
            cluster.core.readNamespacedPodLog({
              name: p.pod,
              namespace: ns,
              container: p.container,
              tailLines: 20,
              previous: true,
            }),
          )
          .catch(() => '');
        const lines = String(text).split('\n').filter(Boolean);
        if (lines.length) output = `\n  output of ${p.container}:\n${lines.map((l) => `    ${l}`).join('\n')}`;
      }
      const image = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
        (c) => c.name === p.container,
      )?.image;
      finish(
        new SchemagateError(
          `rollout.${p.reason}`,
          `deployment/${opts.name}: pod ${p.pod}, ${p.init ? 'init container' : 'container'} ${p.container}: ${p.reason}${p.message ? `: ${p.message}` : ''}${output}`,
          {
            exitCode: ExitCode.cluster,
            hint: crash
              ? `The init container keeps failing. If it is verify-schema, the database is not migrated: run \`schemagate migrate\` (or \`schemagate db status\` against it) and look at the output above.`
              : stuckHint(p, image),
            context: { object: `deployment/${opts.name}` },
          },
        ),
      );
      return true;
    };

    const evaluate = async () => {
      if (settled || !deployment) return;
      if (rolloutDone(deployment)) {
        finish(undefined);
        return;
      }
      const progressing = deployment.status?.conditions?.find((c) => c.type === 'Progressing');
      if (progressing?.reason === 'ProgressDeadlineExceeded') {
        finish(
          new SchemagateError(
            'rollout.deadline',
            `deployment/${opts.name} exceeded its progress deadline: ${progressing.message ?? ''}`,
            { exitCode: ExitCode.cluster, context: { object: `deployment/${opts.name}` } },
          ),
        );
        return;
      }
      for (const pod of pods.values()) if (await podFailure(pod)) return;
    };

    const watchPods = (selector: string) => {
      podsWatched = true;
      void observe<V1Pod>({
        cluster,
        path: `/api/v1/namespaces/${ns}/pods`,
        query: { labelSelector: selector },
        list: () => cluster.core.listNamespacedPod({ namespace: ns, labelSelector: selector }),
        onSync: (items) => {
          pods.clear();
          for (const p of items) pods.set(p.metadata!.name!, p);
          void evaluate();
        },
        onEvent: (type, p) => {
          if (type === 'DELETED') pods.delete(p.metadata!.name!);
          else pods.set(p.metadata!.name!, p);
          void evaluate();
        },
        signal: stop.signal,
      }).catch((e: unknown) => finish(e as Error));
    };

    const seen = (d: V1Deployment | undefined) => {
      if (!d) {
        finish(
          new SchemagateError('rollout.missing', `deployment/${opts.name} does not exist in namespace ${ns}`, {
            exitCode: ExitCode.cluster,
            context: { object: `deployment/${opts.name}` },
          }),
        );
        return;
      }
      deployment = d;
      const labels = d.spec?.selector?.matchLabels;
      if (!podsWatched && labels)
        watchPods(
          Object.entries(labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        );
      void evaluate();
    };

    void observe<V1Deployment>({
      cluster,
      path: `/apis/apps/v1/namespaces/${ns}/deployments`,
      query: { fieldSelector: `metadata.name=${opts.name}` },
      list: () => cluster.apps.listNamespacedDeployment({ namespace: ns, fieldSelector: `metadata.name=${opts.name}` }),
      onSync: (items) => seen(items[0]),
      onEvent: (type, d) => seen(type === 'DELETED' ? undefined : d),
      signal: stop.signal,
      ...(opts.onProgress ? { onResume: (why: string) => opts.onProgress!(`deployment/${opts.name}: ${why}`) } : {}),
    }).catch((e: unknown) => finish(e as Error));
  });
}
