import { readFileSync } from 'node:fs';
import type { CoreV1Event, V1Deployment, V1Job, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { jobRecheck } from '../../src/kube/job-rules.js';
import { jobVerdict, mainContainer, type JobObservation } from '../../src/kube/job-verdict.js';
import { crashingInit, KIND_CLUSTER, needsReplacing, stuckHint } from '../../src/kube/pod-problems.js';
import { rolloutRecheck, rolloutVerdict, type RolloutObservation } from '../../src/kube/rollout-verdict.js';
import { selectorString } from '../../src/kube/selector.js';
import { jobWaitTimeoutMs, rolloutWaitTimeoutMs } from '../../src/kube/wait-deadlines.js';
import { type Memory, WaitMemory } from '../../src/kube/wait-memory.js';
import { ManualClock } from '../support/manual-clock.js';

// The fail-fast verdicts as pure functions of the objects and of what the wait remembers.
// Container states: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-states
// PodScheduled/Unschedulable: https://kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/
// FailedCreate and ReplicaFailure: https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#failed-deployment

/** A memory with a fixed `now`, first sightings and stale keys. */
function memory(now: number, firstSeen: Record<string, number> = {}, stale: string[] = []): Memory {
  return { now, firstSeen: (k) => firstSeen[k] ?? now, stale: (k) => stale.includes(k) };
}

function pod(name: string, status: V1Pod['status'], extra: { deleting?: boolean; hash?: string } = {}): V1Pod {
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      labels: { 'schemagate.dev/job': 'migrate', ...(extra.hash ? { 'pod-template-hash': extra.hash } : {}) },
      ...(extra.deleting ? { deletionTimestamp: new Date(0) } : {}),
    },
    spec: { containers: [{ name: 'migrate', image: 'schemagate:x' }] },
    status,
  };
}

const waiting = (reason: string, message = '') => ({
  phase: 'Pending',
  containerStatuses: [
    {
      name: 'migrate',
      image: 'x',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { waiting: { reason, message } },
    },
  ],
});

const unschedulableStatus = {
  phase: 'Pending',
  conditions: [
    {
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message: '0/1 nodes are available: 1 Insufficient cpu.',
    },
  ],
};

const job: V1Job = { metadata: { name: 'm', uid: 'job-uid' }, spec: { template: {} }, status: {} };

function observe(pods: V1Pod[], extra: Partial<JobObservation> = {}): JobObservation {
  return { name: 'm', namespace: 'app', context: 'kind-schemagate', job, pods, seenBefore: true, ...extra };
}

function event(uid: string, count: number, message: string): CoreV1Event {
  return {
    metadata: { name: `m.${uid}`, uid },
    involvedObject: { kind: 'Job', name: 'm', uid: 'job-uid' },
    type: 'Warning',
    reason: 'FailedCreate',
    message,
    count,
  };
}

const podSecurity =
  'Error creating: pods "m-" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "migrate" must set securityContext.allowPrivilegeEscalation=false)';

describe('the Job wait judges only what is current', () => {
  it('fails on a live pod stuck on its image, naming the kind cluster of the context in the hint', () => {
    const v = jobVerdict(observe([pod('a', waiting('ErrImagePull', 'pull access denied'))]));
    expect(v).toMatchObject({
      code: 'job.ErrImagePull',
      message: 'job/m: pod a, container migrate: ErrImagePull: pull access denied (image schemagate:x)',
    });
    expect(v?.outcome === 'failed' && v.hint).toContain('kind load docker-image schemagate:x --name schemagate ');
  });

  it('ignores a stuck pod that is being replaced (an earlier run evicted it) or is finished', () => {
    expect(
      jobVerdict(observe([pod('old', waiting('CreateContainerConfigError'), { deleting: true })])),
    ).toBeUndefined();
    const finished = pod('done', { ...waiting('ImagePullBackOff'), phase: 'Failed' });
    expect(jobVerdict(observe([finished]))).toBeUndefined();
  });

  it('fails at once on a FailedCreate event with its message and a Pod Security hint, but not on one from before the wait until it repeats', () => {
    const current = jobVerdict(observe([], { events: [event('e1', 1, podSecurity)] }));
    expect(current).toMatchObject({ code: 'job.FailedCreate', message: `job/m cannot create its pod: ${podSecurity}` });
    expect(current?.outcome === 'failed' && current.hint).toMatch(
      /^The namespace app enforces the Pod Security Standard "restricted:latest"/,
    );
    const old = { events: [event('e1', 3, podSecurity)], memory: memory(0, {}, ['event/e1/3']) };
    expect(jobVerdict(observe([], old))).toBeUndefined();
    const repeated = { events: [event('e1', 4, podSecurity)], memory: memory(0, {}, ['event/e1/3']) };
    expect(jobVerdict(observe([], repeated))).toMatchObject({ code: 'job.FailedCreate' });
  });

  it('says where the resources are set when a ResourceQuota refuses the pod', () => {
    const quota = 'Error creating: pods "m-" is forbidden: failed quota: q: must specify limits.cpu for: migrate';
    const v = jobVerdict(observe([], { events: [event('e2', 1, quota)] }));
    expect(v?.outcome === 'failed' && v.hint).toBe(
      'A ResourceQuota in namespace app refused the pod: set the requests and limits it asks for (kubernetes.migration.resources or kubernetes.seed.resources in schemagate.yaml), or raise the quota (kubectl -n app describe resourcequota).',
    );
  });

  it('fails on an unschedulable pod only once the grace period has passed since the wait first saw it, and says when to look again', () => {
    const pending = [pod('p', unschedulableStatus)];
    const seen = { 'unschedulable/uid-p': 1_000 };
    const early = observe(pending, { memory: memory(60_999, seen), unschedulableGraceMs: 60_000 });
    expect(jobVerdict(early)).toBeUndefined();
    expect(jobRecheck(early)).toBe(1);
    const late = observe(pending, { memory: memory(61_000, seen), unschedulableGraceMs: 60_000 });
    expect(jobVerdict(late)).toMatchObject({
      code: 'job.Unschedulable',
      message: 'job/m: pod p could not be scheduled for 60s: 0/1 nodes are available: 1 Insufficient cpu.',
    });
    expect(jobRecheck(observe([pod('q', waiting('ContainerCreating'))]))).toBeUndefined();
  });
});

