import type { V1Deployment, V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { attemptOrder, jobVerdict, type JobObservation } from '../../src/kube/job-verdict.js';
import { rolloutVerdict, type RolloutObservation } from '../../src/kube/rollout-verdict.js';

// The waits' decisions as pure functions of the objects. Condition semantics:
// https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup
// (FailureTarget / SuccessCriteriaMet come first; Failed / Complete are final).

const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s));

function pod(
  name: string,
  created: number,
  state: 'running' | 'failed' | 'waiting',
  extra: Partial<V1Pod> = {},
): V1Pod {
  const finished = state === 'failed' ? { terminated: { exitCode: 1, finishedAt: at(created + 1) } } : undefined;
  return {
    metadata: { name, creationTimestamp: at(created) },
    spec: { containers: [{ name: 'migrate', image: 'app:1' }] },
    status: {
      phase: state === 'failed' ? 'Failed' : state === 'running' ? 'Running' : 'Pending',
      containerStatuses: [
        {
          name: 'migrate',
          image: 'app:1',
          imageID: '',
          ready: state === 'running',
          restartCount: 0,
          state: finished ?? (state === 'running' ? { running: {} } : { waiting: { reason: 'ContainerCreating' } }),
        },
      ],
    },
    ...extra,
  };
}

function jobWith(conditions: { type: string; reason?: string; message?: string }[], spec?: V1Job['spec']): V1Job {
  return {
    metadata: { name: 'm', uid: 'u' },
    spec: spec ?? { backoffLimit: 2, template: {} },
    status: { conditions: conditions.map((c) => ({ status: 'True', ...c })) },
  };
}

function observe(job: V1Job | undefined, pods: V1Pod[] = [], seenBefore = false): JobObservation {
  return { name: 'm', namespace: 'app', job, pods, seenBefore };
}

describe('jobVerdict', () => {
  it('waits while the Job runs, and on FailureTarget (the Failed condition follows once its pods stopped)', () => {
    expect(jobVerdict(observe(jobWith([]), [pod('a', 0, 'running')]))).toBeUndefined();
    expect(jobVerdict(observe(jobWith([{ type: 'FailureTarget', reason: 'BackoffLimitExceeded' }])))).toBeUndefined();
    expect(jobVerdict(observe(jobWith([{ type: 'SuccessCriteriaMet' }])))).toBeUndefined();
  });

  it('completes on Complete, even when a pod of an earlier attempt still shows a stuck container', () => {
    const stuck = pod('a', 0, 'waiting');
    stuck.status!.containerStatuses![0]!.state = { waiting: { reason: 'ImagePullBackOff', message: 'no' } };
    expect(jobVerdict(observe(jobWith([{ type: 'Complete' }]), [stuck]))).toEqual({ outcome: 'complete' });
  });

  it('fails on Failed with the reason in words, the last failed attempt for its log, and an OOMKilled hint', () => {
    const oom = pod('b', 5, 'failed');
    oom.status!.containerStatuses![0]!.state!.terminated!.reason = 'OOMKilled';
    const v = jobVerdict(
      observe(jobWith([{ type: 'Failed', reason: 'BackoffLimitExceeded' }]), [pod('a', 0, 'failed'), oom]),
    );
    expect(v).toMatchObject({
      outcome: 'failed',
      cause: 'condition',
      code: 'job.BackoffLimitExceeded',
      message: 'job/m failed (BackoffLimitExceeded): all 3 attempts failed (backoffLimit 2)',
      logsOf: { metadata: { name: 'b' } },
    });
    expect(v?.outcome === 'failed' && v.hint).toMatch(
      /^OOMKilled: b\/migrate ran out of memory; raise resources\.limits\.memory/,
    );
  });

  it('fails fast on a container that can never start, and not on one that is merely being created', () => {
    const creating = pod('a', 0, 'waiting');
    expect(jobVerdict(observe(jobWith([]), [creating]))).toBeUndefined();
    const secret = pod('a', 0, 'waiting');
    secret.status!.containerStatuses![0]!.state = {
      waiting: { reason: 'CreateContainerConfigError', message: 'secret "db" not found' },
    };
    expect(jobVerdict(observe(jobWith([]), [secret]))).toMatchObject({
      outcome: 'failed',
      cause: 'fail-fast',
      code: 'job.CreateContainerConfigError',
      message: 'job/m: pod a, container migrate: CreateContainerConfigError: secret "db" not found (image app:1)',
    });
  });

  it('tells a Job that never existed from one deleted while waiting', () => {
    expect(jobVerdict(observe(undefined))).toMatchObject({ cause: 'gone', code: 'job.missing' });
    expect(jobVerdict(observe(undefined, [], true))).toMatchObject({ cause: 'gone', code: 'job.deleted' });
  });

  it('runs extra fail-fast rules after the built-in ones (how new rules plug in)', () => {
    const rule = () => ({
      outcome: 'failed' as const,
      cause: 'fail-fast' as const,
      code: 'job.custom',
      message: 'x',
      hint: '',
    });
    expect(jobVerdict(observe(jobWith([])), [rule])).toMatchObject({ code: 'job.custom' });
    expect(jobVerdict(observe(jobWith([{ type: 'Complete' }])), [rule])).toEqual({ outcome: 'complete' });
  });
});

