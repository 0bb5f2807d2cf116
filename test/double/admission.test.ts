import type { CoreV1Event } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jobManifest, startHarness, waitFor, type Harness } from './helpers.js';

// Facts pinned here: staging/src/k8s.io/pod-security-admission/policy/check_*.go and admission.go,
// plugin/pkg/admission/resourcequota/controller.go with pkg/quota/v1/evaluator/core/pods.go,
// pkg/controller/controller_utils.go (FailedCreate), pkg/controller/replicaset/replica_set_utils.go
// and pkg/controller/deployment/progress.go (ReplicaFailure), Kubernetes 1.31;
// https://kubernetes.io/docs/concepts/security/pod-security-admission/
// https://kubernetes.io/docs/concepts/policy/resource-quotas/
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.double.close());

async function namespaceWith(labels: Record<string, string>): Promise<string> {
  const ns = await h.namespace('adm');
  await h.core.patchNamespace({
    name: ns,
    body: [{ op: 'add', path: '/metadata/labels', value: { ...labels, 'kubernetes.io/metadata.name': ns } }],
  });
  return ns;
}

async function createPod(
  ns: string,
  spec: object,
): Promise<{ code: number; body: { message: string; reason: string } }> {
  const r = await fetch(`${h.double.server}/api/v1/namespaces/${ns}/pods`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec }),
  });
  return { code: r.status, body: (await r.json()) as { message: string; reason: string } };
}

async function eventsOf(ns: string, uid: string, reason: string): Promise<CoreV1Event[]> {
  const list = await h.core.listNamespacedEvent({
    namespace: ns,
    fieldSelector: `involvedObject.uid=${uid},reason=${reason}`,
  });
  return list.items;
}

const plain = { containers: [{ name: 'app', image: 'node:20', command: ['node', '-e', ''] }] };

describe('Pod Security Admission (enforce)', () => {
  test("restricted rejects a pod with 403 naming every violated check, in the API server's words", async () => {
    const ns = await namespaceWith({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    const r = await createPod(ns, plain);
    expect(r.code).toBe(403);
    expect(r.body.reason).toBe('Forbidden');
    expect(r.body.message).toBe(
      'pods "p" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  test('restricted admits a pod that sets what it asks for; baseline rejects only privileged things', async () => {
    const restricted = await namespaceWith({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'v1.31',
    });
    const secure = {
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          ...plain.containers[0],
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    };
    expect((await createPod(restricted, secure)).code).toBe(201);
    const baseline = await namespaceWith({ 'pod-security.kubernetes.io/enforce': 'baseline' });
    expect((await createPod(baseline, plain)).code).toBe(201);
    const r = await createPod(baseline, {
      hostNetwork: true,
      containers: [{ ...plain.containers[0], name: 'p2', securityContext: { privileged: true } }],
    });
    expect(r.body.message).toBe(
      'pods "p" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), privileged (container "p2" must not set securityContext.privileged=true)',
    );
  });

  test('a Job whose pods are rejected shows it only as a FailedCreate event on the Job, repeated with a count (job controller)', async () => {
    const ns = await namespaceWith({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    const job = await h.batch.createNamespacedJob({ namespace: ns, body: jobManifest('migrate', '') });
    const [ev] = await waitFor('FailedCreate twice', async () => {
      const list = await eventsOf(ns, job.metadata!.uid!, 'FailedCreate');
      return list.length === 1 && (list[0]?.count ?? 0) >= 2 ? list : undefined;
    });
    expect(ev).toMatchObject({ type: 'Warning', source: { component: 'job-controller' } });
    expect(ev?.message).toMatch(
      /^Error creating: pods "migrate-" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false \(container "main" must set/,
    );
    const now = await h.batch.readNamespacedJob({ namespace: ns, name: 'migrate' });
    expect(now.status?.active).toBeUndefined();
    expect(now.status?.conditions ?? []).toEqual([]);
    expect((await h.core.listNamespacedPod({ namespace: ns })).items).toHaveLength(0);
  });
});

describe('ResourceQuota admission', () => {
  test('a quota on limits.cpu and limits.memory rejects pods without limits, naming the containers', async () => {
    const ns = await h.namespace('quota');
    await h.core.createNamespacedResourceQuota({
      namespace: ns,
      body: { metadata: { name: 'compute' }, spec: { hard: { 'limits.cpu': '2', 'limits.memory': '2Gi' } } },
    });
    const two = {
      initContainers: [{ name: 'init', image: 'node:20', resources: { limits: { cpu: '1', memory: '1Gi' } } }],
      containers: [
        { name: 'b', image: 'node:20', resources: { limits: { memory: '1Gi' } } },
        { name: 'a', image: 'node:20' },
      ],
    };
    const r = await createPod(ns, two);
    expect(r.code).toBe(403);
    expect(r.body.message).toBe(
      'pods "p" is forbidden: failed quota: compute: must specify limits.cpu for: a,b; limits.memory for: a',
    );
    const limited = {
      containers: [
        {
          name: 'a',
          image: 'node:20',
          command: ['node', '-e', ''],
          resources: { limits: { cpu: '1', memory: '1Gi' } },
        },
      ],
    };
    expect((await createPod(ns, limited)).code).toBe(201);
    const pod = await h.core.readNamespacedPod({ namespace: ns, name: 'p' });
    // A limit without a request makes the request equal to the limit.
    expect(pod.spec?.containers[0]?.resources?.requests).toEqual({ cpu: '1', memory: '1Gi' });
  });

  test("a ReplicaSet's rejected pods show as the Deployment's ReplicaFailure condition, and it clears once pods are admitted", async () => {
    const ns = await h.namespace('quota-deploy');
    await h.core.createNamespacedResourceQuota({
      namespace: ns,
      body: { metadata: { name: 'q' }, spec: { hard: { 'limits.memory': '1Gi' } } },
    });
    const labels = { app: 'web' };
    await h.apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [{ name: 'web', image: 'node:20', command: ['node', '-e', 'setInterval(()=>{},1000)'] }],
            },
          },
        },
      },
    });
    const d = await waitFor('ReplicaFailure on the Deployment', async () => {
      const dep = await h.apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
      return dep.status?.conditions?.some((c) => c.type === 'ReplicaFailure') ? dep : undefined;
    });
    const rs = (await h.apps.listNamespacedReplicaSet({ namespace: ns })).items[0]!;
    const message = `pods "${rs.metadata!.name}-" is forbidden: failed quota: q: must specify limits.memory for: web`;
    expect(d.status?.conditions?.find((c) => c.type === 'ReplicaFailure')).toMatchObject({
      status: 'True',
      reason: 'FailedCreate',
      message,
    });
    expect(rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure')).toMatchObject({
      reason: 'FailedCreate',
      message,
    });
    expect((await eventsOf(ns, rs.metadata!.uid!, 'FailedCreate'))[0]?.message).toBe(`Error creating: ${message}`);
    await h.core.deleteNamespacedResourceQuota({ namespace: ns, name: 'q' });
    await waitFor('ReplicaFailure gone and the Deployment available', async () => {
      const dep = await h.apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
      return !dep.status?.conditions?.some((c) => c.type === 'ReplicaFailure') && dep.status?.availableReplicas === 1;
    });
  });
});
