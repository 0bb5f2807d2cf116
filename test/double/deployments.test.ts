import type { V1Deployment } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nodeCommand, startHarness, statusOf, waitFor, type Harness } from './helpers.js';

// Facts pinned here: https://kubernetes.io/docs/concepts/workloads/controllers/deployment/
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.double.close());

function deployment(
  name: string,
  replicas: number,
  opts: { image?: string; version?: string; progressDeadlineSeconds?: number } = {},
): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      ...(opts.progressDeadlineSeconds ? { progressDeadlineSeconds: opts.progressDeadlineSeconds } : {}),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image: opts.image ?? 'node:20',
              command: nodeCommand('setInterval(() => {}, 1000)'),
              env: [{ name: 'VERSION', value: opts.version ?? '1' }],
            },
          ],
        },
      },
    },
  };
}

async function rolledOut(ns: string, name: string): Promise<V1Deployment> {
  return waitFor(`Deployment ${name} rolled out`, async () => {
    const d = await h.apps.readNamespacedDeployment({ namespace: ns, name });
    const s = d.status;
    const replicas = d.spec?.replicas ?? 1;
    const done =
      s?.observedGeneration === d.metadata?.generation &&
      s?.updatedReplicas === replicas &&
      s.replicas === replicas &&
      s.availableReplicas === replicas &&
      s.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable');
    return done ? d : undefined;
  });
}