describe('attemptOrder', () => {
  const firstSeen = (order: string[]) => (name: string) => order.indexOf(name);

  it('orders by creation time first', () => {
    const pods = [pod('zz', 20, 'running'), pod('aa', 0, 'failed'), pod('mm', 10, 'failed')];
    expect(attemptOrder(pods, firstSeen([])).map((p) => p.metadata?.name)).toEqual(['aa', 'mm', 'zz']);
  });

  it('within one second (creationTimestamp has no more): finished before running, earlier finish first, then first seen', () => {
    const early = pod('zz', 0, 'failed');
    const late = pod('yy', 0, 'failed');
    late.status!.containerStatuses![0]!.state!.terminated!.finishedAt = at(3);
    const pods = [pod('aa', 0, 'running'), late, early];
    expect(attemptOrder(pods, firstSeen([])).map((p) => p.metadata?.name)).toEqual(['zz', 'yy', 'aa']);
    const twins = [pod('b', 0, 'running'), pod('a', 0, 'running')];
    expect(attemptOrder(twins, firstSeen(['b', 'a'])).map((p) => p.metadata?.name)).toEqual(['b', 'a']);
  });
});

/** A rollout observation with nothing but the Deployment. */
function rollout(deployment: V1Deployment | undefined): RolloutObservation {
  return { deployment, replicaSets: [], pods: [], events: [] };
}

describe('rolloutVerdict', () => {
  const deployment = (status: object, generation = 2): V1Deployment => ({
    metadata: { name: 'backend', generation },
    spec: { replicas: 2, selector: { matchLabels: {} }, template: {} },
    status,
  });

  it('is done only when the controller saw the latest generation and every replica is updated and available', () => {
    const all = { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 };
    expect(rolloutVerdict(rollout(deployment(all)))).toEqual({ outcome: 'done', replicas: 2 });
    expect(rolloutVerdict(rollout(deployment({ ...all, observedGeneration: 1 })))).toBeUndefined();
    expect(rolloutVerdict(rollout(deployment({ ...all, availableReplicas: 1 })))).toBeUndefined();
    expect(rolloutVerdict(rollout(deployment({ ...all, replicas: 3 })))).toBeUndefined();
  });

  it('reports ProgressDeadlineExceeded and a missing Deployment', () => {
    const stalled = {
      conditions: [
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'took too long' },
      ],
    };
    expect(rolloutVerdict(rollout(deployment(stalled)))).toEqual({ outcome: 'deadline', message: 'took too long' });
    expect(rolloutVerdict(rollout(undefined))).toEqual({ outcome: 'missing' });
  });
});
