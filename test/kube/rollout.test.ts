import type { V1Container, V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemagateError } from '../../src/errors.js';
import { kubeHarness, progressLog, sh, type KubeHarness } from './harness.js';

// The rollout wait's decisions against the double, with a manual clock.
// Kubernetes facts: https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#deployment-status
// (kubectl rollout status: observedGeneration, updated, available replicas; ProgressDeadlineExceeded)
let h: KubeHarness;
beforeAll(async () => {
  h = await kubeHarness({ absentImages: ['ghcr.io/acme/*'] });
});
afterAll(() => h.close());

function deployment(
  name: string,
  opts: { replicas?: number; init?: V1Container[]; image?: string; progressDeadlineSeconds?: number } = {},
): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: opts.replicas ?? 1,
      ...(opts.progressDeadlineSeconds ? { progressDeadlineSeconds: opts.progressDeadlineSeconds } : {}),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          ...(opts.init ? { initContainers: opts.init } : {}),
          containers: [{ name: 'app', image: opts.image ?? 'busybox:1', command: sh('sleep 300') }],
        },
      },
    },
  };
}

async function rejection(p: Promise<unknown>): Promise<SchemagateError> {
  const e: unknown = await p.then(
    () => new Error('expected the wait to fail'),
    (err: unknown) => err,
  );
  if (!(e instanceof SchemagateError)) throw e;
  return e;
}

const forever = () => new AbortController().signal;

describe('waitForRollout', () => {
  it('ends when every replica is updated and available, with the replica count', async () => {
    const s = await h.session();
    await s.kube.apply(deployment('web', { replicas: 2 }));
    const r = await s.kube.waitForRollout({ name: 'web', timeoutMs: 60_000, signal: forever() });
    expect(r).toEqual({ durationMs: 0, replicas: 2 });
    expect(s.clock.pending).toBe(0);
  });

  it("fails fast with an init container's output when it keeps failing (the backend's verify-schema)", async () => {
    const s = await h.session();
    const init = [{ name: 'verify-schema', image: 'busybox:1', command: sh('echo "missing table users" >&2; exit 8') }];
    await s.kube.apply(deployment('backend', { init }));
    const e = await rejection(s.kube.waitForRollout({ name: 'backend', timeoutMs: 60_000, signal: forever() }));
    expect(e.code).toMatch(/^rollout\.(CrashLoopBackOff|Error)$/);
    expect(e.message).toMatch(
      /^deployment\/backend: pod backend-[\w-]+, init container verify-schema: (CrashLoopBackOff|Error): exit code 8, restarted \d+ times\n {2}output of verify-schema:\n {4}missing table users$/,
    );
    expect(e.hint).toMatch(/^The init container keeps failing\. If it is verify-schema, the database is not migrated/);
  });

  it('fails fast on an image that cannot be pulled', async () => {
    const s = await h.session();
    await s.kube.apply(deployment('pull', { image: 'ghcr.io/acme/app:2' }));
    const e = await rejection(s.kube.waitForRollout({ name: 'pull', timeoutMs: 60_000, signal: forever() }));
    expect(e.message).toMatch(/^deployment\/pull: pod pull-[\w-]+, container app: (ErrImagePull|ImagePullBackOff)/);
    expect(e.hint).toContain('kind load docker-image ghcr.io/acme/app:2');
  });

  it('fails when the Deployment exceeds its progress deadline', async () => {
    const s = await h.session();
    // An init container that never ends: no pod becomes available before progressDeadlineSeconds.
    const init = [{ name: 'wait', image: 'busybox:1', command: sh('sleep 300') }];
    await s.kube.apply(deployment('stuck', { init, progressDeadlineSeconds: 5 }));
    const e = await rejection(s.kube.waitForRollout({ name: 'stuck', timeoutMs: 60_000, signal: forever() }));
    expect(e.code).toBe('rollout.deadline');
    expect(e.message).toMatch(/^deployment\/stuck exceeded its progress deadline: /);
  });

  it('gives up at its deadline on the injected clock, saying how many replicas are ready', async () => {
    const s = await h.session();
    const init = [{ name: 'wait', image: 'busybox:1', command: sh('sleep 300') }];
    await s.kube.apply(deployment('slow', { init }));
    const progress = progressLog();
    const waiting = s.kube.waitForRollout({ name: 'slow', timeoutMs: 30_000, signal: forever(), ...progress });
    s.clock.advance(30_000);
    const e = await rejection(waiting);
    expect(e.code).toBe('rollout.timeout');
    expect(e.message).toMatch(
      /^timed out after 30s waiting for deployment\/slow to roll out \(0 updated, 0 available of (1|\?)\)$/,
    );
  });

  it('says so when there is no such Deployment', async () => {
    const s = await h.session();
    const e = await rejection(s.kube.waitForRollout({ name: 'none', timeoutMs: 60_000, signal: forever() }));
    expect([e.code, e.message]).toEqual([
      'rollout.missing',
      `deployment/none does not exist in namespace ${s.namespace}`,
    ]);
  });
});
