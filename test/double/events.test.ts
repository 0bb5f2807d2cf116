import type { CoreV1Event } from '@kubernetes/client-node';
import { Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nodeCommand, startHarness, waitFor, type Harness } from './helpers.js';

// Facts pinned here: https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/,
// https://kubernetes.io/docs/concepts/overview/working-with-objects/field-selectors/ (involvedObject.* on events),
// staging/src/k8s.io/client-go/tools/record/events_cache.go (a repeated event is one Event with count + 1),
// pkg/kubelet/kuberuntime/kuberuntime_manager.go (BackOff "Back-off restarting failed container").
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.double.close());

describe('core/v1 Events', () => {
  test("a watch with a field selector on involvedObject.name sees a crashing pod's BackOff added, then its count go up", async () => {
    const ns = await h.namespace('events');
    const seen: [string, string, number][] = [];
    const req = await new Watch(h.kc).watch(
      `/api/v1/namespaces/${ns}/events`,
      { fieldSelector: 'involvedObject.name=crash,reason=BackOff' },
      (type, e: CoreV1Event) => seen.push([type, e.message ?? '', e.count ?? 0]),
      () => undefined,
    );
    try {
      await h.core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: 'crash' },
          spec: { containers: [{ name: 'c', image: 'node:20', command: nodeCommand('process.exit(2)') }] },
        },
      });
      await h.core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: 'other' },
          spec: { containers: [{ name: 'c', image: 'node:20', command: nodeCommand('process.exit(2)') }] },
        },
      });
      await waitFor('BackOff counted twice', () => seen.some(([, , n]) => n >= 2));
    } finally {
      req.abort();
    }
    expect(seen[0]).toEqual(['ADDED', 'Back-off restarting failed container', 1]);
    expect(seen.slice(1).every(([type]) => type === 'MODIFIED')).toBe(true);
    const pod = await h.core.readNamespacedPod({ namespace: ns, name: 'crash' });
    const byUid = await h.core.listNamespacedEvent({
      namespace: ns,
      fieldSelector: `involvedObject.uid=${pod.metadata!.uid}`,
    });
    expect(new Set(byUid.items.map((e) => e.involvedObject.name))).toEqual(new Set(['crash']));
    expect(byUid.items.map((e) => e.reason)).toEqual(expect.arrayContaining(['Scheduled', 'Started', 'BackOff']));
    // Listed in the order they happened (names are <object>.<hex nanoseconds>).
    expect(byUid.items[0]?.reason).toBe('Scheduled');
  });

  test('an unsupported field selector is a 400 naming the fields events support', async () => {
    const ns = await h.namespace('events-bad');
    const r = await fetch(`${h.double.server}/api/v1/namespaces/${ns}/events?fieldSelector=message%3Dx`);
    expect(r.status).toBe(400);
    expect(((await r.json()) as { message: string }).message).toMatch(/^field label not supported: message/);
  });
});
