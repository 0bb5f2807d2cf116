import type { V1Deployment, V1JobStatus, V1ObjectReference } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemagateError } from '../../src/errors.js';
import { job, kubeHarness, progressLog, sh, type KubeHarness } from './harness.js';

// The new fail-fast verdicts against the double (real HTTP and watch, real client-node), each on a manual clock.
// - PodScheduled=False/Unschedulable: https://kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/
// - FailedCreate, ReplicaFailure: https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#failed-deployment
// - Pod Security admission: https://kubernetes.io/docs/concepts/security/pod-security-admission/
// - ResourceQuota: https://kubernetes.io/docs/concepts/policy/resource-quotas/#requests-vs-limits
// - eviction: https://kubernetes.io/docs/concepts/scheduling-eviction/api-eviction/
let h: KubeHarness;
beforeAll(async () => {
  h = await kubeHarness({ node: { cpu: '1' } });
});
afterAll(() => h.close());

const forever = () => new AbortController().signal;

async function rejection(p: Promise<unknown>): Promise<SchemagateError> {
  const e: unknown = await p.then(
    () => new Error('expected the wait to fail'),
    (err: unknown) => err,
  );
  if (!(e instanceof SchemagateError)) throw e;
  return e;
}

/** Whether a promise settled by now (after the event loop had a turn). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setTimeout(r, 20));
  return done;
}

const hungry = (name: string) => job(name, sh('true'), { container: { resources: { requests: { cpu: '2' } } } });

async function quota(namespace: string): Promise<void> {
  const res = await fetch(`${h.double.server}/api/v1/namespaces/${namespace}/resourcequotas`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ metadata: { name: 'cpu' }, spec: { hard: { 'limits.cpu': '4' } } }),
  });
  if (res.status !== 201) throw new Error(`resourcequota: HTTP ${res.status}`);
}

/** Resolves once a FailedCreate event about `name` exists. */
async function failedCreateOf(namespace: string, name: string): Promise<void> {
  for (;;) {
    if (
      h.double
        .list('events', namespace)
        .some(
          (e) =>
            e['reason'] === 'FailedCreate' && (e['involvedObject'] as V1ObjectReference | undefined)?.name === name,
        )
    )
      return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('an unschedulable pod', () => {
  it("fails the Job wait once the grace period has passed on the injected clock, with the scheduler's message", async () => {
    const s = await h.session();
    await s.api.createJob(hungry('big'));
    const progress = progressLog();
    const waiting = s.kube.waitForJob({
      name: 'big',
      timeoutMs: 600_000,
      signal: forever(),
      created: true,
      unschedulableGraceMs: 30_000,
      ...progress,
    });
    await progress.next(/^pod big-\w+ is unschedulable: 0\/1 nodes are available: 1 Insufficient cpu\./);
    s.clock.advance(29_999);
    expect(await settled(waiting)).toBe(false);
    s.clock.advance(1);
    const e = await rejection(waiting);
    expect(e.code).toBe('job.Unschedulable');
    expect(e.message).toMatch(
      /^job\/big: pod big-\w+ could not be scheduled for 30s: 0\/1 nodes are available: 1 Insufficient cpu\. preemption: /,
    );
    expect(s.clock.pending).toBe(0);
  });

  it('is waited for while a node may still come: once scheduled within the grace period, the Job completes', async () => {
    const s = await h.session();
    await s.api.createJob(hungry('later'));
    const progress = progressLog();
    const waiting = s.kube.waitForJob({
      name: 'later',
      timeoutMs: 600_000,
      signal: forever(),
      created: true,
      unschedulableGraceMs: 30_000,
      ...progress,
    });
    await progress.next(/is unschedulable/);
    s.clock.advance(20_000);
    h.double.setNode({ cpu: '4' });
    expect(await waiting).toMatchObject({ name: 'later', attempts: 1 });
    h.double.setNode({ cpu: '1' });
  });
});

describe('a pod admission refuses', () => {
  it('fails the Job wait at once on FailedCreate (Pod Security), with the policy in the message and the hint', async () => {
    const s = await h.session({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    await s.api.createJob(job('open', sh('true')));
    const e = await rejection(
      s.kube.waitForJob({ name: 'open', timeoutMs: 600_000, signal: forever(), created: true }),
    );
    expect(e.code).toBe('job.FailedCreate');
    expect(e.message).toMatch(
      /^job\/open cannot create its pod: Error creating: pods "open-" is forbidden: violates PodSecurity "restricted:latest": /,
    );
    expect(e.hint).toMatch(/^The namespace kube-\d+-\d+ enforces the Pod Security Standard "restricted:latest"/);
  });

  it('does not fail a re-run on a FailedCreate from before it began: the quota was fixed, the Job completes', async () => {
    const s = await h.session();
    await quota(s.namespace);
    await s.api.createJob(job('quota', sh('true')));
    await failedCreateOf(s.namespace, 'quota');
    await fetch(`${h.double.server}/api/v1/namespaces/${s.namespace}/resourcequotas/cpu`, { method: 'DELETE' });
    // Attached to the Job (not created): the event the first look shows is the last run's.
    expect(await s.kube.waitForJob({ name: 'quota', timeoutMs: 600_000, signal: forever() })).toMatchObject({
      attempts: 1,
    });
  });

  it('fails a re-run as soon as the refusal repeats: nothing was fixed', async () => {
    const s = await h.session();
    await quota(s.namespace);
    await s.api.createJob(job('still', sh('true')));
    await failedCreateOf(s.namespace, 'still');
    const e = await rejection(s.kube.waitForJob({ name: 'still', timeoutMs: 600_000, signal: forever() }));
    expect(e.code).toBe('job.FailedCreate');
    expect(e.message).toContain('failed quota: cpu: must specify limits.cpu for: main');
  });

  it("fails the rollout at once on the Deployment's ReplicaFailure", async () => {
    const s = await h.session();
    await quota(s.namespace);
    const d: V1Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'app', image: 'busybox:1', command: sh('sleep 300') }] },
        },
      },
    };
    await s.kube.apply(d);
    const e = await rejection(s.kube.waitForRollout({ name: 'web', timeoutMs: 600_000, signal: forever() }));
    expect(e.code).toBe('rollout.FailedCreate');
    expect(e.message).toMatch(
      /^deployment\/web cannot create its pods: .*failed quota: cpu: must specify limits\.cpu for: app/,
    );
  });
});

