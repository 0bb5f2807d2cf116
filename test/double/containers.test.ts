import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jobManifest, nodeCommand, startHarness, waitFor, type Harness } from './helpers.js';

// Facts pinned here: pkg/kubelet/kubelet_pods.go (container statuses sorted by name),
// https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/ (native sidecars, 1.29+).
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.double.close());

const forever = nodeCommand('setInterval(()=>{},1000)');

async function read(ns: string, name: string): Promise<V1Pod> {
  return h.core.readNamespacedPod({ namespace: ns, name });
}

describe('container statuses and sidecars', () => {
  test('containerStatuses come sorted by container name, whatever the spec order (kubelet_pods.go)', async () => {
    const ns = await h.namespace('order');
    await h.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'p' },
        spec: {
          containers: ['zeta', 'alpha', 'mid'].map((name) => ({ name, image: 'node:20', command: forever })),
        },
      },
    });
    const p = await waitFor('all running', async () => {
      const pod = await read(ns, 'p');
      return pod.status?.phase === 'Running' ? pod : undefined;
    });
    expect(p.status?.containerStatuses?.map((s) => s.name)).toEqual(['alpha', 'mid', 'zeta']);
  });

  test('a sidecar starts before the next init container, runs beside the containers and is restarted when it exits (sidecar-containers/)', async () => {
    const ns = await h.namespace('sidecar');
    await h.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'p' },
        spec: {
          restartPolicy: 'Never',
          initContainers: [
            // Exits after a moment, restarted although the pod's restartPolicy is Never.
            { name: 'proxy', image: 'node:20', restartPolicy: 'Always', command: nodeCommand('setTimeout(()=>{},50)') },
            { name: 'setup', image: 'node:20', command: nodeCommand('') },
          ],
          containers: [{ name: 'app', image: 'node:20', command: forever }],
        },
      },
    });
    const p = await waitFor('the sidecar restarted while app runs', async () => {
      const pod = await read(ns, 'p');
      const proxy = pod.status?.initContainerStatuses?.find((s) => s.name === 'proxy');
      return pod.status?.phase === 'Running' && (proxy?.restartCount ?? 0) >= 1 ? pod : undefined;
    });
    expect(p.status?.initContainerStatuses?.map((s) => s.name)).toEqual(['proxy', 'setup']);
    expect(p.status?.initContainerStatuses?.[1]?.state?.terminated?.reason).toBe('Completed');
    expect(p.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
  });

  test("a Job's pod with a sidecar completes when its container does: the sidecar is stopped and the Job is Complete", async () => {
    const ns = await h.namespace('sidecar-job');
    const body = jobManifest('migrate', 'setTimeout(()=>{},30)');
    (body.spec.template.spec as Record<string, unknown>)['initContainers'] = [
      { name: 'proxy', image: 'node:20', restartPolicy: 'Always', command: forever },
    ];
    await h.batch.createNamespacedJob({ namespace: ns, body });
    const job = await waitFor('Complete', async () => {
      const j = await h.batch.readNamespacedJob({ namespace: ns, name: 'migrate' });
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    });
    expect(job.status?.succeeded).toBe(1);
    const [pod] = (await h.core.listNamespacedPod({ namespace: ns, labelSelector: 'job-name=migrate' })).items;
    expect(pod?.status?.phase).toBe('Succeeded');
    expect(pod?.status?.initContainerStatuses?.[0]?.state?.terminated).toBeDefined();
  });
});