describe('Deployment controller', () => {
  test('a Deployment gets a ReplicaSet named after its pod-template-hash, and a pod per replica (controllers/deployment/#pod-template-hash-label)', async () => {
    const ns = await h.namespace('deploy');
    const d = await h.apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 2) });
    await rolledOut(ns, 'web');
    const rss = (await h.apps.listNamespacedReplicaSet({ namespace: ns })).items;
    expect(rss).toHaveLength(1);
    const rs = rss[0]!;
    const hash = rs.metadata?.labels?.['pod-template-hash'];
    expect(rs.metadata?.name).toBe(`web-${hash}`);
    expect(rs.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      name: 'web',
      uid: d.metadata?.uid,
      controller: true,
    });
    expect(rs.spec?.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    const pods = (await h.core.listNamespacedPod({ namespace: ns, labelSelector: `pod-template-hash=${hash}` })).items;
    expect(pods).toHaveLength(2);
    expect(
      pods.every(
        (p) =>
          p.metadata?.name?.startsWith(`web-${hash}-`) && p.metadata.ownerReferences?.[0]?.uid === rs.metadata?.uid,
      ),
    ).toBe(true);
  });

  test('rollout status reports observedGeneration, replica counts, Available and Progressing (controllers/deployment/#deployment-status)', async () => {
    const ns = await h.namespace('deploy-status');
    await h.apps.createNamespacedDeployment({ namespace: ns, body: deployment('api', 1) });
    const d = await rolledOut(ns, 'api');
    expect(d.status).toMatchObject({
      observedGeneration: 1,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
    });
    expect(d.status?.unavailableReplicas).toBeUndefined();
    expect(d.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'],
      [
        'Progressing',
        'True',
        'NewReplicaSetAvailable',
        `ReplicaSet "${(await h.apps.listNamespacedReplicaSet({ namespace: ns })).items[0]?.metadata?.name}" has successfully progressed.`,
      ],
    ]);
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
  });

  test('the scale subresource reads and changes replicas (controllers/deployment/#scaling-a-deployment)', async () => {
    const ns = await h.namespace('deploy-scale');
    await h.apps.createNamespacedDeployment({ namespace: ns, body: deployment('w', 1) });
    const scale = await h.apps.readNamespacedDeploymentScale({ namespace: ns, name: 'w' });
    expect(scale).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 1 },
      status: { selector: 'app=w' },
    });
    await h.apps.patchNamespacedDeploymentScale(
      { namespace: ns, name: 'w', body: { spec: { replicas: 3 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const d = await rolledOut(ns, 'w');
    expect(d.status?.replicas).toBe(3);
    expect(
      (await h.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=w' })).items.filter(
        (p) => !p.metadata?.deletionTimestamp,
      ),
    ).toHaveLength(3);
    await h.apps.replaceNamespacedDeploymentScale({
      namespace: ns,
      name: 'w',
      body: { metadata: { name: 'w' }, spec: { replicas: 1 } },
    });
    await waitFor(
      'one pod left',
      async () => (await h.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=w' })).items.length === 1,
    );
  });

  test('a template change creates a new ReplicaSet and scales the old one down to 0 (controllers/deployment/#updating-a-deployment)', async () => {
    const ns = await h.namespace('deploy-update');
    await h.apps.createNamespacedDeployment({ namespace: ns, body: deployment('app', 2) });
    await rolledOut(ns, 'app');
    const [first] = (await h.apps.listNamespacedReplicaSet({ namespace: ns })).items;
    await h.apps.replaceNamespacedDeployment({
      namespace: ns,
      name: 'app',
      body: deployment('app', 2, { version: '2' }),
    });
    const d = await rolledOut(ns, 'app');
    expect(d.metadata?.generation).toBe(2);
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    const rss = (await h.apps.listNamespacedReplicaSet({ namespace: ns })).items;
    expect(rss).toHaveLength(2);
    const old = rss.find((r) => r.metadata?.uid === first?.metadata?.uid);
    const next = rss.find((r) => r.metadata?.uid !== first?.metadata?.uid);
    expect(old?.spec?.replicas).toBe(0);
    expect(next?.spec?.replicas).toBe(2);
    expect(next?.metadata?.labels?.['pod-template-hash']).not.toBe(old?.metadata?.labels?.['pod-template-hash']);
    await waitFor(
      'old pods gone',
      async () =>
        (
          await h.core.listNamespacedPod({
            namespace: ns,
            labelSelector: `pod-template-hash=${old?.metadata?.labels?.['pod-template-hash']}`,
          })
        ).items.length === 0,
    );
  });

  test('a Deployment whose pods never become available is not Available and, after progressDeadlineSeconds, Progressing False with ProgressDeadlineExceeded (controllers/deployment/#failed-deployment)', async () => {
    const ns = await h.namespace('deploy-stuck');
    h.double.setImagePresent('acme/never:1', false);
    await h.apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment('stuck', 1, { image: 'acme/never:1', progressDeadlineSeconds: 100 }),
    });
    const d = await waitFor('ProgressDeadlineExceeded', async () => {
      const x = await h.apps.readNamespacedDeployment({ namespace: ns, name: 'stuck' });
      return x.status?.conditions?.some((c) => c.reason === 'ProgressDeadlineExceeded') ? x : undefined;
    });
    expect(d.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
    });
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'False',
      message: expect.stringMatching(/^ReplicaSet "stuck-\w+" has timed out progressing\.$/) as unknown,
    });
    expect(d.status?.unavailableReplicas).toBe(1);
    expect(d.status?.availableReplicas ?? 0).toBe(0);
  });

  test('a Deployment without a selector matching its template labels is 422 Invalid (controllers/deployment/#selector)', async () => {
    const ns = await h.namespace('deploy-invalid');
    const body = deployment('bad', 1);
    body.spec!.selector = { matchLabels: { app: 'other' } };
    const err = await h.apps.createNamespacedDeployment({ namespace: ns, body }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 422 });
    expect(statusOf(err).message).toContain('`selector` does not match template `labels`');
  });

  test('deleting a Deployment removes its ReplicaSets and pods in the background (architecture/garbage-collection/#cascading-deletion)', async () => {
    const ns = await h.namespace('deploy-delete');
    await h.apps.createNamespacedDeployment({ namespace: ns, body: deployment('gone', 1) });
    await rolledOut(ns, 'gone');
    await h.apps.deleteNamespacedDeployment({ namespace: ns, name: 'gone' });
    await waitFor('ReplicaSets gone', () => h.double.list('replicasets', ns).length === 0);
    await waitFor('pods gone', () => h.double.list('pods', ns).length === 0);
  });
});