describe('replacing what an earlier run left stuck', () => {
  // Kubernetes' own delays: the kubelet tries a missing Secret again only every 10 s.
  let slow: KubeHarness;
  beforeAll(async () => {
    slow = await kubeHarness({ timeScale: 1 });
  });
  afterAll(() => slow.close());

  it('evicts the stuck pod of a Job (not counted as a failed attempt), and the wait then completes', async () => {
    const s = await slow.session();
    const env = [{ name: 'URL', valueFrom: { secretKeyRef: { name: 'db', key: 'URL' } } }];
    const submitted = await s.api.createJob(
      job('stuck', sh('true'), {
        container: { env },
        spec: {
          podFailurePolicy: {
            rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }],
          },
        },
      }),
    );
    const first = await rejection(s.kube.waitForJob({ name: 'stuck', timeoutMs: 600_000, signal: forever() }));
    expect(first.code).toBe('job.CreateContainerConfigError');
    const stuckPod = /pod (stuck-\w+)/.exec(first.message)?.[1];
    await s.kube.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db' },
      stringData: { URL: 'x' },
    } as never);
    const replaced = await s.kube.replaceStuckPods({ job: submitted });
    expect(replaced).toEqual([{ pod: stuckPod, container: 'main', reason: 'CreateContainerConfigError' }]);
    expect(await s.kube.waitForJob({ name: 'stuck', timeoutMs: 600_000, signal: forever() })).toMatchObject({
      name: 'stuck',
    });
    const after = slow.double.get('jobs', s.namespace, 'stuck');
    const status = after?.['status'] as V1JobStatus | undefined;
    expect(status?.failed).toBeUndefined();
    expect(status?.succeeded).toBe(1);
  });
});
