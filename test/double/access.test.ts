import {
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  type V1Job,
  type V1Pod,
  Watch,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jobManifest, startHarness, waitFor, type Harness } from './helpers.js';

// Facts pinned here:
// - RBAC: https://kubernetes.io/docs/reference/access-authn-authz/rbac/ and plugin/pkg/auth/authorizer/rbac/rbac.go (RuleAllows)
// - request attributes: https://kubernetes.io/docs/reference/access-authn-authz/authorization/#determine-the-request-verb
//   and staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go (a request on namespaces/<n> is in namespace <n>)
// - the 403 text: staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go (forbiddenMessage)
// - server-side apply of a missing object is also authorized as create: .../endpoints/handlers/patch.go
// - eviction: https://kubernetes.io/docs/concepts/scheduling-eviction/api-eviction/ and
//   https://kubernetes.io/docs/concepts/workloads/pods/disruptions/#pod-disruption-conditions (EvictionByEvictionAPI)
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.double.close());

async function clientsAs(user: string) {
  const kc = new KubeConfig();
  kc.loadFromFile(await h.double.kubeconfigFor(user));
  return {
    core: kc.makeApiClient(CoreV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    objects: KubernetesObjectApi.makeApiClient(kc),
  };
}

/** The HTTP status and Status message of a failed client-node call. */
async function refusal(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  const e = (await p.then(
    () => ({}),
    (err: unknown) => err,
  )) as { code?: number; body?: string };
  return { code: e.code ?? 0, message: (JSON.parse(e.body ?? '{}') as { message?: string }).message ?? '' };
}

async function bind(ns: string, sa: string, rules: object[]): Promise<void> {
  await h.objects.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'deployer', namespace: ns },
    rules,
  } as never);
  await h.objects.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'deployer', namespace: ns },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' },
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
  } as never);
}

describe('authentication and RBAC authorization', () => {
  test("a ServiceAccount without a RoleBinding is refused with the API server's 403 text; a Role bound to it allows exactly its rules (rbac/#role-and-clusterrole)", async () => {
    const ns = await h.namespace('rbac');
    const user = `system:serviceaccount:${ns}:deployer`;
    const as = await clientsAs(user);
    expect(await refusal(as.core.listNamespacedPod({ namespace: ns }))).toEqual({
      code: 403,
      message: `pods is forbidden: User "${user}" cannot list resource "pods" in API group "" in the namespace "${ns}"`,
    });
    await bind(ns, 'deployer', [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }]);
    expect((await as.core.listNamespacedPod({ namespace: ns })).items).toEqual([]);
    expect(await refusal(as.batch.listNamespacedJob({ namespace: ns }))).toEqual({
      code: 403,
      message: `jobs.batch is forbidden: User "${user}" cannot list resource "jobs" in API group "batch" in the namespace "${ns}"`,
    });
    // Another namespace: the binding does not reach it.
    expect((await refusal(as.core.listNamespacedPod({ namespace: 'default' }))).code).toBe(403);
  });

  test('reading its own namespace is a request in that namespace, so a Role may grant it; listing namespaces is cluster-scoped (requestinfo.go)', async () => {
    const ns = await h.namespace('rbac-ns');
    const user = `system:serviceaccount:${ns}:deployer`;
    const as = await clientsAs(user);
    expect(await refusal(as.core.readNamespace({ name: ns }))).toEqual({
      code: 403,
      message: `namespaces "${ns}" is forbidden: User "${user}" cannot get resource "namespaces" in API group "" in the namespace "${ns}"`,
    });
    await bind(ns, 'deployer', [{ apiGroups: [''], resources: ['namespaces'], resourceNames: [ns], verbs: ['get'] }]);
    expect((await as.core.readNamespace({ name: ns })).metadata?.name).toBe(ns);
    expect(await refusal(as.core.listNamespace())).toEqual({
      code: 403,
      message: `namespaces is forbidden: User "${user}" cannot list resource "namespaces" in API group "" at the cluster scope`,
    });
  });

  test('a subresource needs its own rule (pods/log), resourceNames restrict by name, and server-side apply of a missing object needs create too', async () => {
    const ns = await h.namespace('rbac-sub');
    const user = `system:serviceaccount:${ns}:deployer`;
    const as = await clientsAs(user);
    await bind(ns, 'deployer', [
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['mine'], verbs: ['get', 'patch'] },
    ]);
    expect(await refusal(as.core.readNamespacedPodLog({ namespace: ns, name: 'p' }))).toEqual({
      code: 403,
      message: `pods "p" is forbidden: User "${user}" cannot get resource "pods/log" in API group "" in the namespace "${ns}"`,
    });
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mine', namespace: ns } };
    const apply = () => as.objects.patch(cm, undefined, undefined, 'test', true, 'application/apply-patch+yaml');
    expect(await refusal(apply())).toEqual({
      code: 403,
      message: `configmaps "mine" is forbidden: User "${user}" cannot create resource "configmaps" in API group "" in the namespace "${ns}"`,
    });
    await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'mine' } } });
    await apply();
    expect((await refusal(as.core.readNamespacedConfigMap({ namespace: ns, name: 'other' }))).code).toBe(403);
  });

  test('records every resource request with its user, verb and resource; an unknown token is 401', async () => {
    const ns = await h.namespace('rbac-rec');
    const user = `system:serviceaccount:${ns}:watcher`;
    const as = await clientsAs(user);
    await as.core.listNamespacedPod({ namespace: ns, fieldSelector: 'metadata.name=x' }).catch(() => undefined);
    const mine = h.double.requests.filter((r) => r.user === user);
    expect(mine).toEqual([
      {
        user,
        verb: 'list',
        apiGroup: '',
        resource: 'pods',
        subresource: '',
        namespace: ns,
        name: 'x',
        allowed: false,
      },
    ]);
    const res = await fetch(`${h.double.server}/api/v1/namespaces/${ns}/pods`, {
      headers: { Authorization: 'Bearer nobody' },
    });
    expect([res.status, ((await res.json()) as { reason: string }).reason]).toEqual([401, 'Unauthorized']);
  });
});

