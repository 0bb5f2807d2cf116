import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nodeCommand, startHarness, waitFor, type Harness } from './helpers.js';

// Facts pinned here: a body is decoded into the API's Go types before anything else (transformDecodeError in
// staging/src/k8s.io/apiserver/pkg/endpoints/handlers/rest.go over encoding/json's UnmarshalTypeError: a field of
// the wrong JSON type is a 400, a null field is an absent one); validateOwnerReference in
// staging/src/k8s.io/apimachinery/pkg/api/validation/objectmeta.go; a pod's restartPolicy in ValidatePodSpec
// (pkg/apis/core/validation/validation.go); an Event's `source` field selector is source.component
// (GetAttrs in pkg/registry/core/event/strategy.go); JSON patch operations as evanphx/json-patch reads them.
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.double.close());

async function send(
  method: string,
  path: string,
  body: unknown,
  contentType = 'application/json',
): Promise<{ status: number; json: { message?: string; reason?: string; code?: number } }> {
  const res = await fetch(`${h.double.server}${path}`, {
    method,
    headers: { 'Content-Type': contentType },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as { message?: string } };
}

const deployment = (env: unknown[], replicas: unknown = 1) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [{ name: 'web', image: 'node:20', command: nodeCommand('setInterval(() => {}, 1000)'), env }],
      },
    },
  },
});

describe('request bodies are decoded into the API types', () => {
  test('a field of the wrong JSON type is a 400 naming the Go struct field and type, and nothing is stored', async () => {
    const ns = await h.namespace('decode');
    const env = await send(
      'POST',
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      deployment([{ name: 'X', value: true }]),
    );
    expect(env.status).toBe(400);
    expect(env.json).toMatchObject({
      reason: 'BadRequest',
      message:
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal bool into Go struct field EnvVar.spec.template.spec.containers.env.value of type string',
    });
    const replicas = await send('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment([], '2'));
    expect(replicas.json.message).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
    expect(h.double.list('deployments', ns)).toEqual([]);
  });

  test('an update or a status write is decoded too, and a non-integer count names its value', async () => {
    const ns = await h.namespace('decode-update');
    await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'c' }, data: { a: '1' } } });
    const put = await send('PUT', `/api/v1/namespaces/${ns}/configmaps/c`, {
      metadata: { name: 'c' },
      data: { a: 1 },
    });
    expect(put.status).toBe(400);
    expect(put.json.message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
    );
    const created = await send('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment([]));
    expect(created.status).toBe(201);
    const status = await send('PUT', `/apis/apps/v1/namespaces/${ns}/deployments/web/status`, {
      metadata: { name: 'web' },
      status: { replicas: 1.5 },
    });
    expect(status.json.message).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 1.5 into Go struct field DeploymentStatus.status.replicas of type int32',
    );
  });

  test('a field sent as null is stored as absent', async () => {
    const ns = await h.namespace('decode-null');
    const r = await send('POST', `/api/v1/namespaces/${ns}/configmaps`, {
      metadata: { name: 'n', labels: null, annotations: { a: 'b' } },
      data: null,
      immutable: null,
    });
    expect(r.status).toBe(201);
    const stored = h.double.get('configmaps', ns, 'n');
    expect(stored && 'data' in stored).toBe(false);
    expect(stored && 'immutable' in stored).toBe(false);
    expect(stored?.metadata.labels).toBeUndefined();
    expect(stored?.metadata.annotations).toEqual({ a: 'b' });
  });

  test('a DELETE body and a JSON patch are decoded as well: 400 for a wrong type, 422 for an operation without a path', async () => {
    const ns = await h.namespace('decode-ops');
    await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'c' }, data: { a: '1' } } });
    const del = await send('DELETE', `/api/v1/namespaces/${ns}/configmaps/c`, { gracePeriodSeconds: '0' });
    expect(del.status).toBe(400);
    expect(del.json.message).toBe(
      'DeleteOptions in version "v1" cannot be handled as a DeleteOptions: json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64',
    );
    const patch = await send(
      'PATCH',
      `/api/v1/namespaces/${ns}/configmaps/c`,
      [{ op: 'remove' }],
      'application/json-patch+json',
    );
    expect(patch).toMatchObject({
      status: 422,
      json: { reason: 'Invalid', message: 'operation missing path field: missing value' },
    });
    const notAnOp = await send('PATCH', `/api/v1/namespaces/${ns}/configmaps/c`, ['x'], 'application/json-patch+json');
    expect(notAnOp.status).toBe(400);
    expect(h.double.get('configmaps', ns, 'c')?.data).toEqual({ a: '1' });
  });
});

describe('what typing the double brought to light', () => {
  test('a continue token the server did not give out is a 400, not an internal error', async () => {
    const ns = await h.namespace('continue');
    for (const token of ['not-json', Buffer.from('{"rv":"1"}').toString('base64')]) {
      const r = await fetch(`${h.double.server}/api/v1/namespaces/${ns}/configmaps?limit=1&continue=${token}`);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { message: string }).message).toBe(
        'invalid continue token: continue key is not valid',
      );
    }
  });

  test('an owner reference without its uid, name, kind or apiVersion is refused with 422', async () => {
    const ns = await h.namespace('owner-ref');
    const r = await send('POST', `/api/v1/namespaces/${ns}/configmaps`, {
      metadata: { name: 'c', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j' }] },
    });
    expect(r.status).toBe(422);
    expect(r.json.message).toBe(
      'ConfigMap "c" is invalid: metadata.ownerReferences.uid: Invalid value: "": uid must not be empty',
    );
  });

  test("a pod's restartPolicy must be Always, OnFailure or Never", async () => {
    const ns = await h.namespace('restart-policy');
    const r = await send('POST', `/api/v1/namespaces/${ns}/pods`, {
      metadata: { name: 'p' },
      spec: { restartPolicy: 'Sometimes', containers: [{ name: 'c', image: 'node:20' }] },
    });
    expect(r.status).toBe(422);
    expect(r.json.message).toBe(
      'Pod "p" is invalid: spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    );
  });

  test("an Event's source field selector matches its source.component", async () => {
    const ns = await h.namespace('event-source');
    await h.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'p' },
        spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'node:20', command: nodeCommand('') }] },
      },
    });
    await waitFor('the pod to succeed', () => h.double.get('pods', ns, 'p')?.status?.phase === 'Succeeded');
    const fromKubelet = await h.core.listNamespacedEvent({ namespace: ns, fieldSelector: 'source=kubelet' });
    expect(fromKubelet.items.length).toBeGreaterThan(0);
    expect(new Set(fromKubelet.items.map((e) => e.source?.component))).toEqual(new Set(['kubelet']));
    const scheduled = await h.core.listNamespacedEvent({ namespace: ns, fieldSelector: 'source=default-scheduler' });
    expect(scheduled.items.map((e) => e.reason)).toEqual(['Scheduled']);
  });
});
