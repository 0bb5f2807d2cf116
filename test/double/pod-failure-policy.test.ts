import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { JobTracker } from '../support/kube-double/controllers/job-tracker.js';
import { conditionTypes, jobManifest, startHarness, waitFor, type Harness } from './helpers.js';

// Facts pinned here: pkg/controller/job/pod_failure_policy.go, pkg/controller/job/backoff_utils.go,
// pkg/apis/batch/validation/validation.go (Kubernetes 1.31) and
// https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-failure-policy
let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await startHarness();
  dir = mkdtempSync(join(tmpdir(), 'pfp-'));
});
afterAll(async () => {
  await h.double.close();
  rmSync(dir, { recursive: true, force: true });
});

const failJobOn = (values: number[]) => ({
  rules: [
    { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
    { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values } },
  ],
});

async function pods(ns: string, job: string): Promise<V1Pod[]> {
  return (await h.core.listNamespacedPod({ namespace: ns, labelSelector: `job-name=${job}` })).items;
}

async function until(ns: string, name: string, type: string): Promise<V1Job> {
  return waitFor(`Job ${name} condition ${type}`, async () => {
    const j = await h.batch.readNamespacedJob({ namespace: ns, name });
    return conditionTypes(j).includes(type) ? j : undefined;
  });
}

