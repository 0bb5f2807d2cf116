import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import { makeInformer, PatchStrategy } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, waitFor, type Harness } from './helpers.js';

// client-node 1.4 against the double: the generic object API, informers, patches.
// Facts pinned: https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/
// and https://kubernetes.io/docs/reference/using-api/server-side-apply/
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.double.close());

const appManifests = (ns: string): KubernetesObject[] =>
  [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'migrator' } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'jobs' },
      rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'jobs' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'jobs' },
      subjects: [{ kind: 'ServiceAccount', name: 'migrator' }],
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'pgdata' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'postgres' },
      spec: { selector: { app: 'postgres' }, ports: [{ port: 5432 }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'postgres' },
      spec: {
        serviceName: 'postgres',
        selector: { matchLabels: { app: 'postgres' } },
        template: {
          metadata: { labels: { app: 'postgres' } },
          spec: { containers: [{ name: 'pg', image: 'postgres:17' }] },
        },
      },
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { mode: 'dev' } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { url: 'postgres://db' } },
  ].map((m) => ({ ...m, metadata: { ...m.metadata, namespace: ns } }));

describe('client-node against the double', () => {
  test('KubernetesObjectApi creates, reads, lists and deletes every kind of an app manifest set (store-only kinds included)', async () => {
    const ns = await h.namespace('objects');
    for (const m of appManifests(ns)) await h.objects.create(m);
    const svc = await h.objects.read({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'postgres', namespace: ns },
    });
    expect((svc as { spec?: { clusterIP?: string; ports?: { targetPort?: number }[] } }).spec).toMatchObject({
      clusterIP: expect.stringMatching(/^127\.\d+\.\d+\.\d+$/) as unknown,
      ports: [{ port: 5432, targetPort: 5432, protocol: 'TCP' }],
    });
    const roles = await h.objects.list('rbac.authorization.k8s.io/v1', 'Role', ns);
    expect(roles.items.map((r) => r.metadata?.name)).toEqual(['jobs']);
    // The StatefulSet controller makes its first pod, named by ordinal.
    await waitFor('postgres-0', () => h.double.get('pods', ns, 'postgres-0'));
    for (const m of appManifests(ns)) await h.objects.delete(m);
    expect(h.double.list('serviceaccounts', ns)).toEqual([]);
  });

  test('server-side apply creates a missing object and merges a second apply; fieldManager is required (reference/using-api/server-side-apply/)', async () => {
    const ns = await h.namespace('apply');
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: ns }, data: { x: '1' } };
    const created = await h.objects.patch(cm, undefined, undefined, 'schemagate', true, PatchStrategy.ServerSideApply);
    expect((created as V1ConfigMap).data).toEqual({ x: '1' });
    const merged = await h.objects.patch(
      { ...cm, data: { y: '2' } },
      undefined,
      undefined,
      'schemagate',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect((merged as V1ConfigMap).data).toEqual({ x: '1', y: '2' });
    const err = await h.objects
      .patch(cm, undefined, undefined, undefined, undefined, PatchStrategy.ServerSideApply)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 400 });
  });

  test('a strategic merge patch merges containers and env by name; a merge patch replaces lists (tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/)', async () => {
    const ns = await h.namespace('smp');
    const base = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: ns },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'd' } },
        template: {
          metadata: { labels: { app: 'd' } },
          spec: {
            containers: [
              { name: 'a', image: 'x:1', env: [{ name: 'A', value: '1' }] },
              { name: 'b', image: 'y:1' },
            ],
          },
        },
      },
    };
    await h.objects.create(base);
    const patched = (await h.objects.patch(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd', namespace: ns },
        spec: { template: { spec: { containers: [{ name: 'a', env: [{ name: 'B', value: '2' }] }] } } },
      } as KubernetesObject,
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.StrategicMergePatch,
    )) as typeof base;
    const containers = patched.spec.template.spec.containers;
    expect(containers.map((c) => c.name)).toEqual(['a', 'b']);
    expect(containers[0]?.image).toBe('x:1');
    expect(containers[0]?.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
    const replaced = (await h.objects.patch(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd', namespace: ns },
        spec: { template: { spec: { containers: [{ name: 'c', image: 'z:1' }] } } },
      } as KubernetesObject,
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    )) as typeof base;
    expect(replaced.spec.template.spec.containers.map((c) => c.name)).toEqual(['c']);
  });

  test('a JSON patch applies add/replace/remove and a failing test op is rejected (tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/#use-a-json-merge-patch-to-update-a-deployment)', async () => {
    const ns = await h.namespace('jsonpatch');
    await h.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'c', annotations: { x: 'y' } }, data: { a: '1', b: '2' } },
    });
    const out = await h.core.patchNamespacedConfigMap({
      namespace: ns,
      name: 'c',
      body: [
        { op: 'test', path: '/data/a', value: '1' },
        { op: 'replace', path: '/data/a', value: '10' },
        { op: 'remove', path: '/data/b' },
        // `~1` is a `/` in a JSON Pointer (RFC 6901): an annotation key may hold one, a ConfigMap key may not.
        { op: 'add', path: '/metadata/annotations/c~1d', value: '3' },
      ],
    });
    expect(out.data).toEqual({ a: '10' });
    expect(out.metadata?.annotations).toEqual({ x: 'y', 'c/d': '3' });
    const err = await h.core
      .patchNamespacedConfigMap({ namespace: ns, name: 'c', body: [{ op: 'test', path: '/data/a', value: 'nope' }] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 422 });
  });

  test('an informer lists, then follows adds, updates and deletes, and recovers from dropped watches and 410 Gone (api-concepts/#efficient-detection-of-changes)', async () => {
    const ns = await h.namespace('informer');
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'pre' } } });
    let lists = 0;
    const informer = makeInformer(h.kc, path, () => {
      lists++;
      return h.core.listNamespacedConfigMap({ namespace: ns });
    });
    const log: string[] = [];
    informer.on('add', (o) => log.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => log.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o) => log.push(`delete ${o.metadata?.name}`));
    informer.on('error', (e) => log.push(`error ${String(e)}`));
    await informer.start();
    await waitFor('the initial add', () => log.includes('add pre'));
    await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'c' }, data: { v: '1' } } });
    await waitFor('add c', () => log.includes('add c'));
    h.double.dropWatches();
    await h.core.patchNamespacedConfigMap({
      namespace: ns,
      name: 'c',
      body: [{ op: 'add', path: '/data/v', value: '2' }],
    });
    await waitFor('update c after a dropped watch', () => log.includes('update c'));
    await waitFor('the watch to be re-established', () => h.double.openWatches > 0);
    // A change elsewhere moves the store past the informer's resourceVersion; compacting then makes it too old.
    await h.core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { generateName: 'elsewhere-' } },
    });
    h.double.compact();
    h.double.dropWatches();
    await h.core.deleteNamespacedConfigMap({ namespace: ns, name: 'pre' });
    await waitFor('delete pre after a 410', () => log.includes('delete pre'));
    expect(lists).toBe(2);
    expect(informer.list(ns).map((o) => o.metadata?.name)).toEqual(['c']);
    // Checked before stop(): stopping aborts the request, which client-node reports as an error.
    expect(log.filter((l) => l.startsWith('error'))).toEqual([]);
    await informer.stop();
  });
});
