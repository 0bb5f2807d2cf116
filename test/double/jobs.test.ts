import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jobBackoffSeconds } from '../support/kube-double/controllers/job-tracker.js';
import { conditionTypes, jobManifest, startHarness, statusOf, waitFor, type Harness } from './helpers.js';

// Facts pinned here: https://kubernetes.io/docs/concepts/workloads/controllers/job/
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.double.close());

async function readJob(ns: string, name: string): Promise<V1Job> {
  return h.batch.readNamespacedJob({ namespace: ns, name });
}

async function jobPods(ns: string, job: V1Job): Promise<V1Pod[]> {
  const list = await h.core.listNamespacedPod({
    namespace: ns,
    labelSelector: `batch.kubernetes.io/controller-uid=${job.metadata?.uid}`,
  });
  return list.items;
}

async function untilCondition(ns: string, name: string, type: string): Promise<V1Job> {
  return waitFor(`Job ${name} condition ${type}`, async () => {
    const j = await readJob(ns, name);
    return conditionTypes(j).includes(type) ? j : undefined;
  });
}

/** Records the True condition types of a Job each time its status changes, through a watch. */
async function recordConditions(ns: string, name: string): Promise<{ seen: string[][]; stop: () => void }> {
  const seen: string[][] = [];
  const req = await new Watch(h.kc).watch(
    `/apis/batch/v1/namespaces/${ns}/jobs`,
    { fieldSelector: `metadata.name=${name}` },
    (_type, obj: V1Job) => {
      const types = conditionTypes(obj);
      if (JSON.stringify(seen[seen.length - 1]) !== JSON.stringify(types)) seen.push(types);
    },
    () => undefined,
  );
  return { seen, stop: () => req.abort() };
}