describe('podFailurePolicy (pkg/controller/job/pod_failure_policy.go)', () => {
  test('an exit code matching a FailJob rule fails the Job at once: FailureTarget then Failed, reason PodFailurePolicy, with the controller message', async () => {
    const ns = await h.namespace('pfp-failjob');
    await h.batch.createNamespacedJob({
      namespace: ns,
      body: jobManifest('migrate', 'process.exit(4)', {
        backoffLimit: 6,
        spec: { podFailurePolicy: failJobOn([2, 4]) },
      }),
    });
    const job = await until(ns, 'migrate', 'Failed');
    const [pod] = await pods(ns, 'migrate');
    const message = `Container main for pod ${ns}/${pod?.metadata?.name} failed with exit code 4 matching FailJob rule at index 1`;
    expect(job.status?.conditions?.find((c) => c.type === 'FailureTarget')).toMatchObject({
      status: 'True',
      reason: 'PodFailurePolicy',
      message,
    });
    expect(job.status?.conditions?.find((c) => c.type === 'Failed')).toMatchObject({
      reason: 'PodFailurePolicy',
      message,
    });
    expect(await pods(ns, 'migrate')).toHaveLength(1);
    expect(job.status?.failed).toBe(1);
  });

  test('an exit code no rule matches counts against backoffLimit as without a policy (rules evaluated in order, no match counts)', async () => {
    const ns = await h.namespace('pfp-count');
    await h.batch.createNamespacedJob({
      namespace: ns,
      body: jobManifest('migrate', 'process.exit(3)', { backoffLimit: 1, spec: { podFailurePolicy: failJobOn([4]) } }),
    });
    const job = await until(ns, 'migrate', 'Failed');
    expect(job.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(await pods(ns, 'migrate')).toHaveLength(2);
  });

  test('NotIn matches every non-zero exit code outside the list; a Count rule counts', async () => {
    const ns = await h.namespace('pfp-notin');
    const policy = {
      rules: [
        { action: 'Count', onExitCodes: { operator: 'In', values: [5] } },
        { action: 'FailJob', onExitCodes: { operator: 'NotIn', values: [5] } },
      ],
    };
    await h.batch.createNamespacedJob({
      namespace: ns,
      body: jobManifest('count', 'process.exit(5)', { backoffLimit: 1, spec: { podFailurePolicy: policy } }),
    });
    expect((await until(ns, 'count', 'Failed')).status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe(
      'BackoffLimitExceeded',
    );
    await h.batch.createNamespacedJob({
      namespace: ns,
      body: jobManifest('notin', 'process.exit(7)', { backoffLimit: 3, spec: { podFailurePolicy: policy } }),
    });
    const job = await until(ns, 'notin', 'Failed');
    expect(job.status?.conditions?.find((c) => c.type === 'Failed')?.message).toMatch(
      /^Container main for pod .+ failed with exit code 7 matching FailJob rule at index 1$/,
    );
  });

  test('a pod failing with DisruptionTarget matches the Ignore rule: not counted, replaced without back-off', async () => {
    const ns = await h.namespace('pfp-ignore');
    const gate = join(dir, 'ignore-gate');
    const script = `const f=${JSON.stringify(gate)};setInterval(()=>{if(require('fs').existsSync(f))process.exit(1)},5)`;
    await h.batch.createNamespacedJob({
      namespace: ns,
      body: jobManifest('evicted', script, { backoffLimit: 0, spec: { podFailurePolicy: failJobOn([4]) } }),
    });
    const first = await waitFor('a running pod', async () =>
      (await pods(ns, 'evicted')).find((p) => p.status?.phase === 'Running'),
    );
    // What an eviction writes before the pod fails (pods/disruptions/#pod-disruption-conditions).
    await h.core.patchNamespacedPodStatus(
      {
        namespace: ns,
        name: first.metadata!.name!,
        body: {
          status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI' }] },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    writeFileSync(gate, '');
    const job = await until(ns, 'evicted', 'Failed');
    // The replacement also exits 1, without DisruptionTarget: that one counts, and backoffLimit 0 ends the Job.
    expect(job.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(job.status?.failed).toBe(1);
    expect(await pods(ns, 'evicted')).toHaveLength(2);
    expect(existsSync(gate)).toBe(true);
  });

  test('with a policy a terminating pod counts as failed only once its phase is Failed; without one, at once (isPodFailed in job_controller.go)', async () => {
    const ns = await h.namespace('pfp-terminating');
    const template = { terminationGracePeriodSeconds: 100000 };
    for (const [name, extra] of [
      ['with-policy', { podFailurePolicy: failJobOn([4]) }],
      ['without', {}],
    ] as const) {
      // Ignores SIGTERM, and says so once the handler is in place (a signal before that would end it).
      const armed = join(dir, `${name}-armed`);
      const stubborn = `process.on('SIGTERM',()=>{});require('fs').writeFileSync(${JSON.stringify(armed)},'');setInterval(()=>{},1000)`;
      const body = jobManifest(name, stubborn, { backoffLimit: 6, spec: extra });
      Object.assign(body.spec.template.spec, template);
      await h.batch.createNamespacedJob({ namespace: ns, body });
      const pod = await waitFor(`${name}: a running pod`, async () =>
        existsSync(armed) ? (await pods(ns, name)).find((p) => p.status?.phase === 'Running') : undefined,
      );
      await h.core.deleteNamespacedPod({ namespace: ns, name: pod.metadata!.name! });
    }
    const without = await waitFor('the Job without a policy to count the terminating pod', async () => {
      const j = await h.batch.readNamespacedJob({ namespace: ns, name: 'without' });
      return j.status?.failed === 1 ? j : undefined;
    });
    expect(without.status?.failed).toBe(1);
    const withPolicy = await waitFor('the Job with a policy to see the pod terminating', async () => {
      const j = await h.batch.readNamespacedJob({ namespace: ns, name: 'with-policy' });
      return j.status?.terminating === 1 ? j : undefined;
    });
    expect(withPolicy.status?.failed).toBeUndefined();
    // podReplacementPolicy defaults to Failed with a policy: no replacement while the pod terminates.
    expect(withPolicy.spec?.podReplacementPolicy).toBe('Failed');
    expect(await pods(ns, 'with-policy')).toHaveLength(1);
    expect((await h.batch.readNamespacedJob({ namespace: ns, name: 'without' })).spec?.podReplacementPolicy).toBe(
      'TerminatingOrFailed',
    );
  });
});

describe('podFailurePolicy validation (pkg/apis/batch/validation/validation.go)', () => {
  async function rejected(body: object): Promise<{ code: number; message: string }> {
    const ns = await h.namespace('pfp-invalid');
    const r = await fetch(`${h.double.server}/apis/batch/v1/namespaces/${ns}/jobs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { code: r.status, message: ((await r.json()) as { message: string }).message };
  }

  test('a policy requires restartPolicy Never', async () => {
    const body = jobManifest('x', '', { restartPolicy: 'OnFailure', spec: { podFailurePolicy: failJobOn([4]) } });
    expect(await rejected(body)).toEqual({
      code: 422,
      message:
        'Job.batch "x" is invalid: spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified',
    });
  });

  test('rules are checked for actions, operators, container names and ordered, non-zero exit codes', async () => {
    const policy = {
      rules: [
        { action: 'Retry', onExitCodes: { containerName: 'nope', operator: 'In', values: [0, 4, 2] } },
        { action: 'Ignore' },
      ],
    };
    const { code, message } = await rejected(jobManifest('x', '', { spec: { podFailurePolicy: policy } }));
    expect(code).toBe(422);
    expect(message).toBe(
      'Job.batch "x" is invalid: [' +
        [
          'spec.podFailurePolicy.rules[0].action: Unsupported value: "Retry": supported values: "Count", "FailIndex", "FailJob", "Ignore"',
          'spec.podFailurePolicy.rules[0].onExitCodes.containerName: Invalid value: "nope": must be one of the container or initContainer names in the pod template',
          'spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator',
          'spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{0, 4, 2}: must be ordered',
          'spec.podFailurePolicy.rules[1]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required',
        ].join(', ') +
        ']',
    );
  });
});

describe('podFailurePolicy on update', () => {
  test('is immutable (ValidateJobSpecUpdate)', async () => {
    const ns = await h.namespace('pfp-immutable');
    await h.batch.createNamespacedJob({
      namespace: ns,
      body: jobManifest('j', 'setInterval(()=>{},1000)', { spec: { podFailurePolicy: failJobOn([4]) } }),
    });
    const r = await fetch(`${h.double.server}/apis/batch/v1/namespaces/${ns}/jobs/j`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ spec: { podFailurePolicy: failJobOn([4, 5]) } }),
    });
    expect(r.status).toBe(422);
    expect(((await r.json()) as { message: string }).message).toMatch(
      /^Job\.batch "j" is invalid: spec\.podFailurePolicy: Invalid value: .*: field is immutable$/,
    );
  });
});

describe('Job pod back-off (pkg/controller/job/backoff_utils.go)', () => {
  const failedPod = (uid: string, finishedAt: string, phase = 'Failed') =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: uid, namespace: 'ns', uid, creationTimestamp: '2024-01-01T00:00:00Z', resourceVersion: '1' },
      spec: { containers: [{ name: 'main' }] },
      status: {
        phase,
        containerStatuses: [
          {
            name: 'main',
            state: {
              terminated: { exitCode: phase === 'Failed' ? 1 : 0, reason: 'Error', startedAt: null, finishedAt },
            },
          },
        ],
      },
    }) as never;
  const seconds = (s: number) => s * 1000;

  test("the delay is counted from the failed container's finishedAt, not from when the controller saw it", () => {
    const t = new JobTracker();
    const finished = Date.parse('2024-01-01T00:01:00Z');
    // Seen 4 s after it finished: 10 s back-off leaves 6 s.
    t.observe([failedPod('a', '2024-01-01T00:01:00Z')], finished + 4000);
    expect(t.backoffRemainingMs(finished + 4000, seconds)).toBe(6000);
    // Seen 30 s late: no wait at all.
    const late = new JobTracker();
    late.observe([failedPod('a', '2024-01-01T00:01:00Z')], finished + 30_000);
    expect(late.backoffRemainingMs(finished + 30_000, seconds)).toBe(0);
  });

  test('consecutive failures double the delay up to 6 minutes; a success resets it unless a failure finished after it', () => {
    const t = new JobTracker();
    const at = (s: number) => new Date(Date.parse('2024-01-01T00:00:00Z') + s * 1000).toISOString();
    t.observe([failedPod('a', at(0)), failedPod('b', at(1)), failedPod('c', at(2))], Date.parse(at(2)));
    expect(t.backoffRemainingMs(Date.parse(at(2)), seconds)).toBe(40_000);
    for (let i = 0; i < 10; i++) t.observe([failedPod(`x${i}`, at(3))], Date.parse(at(3)));
    expect(t.backoffRemainingMs(Date.parse(at(3)), seconds)).toBe(360_000);
    t.observe([failedPod('ok', at(10), 'Succeeded'), failedPod('after', at(11))], Date.parse(at(11)));
    expect(t.failures).toBe(1);
    expect(t.backoffRemainingMs(Date.parse(at(11)), seconds)).toBe(10_000);
    t.observe([failedPod('ok2', at(20), 'Succeeded')], Date.parse(at(20)));
    expect(t.backoffRemainingMs(Date.parse(at(20)), seconds)).toBe(0);
  });
});
