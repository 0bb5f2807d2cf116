import type { V1Pod } from '@kubernetes/client-node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, waitFor, type Harness } from './helpers.js';

// Facts pinned here: pkg/kubelet/images/image_manager.go (pull policies, events),
// https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy and #imagepullbackoff,
// https://kind.sigs.k8s.io/docs/user/quick-start/#loading-an-image-into-your-cluster
// ("Kubernetes default pull policy is IfNotPresent ... don't use a :latest tag" / imagePullPolicy Always fails).
let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await startHarness({ loadedImages: ['schemagate:*'] });
  dir = mkdtempSync(join(tmpdir(), 'images-'));
});
afterAll(async () => {
  await h.double.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(ns: string, name: string, image: string, policy: string, script = 'console.log("ran")') {
  await h.core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image, imagePullPolicy: policy, command: [process.execPath, '-e', script] }],
      },
    },
  });
}

async function until(ns: string, name: string, ok: (p: V1Pod) => boolean): Promise<V1Pod> {
  return waitFor(`pod ${name}`, async () => {
    const p = await h.core.readNamespacedPod({ namespace: ns, name });
    return ok(p) ? p : undefined;
  });
}

async function events(ns: string, name: string, withCount = false): Promise<string[]> {
  const list = await h.core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` });
  return list.items.map((e) => `${e.reason}: ${e.message}${withCount && (e.count ?? 1) > 1 ? ` (x${e.count})` : ''}`);
}

describe('images', () => {
  test('an image loaded on the node only runs with IfNotPresent, and fails to pull with Always, as on kind', async () => {
    const ns = await h.namespace('loaded');
    await run(ns, 'ifnotpresent', 'schemagate:dev', 'IfNotPresent');
    await until(ns, 'ifnotpresent', (p) => p.status?.phase === 'Succeeded');
    expect(await events(ns, 'ifnotpresent')).toContain(
      'Pulled: Container image "schemagate:dev" already present on machine',
    );
    await run(ns, 'always', 'schemagate:dev', 'Always');
    const p = await until(
      ns,
      'always',
      (x) => x.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff',
    );
    const ev = await events(ns, 'always');
    expect(ev).toContain(
      'Failed: Failed to pull image "schemagate:dev": failed to pull and unpack image "docker.io/library/schemagate:dev": failed to resolve reference "docker.io/library/schemagate:dev": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
    );
    expect(ev).toContain('Failed: Error: ErrImagePull');
    expect(ev).toContain('BackOff: Back-off pulling image "schemagate:dev"');
    expect(p.status?.phase).toBe('Pending');
  });

  test('a registry answering 429 Too Many Requests a few times: ErrImagePull, back-off, then the pull succeeds and the container runs', async () => {
    const ns = await h.namespace('429');
    h.double.injectPullErrors('ghcr.io/acme/tool:1', 2);
    await run(ns, 'p', 'ghcr.io/acme/tool:1', 'IfNotPresent');
    await until(ns, 'p', (p) => p.status?.phase === 'Succeeded');
    const ev = await events(ns, 'p', true);
    expect(ev).toContain(
      'Failed: Failed to pull image "ghcr.io/acme/tool:1": failed to pull and unpack image "ghcr.io/acme/tool:1": failed to resolve reference "ghcr.io/acme/tool:1": unexpected status from HEAD request: 429 Too Many Requests (x2)',
    );
    expect(ev.some((e) => /^Pulled: Successfully pulled image "ghcr.io\/acme\/tool:1" in \d+ms/.test(e))).toBe(true);
  });

  test("an image built from a folder runs that folder's snapshot (its WORKDIR), with a digest of its files", async () => {
    const ns = await h.namespace('content');
    const src = join(dir, 'project');
    rmSync(src, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(src);
    writeFileSync(join(src, 'version.txt'), 'v1');
    const built = h.double.buildImage('app:v1', src);
    // A later edit of the checkout does not change the built image.
    writeFileSync(join(src, 'version.txt'), 'v2');
    expect(built.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    await run(ns, 'p', 'app:v1', 'IfNotPresent', 'console.log(require("fs").readFileSync("version.txt","utf8"))');
    const p = await until(ns, 'p', (x) => x.status?.phase === 'Succeeded');
    expect(p.status?.containerStatuses?.[0]?.imageID).toBe(`docker.io/library/app@${built.digest}`);
    const log = await h.core.readNamespacedPodLog({ namespace: ns, name: 'p' });
    expect(log).toBe('v1\n');
    const again = h.double.buildImage('app:v2', src);
    expect(again.digest).not.toBe(built.digest);
  });
});