describe('WaitMemory', () => {
  it('times each state from when the wait first saw it, on the injected clock', () => {
    const clock = new ManualClock();
    const m = new WaitMemory(clock, false).look(['a'], true);
    clock.advance(5_000);
    m.look(['a', 'b'], true);
    expect([m.now, m.firstSeen('a'), m.firstSeen('b'), m.firstSeen('never')]).toEqual([5_000, 0, 5_000, 5_000]);
  });

  it('finds stale what the first complete look showed on an object it attached to, and nothing on one it created', () => {
    const clock = new ManualClock();
    const attached = new WaitMemory(clock, true);
    expect(attached.look(['old'], false).stale('old')).toBe(true);
    attached.look(['old'], true).look(['old', 'new'], true);
    expect([attached.stale('old'), attached.stale('new')]).toEqual([true, false]);
    const created = new WaitMemory(clock, false).look(['x'], true);
    expect(created.stale('x')).toBe(false);
  });
});

describe('the rollout wait judges the current revision and current refusals', () => {
  const deployment = (conditions: object[] = []): V1Deployment => ({
    metadata: { name: 'backend', uid: 'd', generation: 2, annotations: { 'deployment.kubernetes.io/revision': '2' } },
    spec: { replicas: 1, selector: { matchLabels: { app: 'b' } }, template: {} },
    status: { observedGeneration: 2, conditions } as V1Deployment['status'],
  });
  const rs = (revision: string, hash: string): V1ReplicaSet => ({
    metadata: {
      name: `backend-${hash}`,
      uid: `rs-${hash}`,
      labels: { 'pod-template-hash': hash },
      annotations: { 'deployment.kubernetes.io/revision': revision },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'backend', uid: 'd' }],
    },
    spec: { selector: { matchLabels: { app: 'b' } } },
  });
  const crashing = (name: string, hash: string) =>
    pod(
      name,
      {
        phase: 'Pending',
        initContainerStatuses: [
          {
            name: 'verify-schema',
            image: 'x',
            imageID: '',
            ready: false,
            restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 8 } },
          },
        ],
      },
      { hash },
    );
  const base = (o: Partial<RolloutObservation>): RolloutObservation => ({
    deployment: deployment(),
    replicaSets: [rs('1', 'old'), rs('2', 'new')],
    pods: [],
    events: [],
    ...o,
  });

  it("judges the current ReplicaSet's pods only: an old revision's crash loop is on its way out", () => {
    expect(rolloutVerdict(base({ pods: [crashing('a', 'old')] }))).toBeUndefined();
    expect(rolloutVerdict(base({ pods: [crashing('b', 'new')] }))).toMatchObject({
      outcome: 'pod',
      crashing: true,
      problem: { pod: 'b', container: 'verify-schema', reason: 'CrashLoopBackOff' },
    });
  });

  it('fails at once on a ReplicaFailure that arose during the wait, not on one it found', () => {
    const failure = {
      type: 'ReplicaFailure',
      status: 'True',
      reason: 'FailedCreate',
      message: 'pods "backend-new-" is forbidden: exceeded quota',
      lastUpdateTime: new Date(0),
    };
    const o = base({ deployment: deployment([failure]) });
    expect(rolloutVerdict(o)).toEqual({ outcome: 'refused', message: failure.message });
    const key = `replicafailure/${new Date(0).toISOString()}/${failure.message}`;
    expect(rolloutVerdict({ ...o, memory: memory(0, {}, [key]) })).toBeUndefined();
    const again = event('rs-event', 2, 'Error creating: exceeded quota');
    expect(rolloutVerdict({ ...o, events: [again], memory: memory(0, {}, [key, 'event/rs-event/1']) })).toEqual({
      outcome: 'refused',
      message: 'Error creating: exceeded quota',
    });
  });

  it('fails on an unschedulable pod of the current revision after the grace period', () => {
    const p = pod('u', unschedulableStatus, { hash: 'new' });
    const o = base({ pods: [p], memory: memory(30_000), unschedulableGraceMs: 30_000 });
    expect(rolloutVerdict(o)).toBeUndefined();
    expect(rolloutRecheck(o)).toBe(30_000);
    expect(rolloutVerdict({ ...o, memory: memory(30_000, { 'unschedulable/uid-u': 0 }) })).toMatchObject({
      outcome: 'unschedulable',
      pod: 'u',
      forMs: 30_000,
    });
  });
});

