import { Log, type V1Status } from '@kubernetes/client-node';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nodeCommand, startHarness, waitFor, type Harness } from './helpers.js';

// Facts pinned here: https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#get-read-log-of-the-specified-pod
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.double.close());

async function pod(
  ns: string,
  name: string,
  containers: { name: string; script: string }[],
  restartPolicy = 'Never',
  image = 'node:20',
) {
  await h.core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name },
      spec: {
        restartPolicy,
        containers: containers.map((c) => ({ name: c.name, image, command: nodeCommand(c.script) })),
      },
    },
  });
}

async function phase(ns: string, name: string, want: string) {
  await waitFor(
    `pod ${name} ${want}`,
    async () => (await h.core.readNamespacedPod({ namespace: ns, name })).status?.phase === want,
  );
}

const raw = async (path: string) => {
  const res = await fetch(`${h.double.server}${path}`);
  return { status: res.status, text: await res.text() };
};

describe('pod logs', () => {
  test('stdout and stderr are one log, in the order written (concepts/cluster-administration/logging/#basic-logging-in-kubernetes)', async () => {
    const ns = await h.namespace('log-order');
    await pod(ns, 'p', [
      {
        name: 'c',
        script:
          'console.log("1 out"); setTimeout(() => { console.error("2 err"); setTimeout(() => console.log("3 out"), 30); }, 30)',
      },
    ]);
    await phase(ns, 'p', 'Succeeded');
    expect(await h.core.readNamespacedPodLog({ namespace: ns, name: 'p' })).toBe('1 out\n2 err\n3 out\n');
  });

  test('tailLines returns the last lines; timestamps prefixes each line with an RFC 3339 time (pod-v1/#get-read-log-of-the-specified-pod)', async () => {
    const ns = await h.namespace('log-tail');
    await pod(ns, 'p', [{ name: 'c', script: 'for (let i = 1; i <= 5; i++) console.log("line " + i)' }]);
    await phase(ns, 'p', 'Succeeded');
    expect(await h.core.readNamespacedPodLog({ namespace: ns, name: 'p', tailLines: 2 })).toBe('line 4\nline 5\n');
    const stamped = await h.core.readNamespacedPodLog({ namespace: ns, name: 'p', tailLines: 1, timestamps: true });
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line 5\n$/);
  });

  test('a pod with several containers needs the container parameter (pod-v1/#get-read-log-of-the-specified-pod)', async () => {
    const ns = await h.namespace('log-container');
    await pod(ns, 'p', [
      { name: 'a', script: 'console.log("from a")' },
      { name: 'b', script: 'console.log("from b")' },
    ]);
    await phase(ns, 'p', 'Succeeded');
    const missing = await raw(`/api/v1/namespaces/${ns}/pods/p/log`);
    expect(missing.status).toBe(400);
    expect((JSON.parse(missing.text) as V1Status).message).toBe(
      'a container name must be specified for pod p, choose one of: [a b]',
    );
    expect(await h.core.readNamespacedPodLog({ namespace: ns, name: 'p', container: 'b' })).toBe('from b\n');
  });

  test('a container that has not started is 400 "is waiting to start" (pod-v1/#get-read-log-of-the-specified-pod)', async () => {
    const ns = await h.namespace('log-waiting');
    h.double.setImagePresent('acme/absent:1', false);
    await pod(ns, 'p', [{ name: 'c', script: '' }], 'Never', 'acme/absent:1');
    await waitFor(
      'ImagePullBackOff',
      async () =>
        (await h.core.readNamespacedPod({ namespace: ns, name: 'p' })).status?.containerStatuses?.[0]?.state?.waiting
          ?.reason === 'ImagePullBackOff',
    );
    const res = await raw(`/api/v1/namespaces/${ns}/pods/p/log?container=c`);
    expect(res.status).toBe(400);
    expect((JSON.parse(res.text) as V1Status).message).toBe(
      'container "c" in pod "p" is waiting to start: trying and failing to pull image',
    );
  });

  test('previous=true returns the log of the previous run of a restarted container, and 400 without one (pod-v1/#get-read-log-of-the-specified-pod)', async () => {
    const ns = await h.namespace('log-previous');
    const marker = join(mkdtempSync(join(tmpdir(), 'prev-')), 'ran');
    const script = `const fs = require('fs'); if (fs.existsSync(${JSON.stringify(marker)})) { console.log('second'); } else { fs.writeFileSync(${JSON.stringify(marker)}, ''); console.log('first'); process.exit(1); }`;
    await pod(ns, 'p', [{ name: 'c', script }], 'OnFailure');
    await phase(ns, 'p', 'Succeeded');
    expect(await h.core.readNamespacedPodLog({ namespace: ns, name: 'p' })).toBe('second\n');
    expect(await h.core.readNamespacedPodLog({ namespace: ns, name: 'p', previous: true })).toBe('first\n');
    const ns2 = await h.namespace('log-no-previous');
    await pod(ns2, 'q', [{ name: 'c', script: 'console.log("once")' }]);
    await phase(ns2, 'q', 'Succeeded');
    const none = await raw(`/api/v1/namespaces/${ns2}/pods/q/log?previous=true`);
    expect(none.status).toBe(400);
    expect((JSON.parse(none.text) as V1Status).message).toBe('previous terminated container "c" in pod "q" not found');
  });

  test("client-node's Log follows a running container's output until it exits (pod-v1/#get-read-log-of-the-specified-pod, follow)", async () => {
    const ns = await h.namespace('log-follow');
    await pod(ns, 'p', [
      {
        name: 'c',
        script:
          'let i = 0; const t = setInterval(() => { console.log("tick " + ++i); if (i === 3) clearInterval(t); }, 40)',
      },
    ]);
    await phase(ns, 'p', 'Running');
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const ended = new Promise((resolve) => out.on('end', resolve));
    await new Log(h.kc).log(ns, 'p', 'c', out, { follow: true });
    await ended;
    expect(text).toBe('tick 1\ntick 2\ntick 3\n');
  });

  test('a missing pod is 404 for the log too', async () => {
    const ns = await h.namespace('log-404');
    const err = await new Log(h.kc).log(ns, 'nope', 'c', new PassThrough()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 404 });
  });
});