describe('TokenRequest (serviceaccounts/token)', () => {
  test('gives a token that authenticates as the ServiceAccount, as `kubectl create token` does; none for a ServiceAccount that does not exist (token-request-v1)', async () => {
    const ns = await h.namespace('token');
    await h.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'ci' } } });
    const request = await h.core.createNamespacedServiceAccountToken({
      namespace: ns,
      name: 'ci',
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = request.status?.token ?? '';
    const res = await fetch(`${h.double.server}/api/v1/namespaces/${ns}/pods`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect([res.status, ((await res.json()) as { message: string }).message]).toEqual([
      403,
      `pods is forbidden: User "system:serviceaccount:${ns}:ci" cannot list resource "pods" in API group "" in the namespace "${ns}"`,
    ]);
    expect(
      (
        await refusal(
          h.core.createNamespacedServiceAccountToken({
            namespace: ns,
            name: 'nobody',
            body: { spec: { audiences: [] } },
          }),
        )
      ).code,
    ).toBe(404);
  });
});

describe('eviction (pods/eviction)', () => {
  test('marks the pod DisruptionTarget (EvictionByEvictionAPI) and deletes it; a Job whose podFailurePolicy ignores disruptions replaces it without counting a failure', async () => {
    const ns = await h.namespace('evict');
    const env = [{ name: 'X', valueFrom: { secretKeyRef: { name: 'absent', key: 'X' } } }];
    const body: V1Job = jobManifest('stuck', 'setInterval(() => {}, 1000)', {
      backoffLimit: 0,
      spec: {
        podFailurePolicy: {
          rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }],
        },
      },
    });
    body.spec!.template.spec!.containers[0]!.env = env;
    const job = await h.batch.createNamespacedJob({ namespace: ns, body });
    const selector = `batch.kubernetes.io/controller-uid=${job.metadata?.uid}`;
    const stuck = await waitFor('a pod waiting on the missing Secret', async () => {
      const pods = (await h.core.listNamespacedPod({ namespace: ns, labelSelector: selector })).items;
      return pods.find(
        (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError',
      );
    });
    const name = stuck.metadata?.name ?? '';
    // The pod never started, so it goes at once: watch it to see the condition it went with.
    const states: V1Pod[] = [];
    const watching = await new Watch(h.kc).watch(
      `/api/v1/namespaces/${ns}/pods`,
      { fieldSelector: `metadata.name=${name}` },
      (_type: string, pod: V1Pod) => states.push(pod),
      () => undefined,
    );
    await h.core.createNamespacedPodEviction({
      namespace: ns,
      name,
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns } },
    });
    const marked = await waitFor('the evicted pod with its DisruptionTarget condition', () =>
      states.find((p) => p.status?.conditions?.some((c) => c.type === 'DisruptionTarget')),
    );
    watching.abort();
    expect(marked.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'EvictionByEvictionAPI',
      message: 'Eviction API: evicting',
    });
    const replacement = await waitFor('a new pod of the Job', async () => {
      const pods = (await h.core.listNamespacedPod({ namespace: ns, labelSelector: selector })).items;
      return pods.find((p) => p.metadata?.name !== name && !p.metadata?.deletionTimestamp);
    });
    expect(replacement.metadata?.name).not.toBe(name);
    const after = await h.batch.readNamespacedJob({ namespace: ns, name: 'stuck' });
    expect(after.status?.failed ?? 0).toBe(0);
    expect(after.status?.conditions?.find((c) => c.type === 'Failed')).toBeUndefined();
  });
});
