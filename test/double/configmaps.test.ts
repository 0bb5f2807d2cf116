import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mountBackoffSeconds } from '../support/kube-double/kubelet/pod-worker.js';
import { jobManifest, nodeCommand, startHarness, waitFor, type Harness } from './helpers.js';

/**
 * ConfigMaps as schemagate delivers a Job's files in them: validated as
 * pkg/apis/core/validation/validation.go (ValidateConfigMap,
 * ValidateConfigMapUpdate) does, mounted as a container's working directory,
 * and garbage-collected with the last of several owners.
 * https://kubernetes.io/docs/concepts/configuration/configmap/
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.double.close());

async function send(method: string, path: string, body: object, contentType = 'application/json') {
  const r = await fetch(`${h.double.server}${path}`, {
    method,
    headers: { 'Content-Type': contentType },
    body: JSON.stringify(body),
  });
  return { code: r.status, message: ((await r.json()) as { message?: string }).message };
}

const cm = (name: string, extra: object = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  ...extra,
});

describe('ConfigMap validation', () => {
  test('an immutable ConfigMap keeps its data: changing data, binaryData or immutable is 422 Forbidden, its metadata may change (configmap/#configmap-immutable)', async () => {
    const ns = await h.namespace('cm-immutable');
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    expect((await send('POST', path, cm('files', { immutable: true, data: { a: '1' } }))).code).toBe(201);
    expect(await send('PATCH', `${path}/files`, { data: { a: '2' } }, 'application/merge-patch+json')).toEqual({
      code: 422,
      message: 'ConfigMap "files" is invalid: data: Forbidden: field is immutable when `immutable` is set',
    });
    expect(await send('PATCH', `${path}/files`, { immutable: false }, 'application/merge-patch+json')).toEqual({
      code: 422,
      message: 'ConfigMap "files" is invalid: immutable: Forbidden: field is immutable when `immutable` is set',
    });
    // A real owner: an ownerReference to a uid that does not exist makes the garbage collector delete the object.
    const job = await h.batch.createNamespacedJob({
      namespace: ns,
      body: jobManifest('j', 'setInterval(() => {}, 1000)'),
    });
    const owner = { apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: job.metadata!.uid! };
    const patched = await send(
      'PATCH',
      `${path}/files`,
      { metadata: { ownerReferences: [owner], labels: { a: 'b' } } },
      'application/strategic-merge-patch+json',
    );
    expect(patched.code).toBe(200);
    expect(h.double.get('configmaps', ns, 'files')?.metadata.ownerReferences).toEqual([owner]);
    // A mutable one changes freely.
    await send('POST', path, cm('mutable', { data: { a: '1' } }));
    expect((await send('PATCH', `${path}/mutable`, { data: { a: '2' } }, 'application/merge-patch+json')).code).toBe(
      200,
    );
  });

  test('data and binaryData together hold at most 1 MiB (corev1.MaxSecretSize; configmap/: "cannot exceed 1 MiB")', async () => {
    const ns = await h.namespace('cm-size');
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    const half = 'x'.repeat(512 * 1024);
    const binary = Buffer.alloc(512 * 1024 + 1).toString('base64');
    expect(await send('POST', path, cm('big', { data: { a: half }, binaryData: { b: binary } }))).toEqual({
      code: 422,
      message: 'ConfigMap "big" is invalid: []: Too long: may not be more than 1048576 bytes',
    });
    expect((await send('POST', path, cm('fits', { data: { a: half, b: half } }))).code).toBe(201);
  });

  test('keys are alphanumerics, "-", "_" and "."; a key in both data and binaryData is refused', async () => {
    const ns = await h.namespace('cm-keys');
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    expect(await send('POST', path, cm('k', { data: { 'migrations/001.sql': '' } }))).toEqual({
      code: 422,
      message:
        "ConfigMap \"k\" is invalid: data[migrations/001.sql]: Invalid value: \"migrations/001.sql\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    });
    expect(await send('POST', path, cm('d', { data: { a: '' }, binaryData: { a: '' } }))).toEqual({
      code: 422,
      message: 'ConfigMap "d" is invalid: data[a]: Invalid value: "a": duplicate of key present in binaryData',
    });
  });
});

describe('a configMap volume as the working directory', () => {
  test('a container whose workingDir is inside a mount runs in that volume, its items at their paths (define-command-argument-container/#notes; configure-pod-configmap/#add-configmap-data-to-a-specific-path-in-the-volume)', async () => {
    const ns = await h.namespace('cm-workdir');
    await h.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'files' }, data: { 'm.001.sql': 'SELECT 1;', conf: 'x: 1' } },
    });
    const body = jobManifest('reader', '', {
      container: {
        command: nodeCommand(
          "const fs = require('fs'); console.log(fs.readFileSync('migrations/001.sql', 'utf8') + ' ' + fs.readFileSync('schemagate.yaml', 'utf8'))",
        ),
        workingDir: '/schemagate',
        volumeMounts: [{ name: 'files', mountPath: '/schemagate', readOnly: true }],
      },
    });
    Object.assign(body.spec.template.spec, {
      volumes: [
        {
          name: 'files',
          configMap: {
            name: 'files',
            items: [
              { key: 'm.001.sql', path: 'migrations/001.sql' },
              { key: 'conf', path: 'schemagate.yaml' },
            ],
          },
        },
      ],
    });
    await h.batch.createNamespacedJob({ namespace: ns, body });
    const pod = await waitFor('the reader pod to succeed', async () => {
      const pods = await h.core.listNamespacedPod({
        namespace: ns,
        labelSelector: 'batch.kubernetes.io/job-name=reader',
      });
      return pods.items.find((p: V1Pod) => p.status?.phase === 'Succeeded');
    });
    const log = await h.core.readNamespacedPodLog({ namespace: ns, name: pod.metadata!.name!, container: 'main' });
    expect(log).toBe('SELECT 1; x: 1\n');
  });
});

describe('a ConfigMap owned by several Jobs (architecture/garbage-collection/: deleted "once all owners are verified absent")', () => {
  test('outlives the Job the TTL deletes first (foreground: only its reference goes), and goes with the last one', async () => {
    const ns = await h.namespace('cm-owners');
    const done = (name: string, ttl: number) =>
      h.batch.createNamespacedJob({
        namespace: ns,
        body: jobManifest(name, 'process.exit(0)', { spec: { ttlSecondsAfterFinished: ttl } }),
      });
    // The TTL-after-finished controller deletes with Foreground propagation: the first Job goes at once, the second later.
    const first = await done('first', 0);
    const second = await done('second', 3600);
    const ref = (j: typeof first) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      name: j.metadata!.name!,
      uid: j.metadata!.uid!,
      controller: false,
      blockOwnerDeletion: false,
    });
    await h.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'shared', ownerReferences: [ref(first), ref(second)] }, immutable: true, data: {} },
    });
    await waitFor('the first Job to be deleted by its TTL', () => h.double.get('jobs', ns, 'first') === undefined);
    const kept = await waitFor('the shared ConfigMap to lose the first reference', () => {
      const c = h.double.get('configmaps', ns, 'shared') as V1ConfigMap | undefined;
      return c && c.metadata?.ownerReferences?.length === 1 ? c : undefined;
    });
    expect(kept.metadata?.ownerReferences?.map((r) => r.name)).toEqual(['second']);
    expect(kept.metadata?.deletionTimestamp).toBeUndefined();
    await h.batch.deleteNamespacedJob({ namespace: ns, name: 'second', body: { propagationPolicy: 'Foreground' } });
    await waitFor(
      'the shared ConfigMap to be deleted with its last owner',
      () => h.double.get('configmaps', ns, 'shared') === undefined,
    );
  });
});

describe('a configMap volume whose ConfigMap is not there yet', () => {
  test('the pod waits with FailedMount, retried after 0.5 s doubling up to 2 min (goroutinemap/exponentialbackoff), and runs once the ConfigMap exists', async () => {
    expect([1, 2, 3, 4, 9, 20].map(mountBackoffSeconds)).toEqual([0.5, 1, 2, 4, 120, 120]);
    const ns = await h.namespace('cm-late');
    const body = jobManifest('late', '', {
      container: {
        command: nodeCommand("console.log(require('fs').readFileSync('a', 'utf8'))"),
        workingDir: '/files',
        volumeMounts: [{ name: 'files', mountPath: '/files', readOnly: true }],
      },
    });
    Object.assign(body.spec.template.spec, { volumes: [{ name: 'files', configMap: { name: 'late-files' } }] });
    await h.batch.createNamespacedJob({ namespace: ns, body });
    const failed = await waitFor('a FailedMount event', async () =>
      (await h.core.listNamespacedEvent({ namespace: ns })).items.find((e) => e.reason === 'FailedMount'),
    );
    expect(failed.message).toBe('MountVolume.SetUp failed for volume "files" : configmap "late-files" not found');
    await h.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'late-files' }, data: { a: 'here' } },
    });
    const pod = await waitFor('the pod to succeed', async () =>
      (
        await h.core.listNamespacedPod({ namespace: ns, labelSelector: 'batch.kubernetes.io/job-name=late' })
      ).items.find((p: V1Pod) => p.status?.phase === 'Succeeded'),
    );
    const log = await h.core.readNamespacedPodLog({ namespace: ns, name: pod.metadata!.name!, container: 'main' });
    expect(log).toBe('here\n');
  });
});
