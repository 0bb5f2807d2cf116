import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from '../support/cli.js';
import { closeIfStarted, testCluster, type TestCluster } from '../support/cluster.js';
import { stopChild } from '../support/stop-child.js';
import { e2eProject } from '../support/e2e-project.js';
import { freshNamespace, kube, watchCollection } from '../support/kube.js';
import { freshDatabase } from '../support/pg.js';
import { redisServerBinary } from '../support/redis.js';

/**
 * The backend waits for its dependencies: `up` with the sample's Redis
 * (k8s/redis.yaml, applied by `up` because redis://redis:6379 is in
 * backend.dependencies) scaled to 0. The pod stays in Init, its init
 * container `wait-for-dependencies` running, while `up` names the target;
 * once Redis is scaled up the init container ends and the rollout completes.
 * Init containers run in order and the pod stays Pending until each
 * succeeded: https://kubernetes.io/docs/concepts/workloads/pods/init-containers/#detailed-behavior
 * On the double, Redis runs on the local redis-server: without it these are
 * skipped (except in CI, where .ci/run installs it).
 */
const onDouble = process.env['SCHEMAGATE_E2E_REAL'] !== '1';
const hasRedis = !onDouble || Boolean(redisServerBinary) || Boolean(process.env['CI']);

// The sample's Redis, with no replica: the Service is there, nothing answers behind it.
const redisDown = readFileSync(join(repoRoot, 'k8s/redis.yaml'), 'utf8').replace(/replicas: 1\b/, 'replicas: 0');

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await testCluster({ namespacePrefix: 'e2e-deps', redisImages: ['redis:*'] });
});
afterAll(() => closeIfStarted(cluster));

const waitingForDependencies = (pod: V1Pod) =>
  pod.status?.initContainerStatuses?.find((s) => s.name === 'wait-for-dependencies')?.state?.running !== undefined;

describe.skipIf(!hasRedis)("the backend's dependencies in the cluster", () => {
  it('with Redis down the backend stays in Init and `up` names redis://redis:6379; scaled up, the rollout completes; check --cluster asks from inside', async () => {
    const ns = await freshNamespace(cluster, 'e2e-deps');
    const p = e2eProject(ns, await freshDatabase(), {
      replicas: 1,
      config: 'backend:\n  waitTimeout: 100s\n  dependencies:\n    - redis://redis:6379',
      manifests: { 'redis.yaml': redisDown },
    });
    const pods = await watchCollection<V1Pod>(ns, `/api/v1/namespaces/${ns.namespace}/pods`);
    const up = execa(process.execPath, [cliPath, 'up'], {
      cwd: p.dir,
      env: { KUBECONFIG: ns.kubeconfigPath, CI: '1', NO_COLOR: '1', DATABASE_URL: undefined },
      reject: false,
      all: true,
      timeout: 150_000,
    });
    let output = '';
    const named = new Promise<void>((resolve) =>
      up.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (/wait-for-dependencies: waiting for redis:\/\/redis:6379 \(attempt \d+/.test(output)) resolve();
      }),
    );
    try {
      const waiting = await pods.until(
        (_t, pod) => pod.metadata?.labels?.['app.kubernetes.io/name'] === 'backend' && waitingForDependencies(pod),
        'a backend pod in Init, running wait-for-dependencies',
        120_000,
      );
      // The later init containers have not started: the pod is held before db wait.
      expect(waiting.status?.phase).toBe('Pending');
      expect(waiting.status?.initContainerStatuses?.map((s) => s.name)).toEqual([
        'wait-for-dependencies',
        'wait-for-db',
        'verify-schema',
      ]);
      expect(waiting.status?.initContainerStatuses?.[1]?.state?.running).toBeUndefined();
      // `up` says which dependency holds the pod: the init container's own line, with the last error.
      await named;
      const k = kube(ns);
      await k.apps.patchNamespacedDeploymentScale({
        name: 'redis',
        namespace: ns.namespace,
        body: [{ op: 'replace', path: '/spec/replicas', value: 1 }],
      });
      const r = await up;
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stderr).toMatch(
        /pod backend-[a-z0-9-]+ is in Init: wait-for-dependencies waits for redis:\/\/redis:6379 \(up to 100s\)/,
      );
      expect(r.stderr).toMatch(/wait-for-dependencies: ready: redis:\/\/redis:6379: PONG/);
      expect(r.stdout).toMatch(/Backend deployment\/backend available \(1 replica/);
      const backend = (await k.pods('app.kubernetes.io/name=backend')).filter((x) => !x.metadata?.deletionTimestamp);
      expect(backend.map((x) => x.status?.initContainerStatuses?.map((s) => s.state?.terminated?.exitCode))).toEqual([
        [0, 0, 0],
      ]);

      // check --cluster asks from inside the cluster (a one-off Job running the same wait), where redis resolves.
      const ok = await p.run(['check', '--cluster']);
      expect(ok.exitCode, ok.all).toBe(0);
      expect(ok.stdout).toMatch(/ok {4}dependencies \(from the cluster\): redis:\/\/redis:6379: PONG/);
      await k.apps.patchNamespacedDeploymentScale({
        name: 'redis',
        namespace: ns.namespace,
        body: [{ op: 'replace', path: '/spec/replicas', value: 0 }],
      });
      await pods.until(
        (type, pod) => pod.metadata?.labels?.['app.kubernetes.io/name'] === 'redis' && type === 'DELETED',
        'the redis pod gone',
      );
      const down = await p.run(['check', '--cluster', '--json']);
      expect(down.exitCode, down.all).toBe(10);
      const report = JSON.parse(down.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
      const deps = report.checks.find((c) => c.name === 'dependencies (from the cluster)');
      expect(deps?.ok).toBe(false);
      expect(deps?.detail).toMatch(
        /^1 of 1 target did not answer within 10s:\n {2}redis:\/\/redis:6379 \(\d+ attempts\): PING: /,
      );
      // The one-off Job is gone again.
      expect((await k.jobs('schemagate.dev/job=dependencies')).filter((j) => !j.metadata?.deletionTimestamp)).toEqual(
        [],
      );
    } finally {
      pods.stop();
      await stopChild(up, 'SIGTERM');
    }
  }, 240_000);

  it('a dependency that never comes up fails `up` at backend.waitTimeout, naming the target and its last error', async () => {
    const ns = await freshNamespace(cluster, 'e2e-deps');
    const p = e2eProject(ns, await freshDatabase(), {
      replicas: 1,
      config: 'backend:\n  waitTimeout: 3s\n  dependencies:\n    - redis://redis:6379',
      manifests: { 'redis.yaml': redisDown },
    });
    const r = await p.run(['up'], { timeout: 150_000 });
    expect(r.exitCode, r.all).toBe(10);
    expect(r.stderr).toMatch(
      /deployment\/backend: pod backend-[a-z0-9-]+, init container wait-for-dependencies: \w+: exit code 5: not every dependency answered/,
    );
    // Its output: the wait's own failure, naming the target.
    expect(r.stderr).toMatch(/output of wait-for-dependencies:\n[\s\S]*redis:\/\/redis:6379/);
    expect(r.stderr).toContain(
      'A dependency in backend.dependencies did not answer within backend.waitTimeout (the output above names it, with its last error).',
    );
  }, 180_000);
});
