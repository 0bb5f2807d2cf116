import {
  KubeConfig,
  type V1APIResourceList as APIResourceList,
  type V1ConfigMap,
  type V1ConfigMapList,
  type V1Status,
} from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, statusOf, type Harness } from './helpers.js';

// Facts pinned here: https://kubernetes.io/docs/reference/using-api/api-concepts/
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.double.close());

async function raw(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${h.double.server}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('API server', () => {
  test('the kubeconfig names a kind-like context and points at the double over HTTP (concepts/configuration/organize-cluster-access-kubeconfig/)', () => {
    const kc = new KubeConfig();
    kc.loadFromFile(h.double.kubeconfigPath);
    expect(kc.getCurrentContext()).toBe('kind-schemagate-double');
    expect(kc.getCurrentCluster()?.server).toBe(h.double.server);
    expect(h.double.server).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(
      (
        JSON.parse(readFileSync(h.double.kubeconfigPath, 'utf8')) as {
          clusters: { cluster: Record<string, unknown> }[];
        }
      ).clusters[0]!.cluster['insecure-skip-tls-verify'],
    ).toBe(true);
  });

  test('discovery lists the core and group versions and their resources (concepts/overview/kubernetes-api/#discovery-api)', async () => {
    expect((await raw('GET', '/api')).json).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = (await raw('GET', '/apis')).json as { groups: { name: string }[] };
    expect(groups.groups.map((g) => g.name)).toEqual(
      expect.arrayContaining(['batch', 'apps', 'rbac.authorization.k8s.io']),
    );
    const batch = (await raw('GET', '/apis/batch/v1')).json as APIResourceList;
    expect(batch.resources).toContainEqual(expect.objectContaining({ name: 'jobs', kind: 'Job', namespaced: true }));
    expect(batch.resources).toContainEqual(expect.objectContaining({ name: 'jobs/status' }));
    const core = (await raw('GET', '/api/v1')).json as APIResourceList;
    expect(core.resources.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'pods',
        'pods/log',
        'pods/status',
        'namespaces',
        'secrets',
        'configmaps',
        'services',
        'events',
        'serviceaccounts',
        'persistentvolumeclaims',
      ]),
    );
    expect((await raw('GET', '/version')).json).toMatchObject({ major: '1', minor: '31' });
  });

  test('create sets uid, resourceVersion and creationTimestamp; a second create is 409 AlreadyExists as a Status (api-concepts/#resource-versions)', async () => {
    const ns = await h.namespace('create');
    const cm = await h.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'c' }, data: { a: '1' } },
    });
    expect(cm.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(cm.metadata?.resourceVersion)).toBeGreaterThan(0);
    expect(cm.metadata?.creationTimestamp).toBeInstanceOf(Date);
    const again = await raw('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'c' } });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "c" already exists',
      reason: 'AlreadyExists',
      details: { name: 'c', kind: 'configmaps' },
      code: 409,
    });
  });

  test('a missing object is 404 NotFound as a Status naming the resource and group (reference/kubernetes-api/common-definitions/status/)', async () => {
    const ns = await h.namespace('missing');
    const res = await raw('GET', `/apis/batch/v1/namespaces/${ns}/jobs/nope`);
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      code: 404,
      message: 'jobs.batch "nope" not found',
      details: { name: 'nope', group: 'batch', kind: 'jobs' },
    });
    const err = await h.core.readNamespacedSecret({ namespace: ns, name: 'nope' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 404 });
  });

  test('creating in a namespace that does not exist is 404 for the namespace (concepts/overview/working-with-objects/namespaces/)', async () => {
    const res = await raw('POST', '/api/v1/namespaces/ghost/configmaps', { metadata: { name: 'c' } });
    expect(res.status).toBe(404);
    expect((res.json as V1Status).message).toBe('namespaces "ghost" not found');
  });

  test('generateName gives a name with a 5-character random suffix (reference/using-api/api-concepts/#generated-values)', async () => {
    const ns = await h.namespace('genname');
    const cm = await h.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { generateName: 'migrate-' } },
    });
    expect(cm.metadata?.name).toMatch(/^migrate-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  test('an invalid name is 422 Invalid with the RFC 1123 explanation (concepts/overview/working-with-objects/names/)', async () => {
    const ns = await h.namespace('badname');
    const res = await raw('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'Bad_Name' } });
    expect(res.status).toBe(422);
    expect((res.json as V1Status).message).toMatch(
      /^ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
  });

  test('label selectors match by equality and by set, field selectors by metadata.name (working-with-objects/labels/#label-selectors, field-selectors/)', async () => {
    const ns = await h.namespace('selectors');
    const make = (name: string, labels: Record<string, string>) =>
      h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, labels } } });
    await make('a', { app: 'web', tier: 'front' });
    await make('b', { app: 'web', tier: 'back' });
    await make('c', { app: 'db' });
    const names = async (opts: { labelSelector?: string; fieldSelector?: string }) =>
      (await h.core.listNamespacedConfigMap({ namespace: ns, ...opts })).items.map((i) => i.metadata?.name);
    expect(await names({ labelSelector: 'app=web' })).toEqual(['a', 'b']);
    expect(await names({ labelSelector: 'app==web,tier!=front' })).toEqual(['b']);
    expect(await names({ labelSelector: 'tier in (front, back)' })).toEqual(['a', 'b']);
    expect(await names({ labelSelector: 'app notin (web)' })).toEqual(['c']);
    expect(await names({ labelSelector: '!tier' })).toEqual(['c']);
    expect(await names({ labelSelector: 'tier' })).toEqual(['a', 'b']);
    expect(await names({ fieldSelector: 'metadata.name=b' })).toEqual(['b']);
    expect(await names({ fieldSelector: 'metadata.name!=b' })).toEqual(['a', 'c']);
    const bad = await raw('GET', `/api/v1/namespaces/${ns}/configmaps?fieldSelector=data.a%3D1`);
    expect(bad.status).toBe(400);
  });

  test('a list carries the collection resourceVersion, and items without apiVersion/kind (api-concepts/#collections)', async () => {
    const ns = await h.namespace('lists');
    await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'x' } } });
    const list = (await raw('GET', `/api/v1/namespaces/${ns}/configmaps`)).json as V1ConfigMapList;
    expect(list.kind).toBe('ConfigMapList');
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThanOrEqual(
      Number(list.items[0]!.metadata?.resourceVersion),
    );
    expect(list.items[0]!.kind).toBeUndefined();
  });

  test('limit and continue page through a list (api-concepts/#retrieving-large-results-sets-in-chunks)', async () => {
    const ns = await h.namespace('pages');
    for (const n of ['a', 'b', 'c'])
      await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: n } } });
    const first = await h.core.listNamespacedConfigMap({ namespace: ns, limit: 2 });
    expect(first.items.map((i) => i.metadata?.name)).toEqual(['a', 'b']);
    const rest = await h.core.listNamespacedConfigMap({
      namespace: ns,
      limit: 2,
      _continue: first.metadata?._continue ?? '',
    });
    expect(rest.items.map((i) => i.metadata?.name)).toEqual(['c']);
    expect(rest.metadata?._continue).toBeUndefined();
  });

  test('Secret stringData is stored base64-encoded in data and never returned (configuration/secret/#restriction-names-data)', async () => {
    const ns = await h.namespace('secrets');
    const s = await h.core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'db' }, stringData: { DATABASE_URL: 'postgres://u:p@h/db' }, data: { other: 'eA==' } },
    });
    expect(s.data).toEqual({ DATABASE_URL: Buffer.from('postgres://u:p@h/db').toString('base64'), other: 'eA==' });
    expect(s.stringData).toBeUndefined();
    expect(s.type).toBe('Opaque');
  });

  test('an update with a stale resourceVersion is 409 Conflict; without one it applies (api-concepts/#patch-and-apply, optimistic concurrency)', async () => {
    const ns = await h.namespace('conflict');
    const cm = await h.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'c' }, data: { v: '1' } },
    });
    await h.core.replaceNamespacedConfigMap({ namespace: ns, name: 'c', body: { ...cm, data: { v: '2' } } });
    const stale = await h.core
      .replaceNamespacedConfigMap({ namespace: ns, name: 'c', body: { ...cm, data: { v: '3' } } })
      .catch((e: unknown) => e);
    expect(stale).toMatchObject({ code: 409 });
    expect(statusOf(stale).message).toBe(
      'Operation cannot be fulfilled on configmaps "c": the object has been modified; please apply your changes to the latest version and try again',
    );
    const unconditional = await h.core.replaceNamespacedConfigMap({
      namespace: ns,
      name: 'c',
      body: { metadata: { name: 'c' }, data: { v: '4' } },
    });
    expect(unconditional.data).toEqual({ v: '4' });
  });

  test('generation grows on spec changes only, and the status subresource is separate from the main resource (working-with-objects/#object-spec-and-status)', async () => {
    const ns = await h.namespace('generation');
    const body = {
      metadata: { name: 'j' },
      spec: {
        suspend: true,
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'node:20', command: ['true'] }] },
        },
      },
    };
    const job = await h.batch.createNamespacedJob({ namespace: ns, body });
    expect(job.metadata?.generation).toBe(1);
    const labelled = await h.batch.patchNamespacedJob({
      namespace: ns,
      name: 'j',
      body: [{ op: 'add', path: '/metadata/labels', value: { a: 'b' } }],
    });
    expect(labelled.metadata?.generation).toBe(1);
    const changed = await h.batch.patchNamespacedJob({
      namespace: ns,
      name: 'j',
      body: [{ op: 'replace', path: '/spec/backoffLimit', value: 2 }],
    });
    expect(changed.metadata?.generation).toBe(2);
    const ignored = await h.batch.patchNamespacedJob({
      namespace: ns,
      name: 'j',
      body: [{ op: 'add', path: '/status/failed', value: 9 }],
    });
    expect(ignored.status?.failed).toBeUndefined();
    const viaStatus = await h.batch.patchNamespacedJobStatus({
      namespace: ns,
      name: 'j',
      body: [
        { op: 'add', path: '/status/failed', value: 9 },
        { op: 'replace', path: '/spec/backoffLimit', value: 5 },
      ],
    });
    expect(viaStatus.status?.failed).toBe(9);
    expect(viaStatus.spec?.backoffLimit).toBe(2);
  });

  test('dryRun=All validates and answers without storing (api-concepts/#dry-run)', async () => {
    const ns = await h.namespace('dryrun');
    const res = await raw('POST', `/api/v1/namespaces/${ns}/configmaps?dryRun=All`, { metadata: { name: 'dry' } });
    expect(res.status).toBe(201);
    expect((res.json as V1ConfigMap).metadata?.name).toBe('dry');
    expect(h.double.get('configmaps', ns, 'dry')).toBeUndefined();
    await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'kept' } } });
    const del = await raw('DELETE', `/api/v1/namespaces/${ns}/configmaps/kept?dryRun=All`);
    expect(del.status).toBe(200);
    expect(h.double.get('configmaps', ns, 'kept')).toBeDefined();
  });

  test('a re-applied identical object keeps its resourceVersion (no-op updates are not written)', async () => {
    const ns = await h.namespace('noop');
    const cm = await h.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'c' }, data: { a: '1' } },
    });
    const same = await h.core.replaceNamespacedConfigMap({
      namespace: ns,
      name: 'c',
      body: { metadata: { name: 'c' }, data: { a: '1' } },
    });
    expect(same.metadata?.resourceVersion).toBe(cm.metadata?.resourceVersion);
  });
});