describe('pods and containers found as a real cluster names them', () => {
  it("finds the migration container by name, not as the kubelet's first status (sorted by name)", () => {
    const p: V1Pod = {
      metadata: { labels: { 'schemagate.dev/job': 'migrate' } },
      spec: { containers: [{ name: 'cloud-sql-proxy' }, { name: 'migrate' }] },
    };
    expect(mainContainer(p)).toBe('migrate');
    const status: V1Pod = { ...p, metadata: { labels: { 'schemagate.dev/job': 'status' } } };
    expect(mainContainer(status)).toBe('migrate');
    expect(mainContainer({ spec: { containers: [{ name: 'main' }] } })).toBe('main');
  });

  it("selects pods by the controller's own selector, expressions included", () => {
    expect(selectorString({ matchLabels: { 'controller-uid': 'u1' } })).toBe('controller-uid=u1');
    expect(
      selectorString({
        matchLabels: { a: 'b' },
        matchExpressions: [
          { key: 'c', operator: 'In', values: ['d', 'e'] },
          { key: 'f', operator: 'NotIn', values: ['g'] },
          { key: 'h', operator: 'Exists' },
          { key: 'i', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('a=b,c in (d,e),f notin (g),h,!i');
    expect(selectorString({})).toBeUndefined();
  });

  it('replaces stuck and crash-looping pods, never healthy, finished or already deleted ones', () => {
    expect(needsReplacing(pod('s', waiting('CreateContainerConfigError')))?.reason).toBe('CreateContainerConfigError');
    expect(needsReplacing(pod('c', waiting('CrashLoopBackOff')))?.reason).toBe('CrashLoopBackOff');
    expect(needsReplacing(pod('n', waiting('ContainerCreating')))).toBeUndefined();
    expect(needsReplacing(pod('d', waiting('ErrImagePull'), { deleting: true }))).toBeUndefined();
  });

  it('does not call an init container crashing once it got past its failures', () => {
    const recovered = pod('r', {
      initContainerStatuses: [
        {
          name: 'verify-schema',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 2,
          state: { terminated: { exitCode: 0 } },
          lastState: { terminated: { exitCode: 8 } },
        },
      ],
    });
    expect(crashingInit(recovered)).toBeUndefined();
  });

  it("names kind-config.yaml's cluster in the ErrImagePull hint, or the kind cluster of the context", () => {
    const kindConfig = parse(readFileSync(new URL('../../kind-config.yaml', import.meta.url), 'utf8')) as {
      name: string;
    };
    expect(KIND_CLUSTER).toBe(kindConfig.name);
    const p = { reason: 'ImagePullBackOff', pod: 'x' };
    expect(stuckHint(p, 'app:1', 'gke_prod')).toContain(`kind load docker-image app:1 --name ${kindConfig.name} `);
    expect(stuckHint(p, 'app:1', 'kind-other')).toContain('kind load docker-image app:1 --name other ');
  });
});

describe('default deadlines', () => {
  it("outlast the Job's activeDeadlineSeconds plus its pod's grace period, so DeadlineExceeded is what is reported", () => {
    const j = (spec: object): V1Job => ({ spec: { template: { spec: { containers: [] } }, ...spec } });
    expect(jobWaitTimeoutMs(j({ activeDeadlineSeconds: 600 }))).toBe(600_000 + 30_000 + 60_000);
    const slowStop = j({ activeDeadlineSeconds: 60 });
    slowStop.spec!.template.spec!.terminationGracePeriodSeconds = 120;
    expect(jobWaitTimeoutMs(slowStop)).toBe(60_000 + 120_000 + 60_000);
    expect(jobWaitTimeoutMs(j({}))).toBe(600_000);
  });

  it("outlast the Deployment's progressDeadlineSeconds, so ProgressDeadlineExceeded is what is reported", () => {
    const d: V1Deployment = { spec: { selector: {}, template: {} } };
    expect(rolloutWaitTimeoutMs(d)).toBe(600_000 + 30_000 + 60_000);
    expect(rolloutWaitTimeoutMs({ spec: { ...d.spec!, progressDeadlineSeconds: 60 } })).toBe(150_000);
  });
});
