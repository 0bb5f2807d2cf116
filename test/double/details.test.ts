import { Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { strategicMergePatch } from '../support/kube-double/patch.js';
import { nodeCommand, podStatus, startHarness, waitFor, type Harness } from './helpers.js';

// Smaller API details the double imitates, each with its reference.
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.double.close());

const json = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${h.double.server}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
};

describe('API details', () => {
  test('limitBytes cuts the log and sinceSeconds drops older lines (reference/kubernetes-api/workload-resources/pod-v1/#get-read-log-of-the-specified-pod)', async () => {
    const ns = await h.namespace('log-limits');
    await h.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'p' },
        spec: {
          restartPolicy: 'Never',
          containers: [
            { name: 'c', image: 'node:20', command: nodeCommand('console.log("abcdef"); console.log("ghij")') },
          ],
        },
      },
    });
    await waitFor('Succeeded', () => podStatus(h.double.get('pods', ns, 'p'))?.phase === 'Succeeded');
    expect(await h.core.readNamespacedPodLog({ namespace: ns, name: 'p', limitBytes: 4 })).toBe('abcd');
    expect(await h.core.readNamespacedPodLog({ namespace: ns, name: 'p', sinceSeconds: 3600 })).toBe('abcdef\nghij\n');
  });

  test('a watch with timeoutSeconds ends after that time (reference/using-api/api-concepts/#efficient-detection-of-changes)', async () => {
    const ns = await h.namespace('watch-timeout');
    let ended = false;
    await new Watch(h.kc).watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { timeoutSeconds: 1 },
      () => undefined,
      () => {
        ended = true;
      },
    );
    await waitFor('the watch to end', () => ended, 5000);
  });

  test('DELETE on a collection deletes the selected objects (reference/kubernetes-api/config-and-storage-resources/config-map-v1/#delete-delete-collection-of-configmap)', async () => {
    const ns = await h.namespace('deletecollection');
    for (const [name, tier] of [
      ['a', 'x'],
      ['b', 'x'],
      ['c', 'y'],
    ] as const) {
      await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, labels: { tier } } } });
    }
    await h.core.deleteCollectionNamespacedConfigMap({ namespace: ns, labelSelector: 'tier=x' });
    expect(h.double.list('configmaps', ns).map((c) => c.metadata.name)).toEqual(['c']);
  });

  test('a DELETE whose uid precondition does not match is 409 Conflict (reference/kubernetes-api/common-definitions/delete-options/#DeleteOptions)', async () => {
    const ns = await h.namespace('preconditions');
    await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'c' } } });
    const res = await json('DELETE', `/api/v1/namespaces/${ns}/configmaps/c`, {
      preconditions: { uid: 'not-the-uid' },
    });
    expect(res.status).toBe(409);
    expect(h.double.get('configmaps', ns, 'c')).toBeDefined();
  });

  test('label selectors support the Gt and Lt operators on integer values (concepts/overview/working-with-objects/labels/#set-based-requirement)', async () => {
    const ns = await h.namespace('gtlt');
    for (const [name, n] of [
      ['a', '1'],
      ['b', '5'],
    ] as const)
      await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, labels: { n } } } });
    expect(
      (await h.core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'n>2' })).items.map(
        (i) => i.metadata?.name,
      ),
    ).toEqual(['b']);
    expect(
      (await h.core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'n<2' })).items.map(
        (i) => i.metadata?.name,
      ),
    ).toEqual(['a']);
  });

  test('strategic merge patch honours $patch: delete in a keyed list and $deleteFromPrimitiveList (contributors/devel/sig-api-machinery/strategic-merge-patch.md)', () => {
    const target = {
      metadata: { finalizers: ['a', 'b'] },
      spec: {
        containers: [
          { name: 'x', image: '1' },
          { name: 'y', image: '2' },
        ],
      },
    };
    const out = strategicMergePatch(target, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
      spec: { containers: [{ name: 'x', $patch: 'delete' }] },
    });
    expect(out).toEqual({ metadata: { finalizers: ['b'] }, spec: { containers: [{ name: 'y', image: '2' }] } });
  });

  test('imagePullPolicy Never with an image that is not present is ErrImageNeverPull (concepts/containers/images/#image-pull-policy)', async () => {
    const ns = await h.namespace('neverpull');
    h.double.setImagePresent('local/only:dev', false);
    await h.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'c', image: 'local/only:dev', imagePullPolicy: 'Never', command: ['true'] }] },
      },
    });
    const waiting = await waitFor('ErrImageNeverPull', () => {
      const w = podStatus(h.double.get('pods', ns, 'p'))?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'ErrImageNeverPull' ? w : undefined;
    });
    expect(waiting.message).toBe('Container image "local/only:dev" is not present with pull policy of Never');
  });

  test('the Recreate strategy scales the old ReplicaSet to 0 before the new one comes up (concepts/workloads/controllers/deployment/#recreate-deployment)', async () => {
    const ns = await h.namespace('recreate');
    const body = (v: string) => ({
      metadata: { name: 'r' },
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { app: 'r' } },
        template: {
          metadata: { labels: { app: 'r' } },
          spec: {
            containers: [
              {
                name: 'c',
                image: 'node:20',
                command: nodeCommand('setInterval(() => {}, 1000)'),
                env: [{ name: 'V', value: v }],
              },
            ],
          },
        },
      },
    });
    await h.apps.createNamespacedDeployment({ namespace: ns, body: body('1') });
    await waitFor('the first pod to run', () =>
      h.double.list('pods', ns).some((p) => podStatus(p)?.phase === 'Running'),
    );
    const running: number[] = [];
    const req = await new Watch(h.kc).watch(
      `/api/v1/namespaces/${ns}/pods`,
      {},
      () => {
        running.push(h.double.list('pods', ns).filter((p) => podStatus(p)?.phase === 'Running').length);
      },
      () => undefined,
    );
    await h.apps.replaceNamespacedDeployment({ namespace: ns, name: 'r', body: body('2') });
    await waitFor('the rollout', async () =>
      (await h.apps.readNamespacedDeployment({ namespace: ns, name: 'r' })).status?.conditions?.some(
        (c) => c.reason === 'NewReplicaSetAvailable' && h.double.list('replicasets', ns).length === 2,
      ),
    );
    req.abort();
    expect(Math.max(...running)).toBe(1);
  });
});