describe('Job controller', () => {
  test('a Job whose container exits 1 with backoffLimit 2 makes exactly 3 pods and ends Failed with BackoffLimitExceeded (job/#pod-backoff-failure-policy)', async () => {
    const ns = await h.namespace('job-fail');
    const rec = await recordConditions(ns, 'fail');
    await h.batch.createNamespacedJob({
      namespace: ns,
      body: jobManifest('fail', 'process.exit(1)', { backoffLimit: 2 }),
    });
    const job = await untilCondition(ns, 'fail', 'Failed');
    rec.stop();
    const pods = await jobPods(ns, job);
    expect(pods).toHaveLength(3);
    expect(pods.map((p) => p.status?.phase)).toEqual(['Failed', 'Failed', 'Failed']);
    expect(job.status?.failed).toBe(3);
    expect(job.status?.succeeded ?? 0).toBe(0);
    expect(job.status?.active).toBeUndefined();
    expect(job.status?.completionTime).toBeUndefined();
    const failed = job.status?.conditions?.find((c) => c.type === 'Failed');
    const target = job.status?.conditions?.find((c) => c.type === 'FailureTarget');
    expect(failed).toMatchObject({
      status: 'True',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
    expect(target).toMatchObject({ status: 'True', reason: failed?.reason, message: failed?.message });
    // Since 1.31 FailureTarget comes first, Failed once the pods are gone (job/#termination-of-job-pods).
    expect(rec.seen).toContainEqual(['FailureTarget']);
    expect(rec.seen.findIndex((s) => s.includes('FailureTarget'))).toBeLessThan(
      rec.seen.findIndex((s) => s.includes('Failed')),
    );
    expect(conditionTypes(job)).not.toContain('Complete');
  });

  test('a Job whose container exits 0 ends Complete with CompletionsReached, succeeded 1 and a completionTime, after SuccessCriteriaMet (job/#job-termination-and-cleanup)', async () => {
    const ns = await h.namespace('job-ok');
    const rec = await recordConditions(ns, 'ok');
    await h.batch.createNamespacedJob({ namespace: ns, body: jobManifest('ok', 'console.log("migrated")') });
    const job = await untilCondition(ns, 'ok', 'Complete');
    rec.stop();
    expect(job.status?.succeeded).toBe(1);
    expect(job.status?.completionTime).toBeDefined();
    expect(job.status?.startTime).toBeDefined();
    expect(job.status?.conditions?.find((c) => c.type === 'Complete')).toMatchObject({
      reason: 'CompletionsReached',
      message: 'Reached expected number of succeeded pods',
    });
    expect(rec.seen[rec.seen.findIndex((s) => s.includes('Complete')) - 1]).toEqual(['SuccessCriteriaMet']);
    expect(await jobPods(ns, job)).toHaveLength(1);
  });

  test('Job pods carry batch.kubernetes.io/job-name and controller-uid labels, the legacy ones, and a controller ownerReference (reference/labels-annotations-taints/#batch-kubernetes-io-job-name)', async () => {
    const ns = await h.namespace('job-labels');
    const created = await h.batch.createNamespacedJob({ namespace: ns, body: jobManifest('labels', '') });
    const uid = created.metadata?.uid ?? '';
    const [pod] = await waitFor('a pod of Job labels', async () => {
      const pods = await jobPods(ns, created);
      return pods.length > 0 ? pods : undefined;
    });
    expect(pod?.metadata?.labels).toMatchObject({
      'batch.kubernetes.io/job-name': 'labels',
      'batch.kubernetes.io/controller-uid': uid,
      'job-name': 'labels',
      'controller-uid': uid,
    });
    expect(pod?.metadata?.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'Job', name: 'labels', uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(pod?.metadata?.name).toMatch(/^labels-[a-z0-9]{5}$/);
  });

  test('the API server defaults backoffLimit to 6, completions and parallelism to 1, and selects pods by controller-uid (job/#pod-backoff-failure-policy)', async () => {
    const ns = await h.namespace('job-defaults');
    const body = jobManifest('defaults', '');
    delete (body.spec as { backoffLimit?: number }).backoffLimit;
    const job = await h.batch.createNamespacedJob({ namespace: ns, body });
    expect(job.spec).toMatchObject({
      backoffLimit: 6,
      completions: 1,
      parallelism: 1,
      completionMode: 'NonIndexed',
      suspend: false,
    });
    expect(job.spec?.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': job.metadata?.uid } });
    expect(job.metadata?.generation).toBe(1);
  });

  test('a Job whose image cannot be pulled stays active with ImagePullBackOff and never fails on its own (containers/images/#imagepullbackoff)', async () => {
    const ns = await h.namespace('job-image');
    h.double.setImagePresent('ghcr.io/acme/missing:1', false);
    const job = await h.batch.createNamespacedJob({
      namespace: ns,
      body: jobManifest('noimage', '', { image: 'ghcr.io/acme/missing:1' }),
    });
    // Several pull back-off rounds (10 s, 20 s, 40 s, scaled) go by.
    await waitFor('three image pull back-offs', async () => {
      const ev = await h.core.listNamespacedEvent({ namespace: ns, fieldSelector: 'reason=BackOff' });
      // Repeats of one event are one Event whose count goes up (client-go's EventCorrelator).
      return ev.items.reduce((n, e) => n + (e.count ?? 1), 0) >= 3;
    });
    const [pod] = await jobPods(ns, job);
    const waiting = pod?.status?.containerStatuses?.[0]?.state?.waiting;
    expect(['ImagePullBackOff', 'ErrImagePull']).toContain(waiting?.reason);
    expect(waiting?.message).toContain('ghcr.io/acme/missing:1');
    expect(pod?.status?.phase).toBe('Pending');
    const now = await readJob(ns, 'noimage');
    expect(now.status?.active).toBe(1);
    expect(now.status?.failed ?? 0).toBe(0);
    expect(conditionTypes(now)).toEqual([]);
  });

  test('with restartPolicy OnFailure the container restarts in the same pod and restarts count against backoffLimit (job/#handling-pod-and-container-failures)', async () => {
    const ns = await h.namespace('job-onfailure');
    await h.batch.createNamespacedJob({
      namespace: ns,
      body: jobManifest('crash', 'process.exit(3)', { backoffLimit: 2, restartPolicy: 'OnFailure' }),
    });
    const job = await untilCondition(ns, 'crash', 'Failed');
    expect(job.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
    const created = await h.core.listNamespacedEvent({ namespace: ns, fieldSelector: 'reason=SuccessfulCreate' });
    expect(created.items).toHaveLength(1);
    // The pod is terminated when the limit is hit (its logs go with it).
    await waitFor('the crashing pod to be deleted', async () => (await jobPods(ns, job)).length === 0);
  });

  test('activeDeadlineSeconds fails the Job with DeadlineExceeded and terminates its running pod (job/#job-termination-and-cleanup)', async () => {
    const ns = await h.namespace('job-deadline');
    await h.batch.createNamespacedJob({
      namespace: ns,
      body: jobManifest('slow', 'setInterval(() => {}, 1000)', {
        backoffLimit: 6,
        spec: { activeDeadlineSeconds: 300 },
      }),
    });
    const job = await untilCondition(ns, 'slow', 'Failed');
    expect(job.status?.conditions?.find((c) => c.type === 'Failed')).toMatchObject({
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
    });
    expect(conditionTypes(job)).toContain('FailureTarget');
    await waitFor('the slow pod to be gone', async () => (await jobPods(ns, job)).length === 0);
  });

  test('a Job created suspended has no pods and no startTime until resumed; then Suspended turns False with reason JobResumed (job/#suspending-a-job)', async () => {
    const ns = await h.namespace('job-suspend');
    await h.batch.createNamespacedJob({ namespace: ns, body: jobManifest('seed', '', { spec: { suspend: true } }) });
    const suspended = await untilCondition(ns, 'seed', 'Suspended');
    expect(suspended.status?.startTime).toBeUndefined();
    expect(suspended.status?.conditions?.find((c) => c.type === 'Suspended')).toMatchObject({
      reason: 'JobSuspended',
      message: 'Job suspended',
    });
    expect(await jobPods(ns, suspended)).toEqual([]);
    await h.batch.patchNamespacedJob(
      { namespace: ns, name: 'seed', body: { spec: { suspend: false } } },
      setMergePatch(),
    );
    const done = await untilCondition(ns, 'seed', 'Complete');
    expect(done.status?.conditions?.find((c) => c.type === 'Suspended')).toMatchObject({
      status: 'False',
      reason: 'JobResumed',
      message: 'Job resumed',
    });
    expect(done.status?.startTime).toBeDefined();
    const events = await h.core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=seed' });
    expect(events.items.map((e) => e.reason)).toEqual(expect.arrayContaining(['Suspended', 'Resumed', 'Completed']));
  });

  test('suspending a running Job deletes its pod without counting a failure (job/#suspending-a-job)', async () => {
    const ns = await h.namespace('job-suspend-running');
    const job = await h.batch.createNamespacedJob({
      namespace: ns,
      body: jobManifest('long', 'setInterval(() => {}, 1000)'),
    });
    // A running pod without a readiness probe is ready: status.active and status.ready count it (job/#job-status).
    await waitFor('the Job to count an active, ready pod', async () => {
      const s = (await readJob(ns, 'long')).status;
      return s?.active === 1 && s.ready === 1 && s.startTime !== undefined;
    });
    await h.batch.patchNamespacedJob(
      { namespace: ns, name: 'long', body: { spec: { suspend: true } } },
      setMergePatch(),
    );
    const suspended = await untilCondition(ns, 'long', 'Suspended');
    await waitFor('the pod to be deleted', async () => (await jobPods(ns, job)).length === 0);
    const after = await readJob(ns, 'long');
    expect(after.status?.failed ?? 0).toBe(0);
    expect(conditionTypes(after)).toEqual(['Suspended']);
    expect(suspended.status?.active).toBeUndefined();
  });

  test('ttlSecondsAfterFinished deletes a finished Job and, cascading, its pods (workloads/controllers/ttlafterfinished/)', async () => {
    const ns = await h.namespace('job-ttl');
    const job = await h.batch.createNamespacedJob({
      namespace: ns,
      body: jobManifest('ttl', '', { spec: { ttlSecondsAfterFinished: 30 } }),
    });
    await waitFor('Job ttl to be deleted', () => h.double.get('jobs', ns, 'ttl') === undefined);
    await waitFor('its pods to be deleted', async () => (await jobPods(ns, job)).length === 0);
  });

  test('the pod re-creation delay is 10 s doubling per failure, capped at 6 minutes (job/#pod-backoff-failure-policy)', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(jobBackoffSeconds)).toEqual([10, 20, 40, 80, 160, 320, 360, 360]);
  });

  test('a Job with restartPolicy Always is rejected with 422 Invalid (job/#pod-template)', async () => {
    const ns = await h.namespace('job-invalid');
    const body = jobManifest('always', '');
    (body.spec.template.spec as { restartPolicy: string }).restartPolicy = 'Always';
    const err = await h.batch.createNamespacedJob({ namespace: ns, body }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 422 });
    expect(statusOf(err).message).toBe(
      'Job.batch "always" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    );
  });

  test("changing a Job's spec.template is rejected with 422 field is immutable, other fields stay mutable (job/#mutable-scheduling-directives)", async () => {
    const ns = await h.namespace('job-immutable');
    await h.batch.createNamespacedJob({ namespace: ns, body: jobManifest('imm', '', { spec: { suspend: true } }) });
    const err = await h.batch
      .patchNamespacedJob(
        {
          namespace: ns,
          name: 'imm',
          body: { spec: { template: { spec: { containers: [{ name: 'main', image: 'node:22' }] } } } },
        },
        setStrategicPatch(),
      )
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 422 });
    const status = statusOf(err);
    expect(status.reason).toBe('Invalid');
    expect(status.message).toMatch(
      /^Job\.batch "imm" is invalid: spec\.template: Invalid value: .*: field is immutable$/,
    );
    expect(status.details?.causes?.[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'spec.template' });
    const selector = await h.batch
      .patchNamespacedJob(
        { namespace: ns, name: 'imm', body: { spec: { selector: { matchLabels: { other: 'x' } } } } },
        setMergePatch(),
      )
      .catch((e: unknown) => e);
    expect(selector).toMatchObject({ code: 422 });
    expect(statusOf(selector).details?.causes?.map((c) => c.field)).toContain('spec.selector');
    const ok = await h.batch.patchNamespacedJob(
      { namespace: ns, name: 'imm', body: { spec: { backoffLimit: 1, ttlSecondsAfterFinished: 5 } } },
      setMergePatch(),
    );
    expect(ok.spec?.backoffLimit).toBe(1);
  });
});

function setMergePatch() {
  return setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
}
function setStrategicPatch() {
  return setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
}
