import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jobManifest, startHarness, statusOf, waitFor, type Harness } from './helpers.js';

// Facts pinned here: https://kubernetes.io/docs/concepts/architecture/garbage-collection/
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.double.close());

/** A Job whose pod runs until deleted, once that pod is Running. */
async function runningJob(ns: string, name: string): Promise<{ job: V1Job; pod: V1Pod }> {
  const job = await h.batch.createNamespacedJob({
    namespace: ns,
    body: jobManifest(name, 'setInterval(() => {}, 1000)'),
  });
  const pod = await waitFor(`a running pod of ${name}`, async () => {
    const pods = await h.core.listNamespacedPod({
      namespace: ns,
      labelSelector: `batch.kubernetes.io/controller-uid=${job.metadata?.uid}`,
    });
    return pods.items.find((p) => p.status?.phase === 'Running');
  });
  return { job, pod };
}

describe('deletion and garbage collection', () => {
  test('a Job deleted without a propagationPolicy orphans its pods: they stay, without the ownerReference (architecture/garbage-collection/#orphaned-dependents; batch/v1 defaults to orphan)', async () => {
    const ns = await h.namespace('del-orphan');
    const { pod } = await runningJob(ns, 'j');
    await h.batch.deleteNamespacedJob({ namespace: ns, name: 'j' });
    await waitFor('the Job to be gone', () => h.double.get('jobs', ns, 'j') === undefined);
    const kept = await waitFor('the pod to lose its ownerReference', async () => {
      const p = await h.core.readNamespacedPod({ namespace: ns, name: pod.metadata?.name ?? '' });
      return p.metadata?.ownerReferences === undefined ? p : undefined;
    });
    expect(kept.metadata?.deletionTimestamp).toBeUndefined();
    expect(kept.status?.phase).toBe('Running');
  });

  test('propagationPolicy Background in the DeleteOptions body deletes the Job and then its pods (architecture/garbage-collection/#background-deletion)', async () => {
    const ns = await h.namespace('del-background');
    const { pod } = await runningJob(ns, 'j');
    const status = await h.batch.deleteNamespacedJob({
      namespace: ns,
      name: 'j',
      body: { propagationPolicy: 'Background' },
    });
    expect(status).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'j', group: 'batch', kind: 'jobs' },
    });
    expect(h.double.get('jobs', ns, 'j')).toBeUndefined();
    await waitFor('the pod to be gone', () => h.double.get('pods', ns, pod.metadata?.name ?? '') === undefined);
  });

  test('propagationPolicy in the query string works as well as in the body (reference/kubernetes-api/common-parameters/common-parameters/#propagationpolicy)', async () => {
    const ns = await h.namespace('del-query');
    const { pod } = await runningJob(ns, 'j');
    const res = await fetch(`${h.double.server}/apis/batch/v1/namespaces/${ns}/jobs/j?propagationPolicy=Background`, {
      method: 'DELETE',
    });
    expect(res.status).toBe(200);
    await waitFor('the pod to be gone', () => h.double.get('pods', ns, pod.metadata?.name ?? '') === undefined);
  });

  test("a DELETE with a body ignores the query: body {} plus ?propagationPolicy=Background still orphans a Job's pods (kubernetes-client/javascript#2698; architecture/garbage-collection/#cascading-deletion)", async () => {
    const ns = await h.namespace('del-body-wins');
    const { pod } = await runningJob(ns, 'j');
    await h.batch.deleteNamespacedJob({ namespace: ns, name: 'j', propagationPolicy: 'Background', body: {} });
    await waitFor('the Job to be gone', () => h.double.get('jobs', ns, 'j') === undefined);
    const kept = await waitFor('the pod to be orphaned', () => {
      const p = h.double.get('pods', ns, pod.metadata?.name ?? '');
      return p && !p.metadata.ownerReferences ? p : undefined;
    });
    expect(kept.metadata.deletionTimestamp).toBeUndefined();
  });

  test('propagationPolicy Foreground keeps the Job, with a deletionTimestamp and the foregroundDeletion finalizer, until its pods are gone (architecture/garbage-collection/#foreground-deletion)', async () => {
    const ns = await h.namespace('del-foreground');
    const { pod } = await runningJob(ns, 'j');
    const order: string[] = [];
    const req = await new Watch(h.kc).watch(
      `/api/v1/namespaces/${ns}/pods`,
      {},
      (type, o: V1Pod) => {
        if (type === 'DELETED') order.push(`pod ${o.metadata?.name} deleted`);
      },
      () => undefined,
    );
    const req2 = await new Watch(h.kc).watch(
      `/apis/batch/v1/namespaces/${ns}/jobs`,
      {},
      (type) => {
        if (type === 'DELETED') order.push('job deleted');
      },
      () => undefined,
    );
    // The API server answers with the Job itself while it lingers (client-node's typed delete would read it as a Status).
    const res = (await (
      await fetch(`${h.double.server}/apis/batch/v1/namespaces/${ns}/jobs/j`, {
        method: 'DELETE',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ propagationPolicy: 'Foreground' }),
      })
    ).json()) as V1Job;
    expect(res.metadata?.deletionTimestamp).toBeDefined();
    expect(res.metadata?.finalizers).toEqual(['foregroundDeletion']);
    await waitFor('the Job to be deleted', () => order.includes('job deleted'));
    req.abort();
    req2.abort();
    expect(order).toEqual([`pod ${pod.metadata?.name} deleted`, 'job deleted']);
  });

  test('propagationPolicy Orphan on a Deployment leaves its ReplicaSet without an owner (architecture/garbage-collection/#orphaned-dependents)', async () => {
    const ns = await h.namespace('del-orphan-deploy');
    await h.apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'd' },
        spec: {
          replicas: 0,
          selector: { matchLabels: { a: 'd' } },
          template: { metadata: { labels: { a: 'd' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
        },
      },
    });
    await waitFor('a ReplicaSet', () => h.double.list('replicasets', ns).length === 1);
    await h.apps.deleteNamespacedDeployment({ namespace: ns, name: 'd', propagationPolicy: 'Orphan' });
    await waitFor('the Deployment to be gone', () => h.double.get('deployments', ns, 'd') === undefined);
    const [rs] = h.double.list('replicasets', ns);
    expect(rs?.metadata.ownerReferences).toBeUndefined();
  });

  test('an object whose owner is deleted is garbage-collected, whatever its kind (concepts/overview/working-with-objects/owners-dependents/)', async () => {
    const ns = await h.namespace('del-owner');
    const owner = await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'owner' } } });
    await h.core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: {
          name: 'dependent',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid ?? '' }],
        },
      },
    });
    await h.core.deleteNamespacedConfigMap({ namespace: ns, name: 'owner' });
    await waitFor('the dependent Secret to be deleted', () => h.double.get('secrets', ns, 'dependent') === undefined);
  });

  test('deleting a namespace marks it Terminating, deletes its contents, then removes it; new content is refused meanwhile (concepts/overview/working-with-objects/namespaces/)', async () => {
    const ns = await h.namespace('del-ns');
    await runningJob(ns, 'j');
    await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'c' } } });
    const terminating = await h.core.deleteNamespace({ name: ns });
    // The API answers with the Namespace itself; client-node types the answer as a Status.
    expect((terminating as unknown as { status?: { phase?: string } }).status?.phase).toBe('Terminating');
    const refused = await h.core
      .createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'late' } } })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 403 });
    expect(statusOf(refused).message).toBe(
      `configmaps "late" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
    );
    await waitFor('the namespace to be gone', () => h.double.get('namespaces', undefined, ns) === undefined);
    expect(h.double.list('pods', ns)).toEqual([]);
    expect(h.double.list('jobs', ns)).toEqual([]);
  });

  test('a pod deleted with gracePeriodSeconds 0 is removed at once, and its process is still stopped (workloads/pods/pod-lifecycle/#pod-termination-forced)', async () => {
    const ns = await h.namespace('del-force');
    await h.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'p' },
        spec: {
          containers: [
            {
              name: 'c',
              image: 'node:20',
              command: [process.execPath, '-e', 'console.log(process.pid); setInterval(() => {}, 1000)'],
            },
          ],
        },
      },
    });
    const pid = await waitFor(
      'the pid in the log',
      async () =>
        Number((await h.core.readNamespacedPodLog({ namespace: ns, name: 'p' }).catch(() => '')).trim()) || undefined,
    );
    await h.core.deleteNamespacedPod({ namespace: ns, name: 'p', gracePeriodSeconds: 0 });
    expect(h.double.get('pods', ns, 'p')).toBeUndefined();
    await waitFor('its process to be stopped', () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
  });
});
