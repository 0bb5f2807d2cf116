import { Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startKubeDouble } from '../support/kube-double/index.js';
import { startHarness, waitFor, type Harness } from './helpers.js';

// Facts pinned here: https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.double.close());

interface Seen {
  type: string;
  name?: string;
  rv?: string;
  code?: number;
  reason?: string;
}

async function watch(path: string, query: Record<string, string | boolean>) {
  const events: Seen[] = [];
  let done: { err: unknown } | undefined;
  const req = await new Watch(h.kc).watch(
    path,
    query,
    (type, obj: { metadata?: { name?: string; resourceVersion?: string }; code?: number; reason?: string }) => {
      events.push({
        type,
        name: obj.metadata?.name,
        rv: obj.metadata?.resourceVersion,
        code: obj.code,
        reason: obj.reason,
      });
    },
    (err) => {
      done = { err };
    },
  );
  return { events, isDone: () => done, abort: () => req.abort() };
}

describe('list and watch', () => {
  test('a watch from a list resourceVersion streams ADDED, MODIFIED and DELETED in order (api-concepts/#efficient-detection-of-changes)', async () => {
    const ns = await h.namespace('watch-order');
    await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'before' } } });
    const list = await h.core.listNamespacedConfigMap({ namespace: ns });
    const w = await watch(`/api/v1/namespaces/${ns}/configmaps`, {
      resourceVersion: list.metadata?.resourceVersion ?? '',
    });
    await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'c' }, data: { v: '1' } } });
    await h.core.patchNamespacedConfigMap({
      namespace: ns,
      name: 'c',
      body: [{ op: 'add', path: '/data/v', value: '2' }],
    });
    await h.core.deleteNamespacedConfigMap({ namespace: ns, name: 'c' });
    await waitFor('three events', () => w.events.length >= 3);
    w.abort();
    expect(w.events.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED c', 'MODIFIED c', 'DELETED c']);
    const rvs = w.events.map((e) => Number(e.rv));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
  });

  test('a watch without a resourceVersion starts with ADDED for every existing object (api-concepts/#semantics-for-watch)', async () => {
    const ns = await h.namespace('watch-initial');
    for (const n of ['a', 'b'])
      await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: n } } });
    const w = await watch(`/api/v1/namespaces/${ns}/configmaps`, {});
    await waitFor('two ADDED', () => w.events.length >= 2);
    w.abort();
    expect(w.events.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED a', 'ADDED b']);
  });

  test('the response is chunked newline-delimited JSON, one event per line (api-concepts/#watch-bookmarks)', async () => {
    const ns = await h.namespace('watch-raw');
    const list = await h.core.listNamespacedConfigMap({ namespace: ns });
    const ctl = new AbortController();
    const res = await fetch(
      `${h.double.server}/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${list.metadata?.resourceVersion}`,
      { signal: ctl.signal },
    );
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'x' } } });
    const reader = res.body!.getReader();
    const chunk = await reader.read();
    ctl.abort();
    const line = new TextDecoder().decode(chunk.value as Uint8Array | undefined);
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line)).toMatchObject({
      type: 'ADDED',
      object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'x' } },
    });
  });

  test('with allowWatchBookmarks the server sends BOOKMARK events carrying a resourceVersion (api-concepts/#watch-bookmarks)', async () => {
    const ns = await h.namespace('watch-bookmarks');
    const list = await h.core.listNamespacedConfigMap({ namespace: ns });
    const w = await watch(`/api/v1/namespaces/${ns}/configmaps`, {
      resourceVersion: list.metadata?.resourceVersion ?? '',
      allowWatchBookmarks: true,
    });
    await waitFor('a bookmark', () => w.events.some((e) => e.type === 'BOOKMARK'));
    w.abort();
    const bookmark = w.events.find((e) => e.type === 'BOOKMARK');
    expect(Number(bookmark?.rv)).toBeGreaterThanOrEqual(Number(list.metadata?.resourceVersion));
  });

  test('a watch from a compacted resourceVersion gets an ERROR event with a 410 Expired Status, then the stream ends (api-concepts/#410-gone-responses)', async () => {
    const ns = await h.namespace('watch-gone');
    const list = await h.core.listNamespacedConfigMap({ namespace: ns });
    await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'after' } } });
    h.double.compact();
    const w = await watch(`/api/v1/namespaces/${ns}/configmaps`, {
      resourceVersion: list.metadata?.resourceVersion ?? '',
    });
    await waitFor('the watch to end', () => w.isDone());
    expect(w.events).toEqual([{ type: 'ERROR', code: 410, reason: 'Expired', name: undefined, rv: undefined }]);
  });

  test('a list with resourceVersionMatch=Exact and a compacted resourceVersion is HTTP 410 Gone (api-concepts/#resourceversion-in-metadata)', async () => {
    const ns = await h.namespace('list-gone');
    const list = await h.core.listNamespacedConfigMap({ namespace: ns });
    await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'after' } } });
    h.double.compact();
    const res = await fetch(
      `${h.double.server}/api/v1/namespaces/${ns}/configmaps?resourceVersion=${list.metadata?.resourceVersion}&resourceVersionMatch=Exact`,
    );
    expect(res.status).toBe(410);
    expect(await res.json()).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  test('only the configured number of changes is retained: older resourceVersions get 410 without a compaction (api-concepts/#410-gone-responses)', async () => {
    const small = await startKubeDouble({ retainedEvents: 5 });
    try {
      const rv = small.resourceVersion;
      for (let i = 0; i < 6; i++) {
        await fetch(`${small.server}/api/v1/namespaces/default/configmaps`, {
          method: 'POST',
          body: JSON.stringify({ metadata: { name: `c${i}` } }),
        });
      }
      const res = await fetch(`${small.server}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`);
      expect(JSON.parse((await res.text()).trim())).toMatchObject({ type: 'ERROR', object: { code: 410 } });
    } finally {
      await small.close();
    }
  });

  test('dropWatches() ends open watches; resuming from the last resourceVersion misses nothing (api-concepts/#efficient-detection-of-changes)', async () => {
    const ns = await h.namespace('watch-drop');
    const list = await h.core.listNamespacedConfigMap({ namespace: ns });
    const first = await watch(`/api/v1/namespaces/${ns}/configmaps`, {
      resourceVersion: list.metadata?.resourceVersion ?? '',
    });
    await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'one' } } });
    await waitFor('event one', () => first.events.length === 1);
    h.double.dropWatches();
    await waitFor('the first watch to end', () => first.isDone());
    expect(first.isDone()?.err).toBeNull();
    await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'two' } } });
    const resumed = await watch(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: first.events[0]?.rv ?? '' });
    await waitFor('event two', () => resumed.events.length === 1);
    resumed.abort();
    expect(resumed.events[0]).toMatchObject({ type: 'ADDED', name: 'two' });
  });

  test('with a label selector, an object that starts or stops matching is ADDED or DELETED for the watch (api-concepts/#watch)', async () => {
    const ns = await h.namespace('watch-selector');
    const list = await h.core.listNamespacedConfigMap({ namespace: ns });
    const w = await watch(`/api/v1/namespaces/${ns}/configmaps`, {
      resourceVersion: list.metadata?.resourceVersion ?? '',
      labelSelector: 'role=db',
    });
    await h.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'c', labels: { role: 'web' } } },
    });
    await h.core.patchNamespacedConfigMap({
      namespace: ns,
      name: 'c',
      body: [{ op: 'replace', path: '/metadata/labels/role', value: 'db' }],
    });
    await h.core.patchNamespacedConfigMap({
      namespace: ns,
      name: 'c',
      body: [{ op: 'replace', path: '/metadata/labels/role', value: 'web' }],
    });
    await waitFor('two events', () => w.events.length >= 2);
    w.abort();
    expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
  });

  test('a continue token from before a compaction is 410 Gone (api-concepts/#retrieving-large-results-sets-in-chunks)', async () => {
    const ns = await h.namespace('continue-gone');
    for (const n of ['a', 'b'])
      await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: n } } });
    const first = await h.core.listNamespacedConfigMap({ namespace: ns, limit: 1 });
    await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'c' } } });
    h.double.compact();
    const err = await h.core
      .listNamespacedConfigMap({ namespace: ns, limit: 1, _continue: first.metadata?._continue ?? '' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 410 });
  });
});
