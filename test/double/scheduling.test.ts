import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { podRequests, quantity } from '../support/kube-double/scheduler.js';
import { startHarness, waitFor, type Harness } from './helpers.js';

// Facts pinned here: pkg/scheduler/schedule_one.go and pkg/scheduler/framework/types.go (FitError),
// pkg/scheduler/framework/plugins/noderesources/fit.go, nodeunschedulable (Kubernetes 1.31);
// https://kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ node: { cpu: '1', memory: '1Gi' } });
});
afterAll(() => h.double.close());

const pod = (name: string, requests: Record<string, string>) => ({
  metadata: { name },
  spec: {
    containers: [
      { name: 'c', image: 'node:20', command: ['node', '-e', 'setInterval(()=>{},1000)'], resources: { requests } },
    ],
  },
});

async function scheduled(ns: string, name: string) {
  return waitFor(`PodScheduled of ${name}`, async () => {
    const p = await h.core.readNamespacedPod({ namespace: ns, name });
    return p.status?.conditions?.find((c) => c.type === 'PodScheduled') ? p : undefined;
  });
}

describe('scheduler', () => {
  test('a pod whose requests do not fit stays Pending with PodScheduled=False Unschedulable, the scheduler message and a FailedScheduling event', async () => {
    const ns = await h.namespace('sched');
    await h.core.createNamespacedPod({ namespace: ns, body: pod('big', { cpu: '2', memory: '2Gi' }) });
    const p = await scheduled(ns, 'big');
    const message =
      '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..';
    expect(p.status?.phase).toBe('Pending');
    expect(p.spec?.nodeName).toBeUndefined();
    expect(p.status?.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message,
    });
    const ev = await h.core.listNamespacedEvent({
      namespace: ns,
      fieldSelector: `involvedObject.name=big,reason=FailedScheduling`,
    });
    expect(ev.items[0]).toMatchObject({ type: 'Warning', message, source: { component: 'default-scheduler' } });
  });

  test('requests add up on the node: the second pod waits until the first one is gone, then is bound and runs', async () => {
    const ns = await h.namespace('sched-fill');
    await h.core.createNamespacedPod({ namespace: ns, body: pod('first', { cpu: '600m' }) });
    await waitFor(
      'first running',
      async () => (await h.core.readNamespacedPod({ namespace: ns, name: 'first' })).status?.phase === 'Running',
    );
    await h.core.createNamespacedPod({ namespace: ns, body: pod('second', { cpu: '500m' }) });
    const p = await scheduled(ns, 'second');
    expect(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..',
    );
    await h.core.deleteNamespacedPod({ namespace: ns, name: 'first', gracePeriodSeconds: 0 });
    const running = await waitFor('second running', async () => {
      const s = await h.core.readNamespacedPod({ namespace: ns, name: 'second' });
      return s.status?.phase === 'Running' ? s : undefined;
    });
    expect(running.spec?.nodeName).toBe('schemagate-double-control-plane');
    expect(running.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    await h.core.deleteNamespacedPod({ namespace: ns, name: 'second', gracePeriodSeconds: 0 });
  });

  test('a cordoned node takes no pod ("node(s) were unschedulable"); uncordoning schedules it', async () => {
    const ns = await h.namespace('sched-cordon');
    h.double.setNode({ unschedulable: true });
    await h.core.createNamespacedPod({ namespace: ns, body: pod('p', {}) });
    const p = await scheduled(ns, 'p');
    expect(p.status?.conditions?.[0]?.message).toBe(
      '0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..',
    );
    h.double.setNode({ unschedulable: false });
    await waitFor('p bound', async () => (await h.core.readNamespacedPod({ namespace: ns, name: 'p' })).spec?.nodeName);
  });

  test("a pod's effective request is its containers and sidecars together, or its largest init container (manage-resources-containers)", () => {
    const req = (cpu: string) => ({ resources: { requests: { cpu } } });
    const p = {
      spec: {
        initContainers: [req('2'), { ...req('100m'), restartPolicy: 'Always' }],
        containers: [req('500m'), req('250m')],
      },
    } as never;
    expect(podRequests(p).cpu).toBe(2000);
    expect(quantity('1.5Gi', 'memory')).toBe(1.5 * 1024 ** 3);
    expect(quantity('250m', 'cpu')).toBe(250);
  });
});
