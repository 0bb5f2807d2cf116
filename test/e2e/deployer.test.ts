import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.js';
import { closeIfStarted, testCluster, type TestCluster } from '../support/cluster.js';
import { asDeployer, rbacObjects, type Deployer } from '../support/deployer.js';
import { e2eProject, type E2EProject } from '../support/e2e-project.js';
import { freshNamespace, kube } from '../support/kube.js';
import { freshDatabase, rows } from '../support/pg.js';
import { LOCAL_CONTEXTS } from '../../src/kube/guard.js';

/**
 * One deployer's story, as CI would run it: every cluster command as the
 * ServiceAccount of k8s/rbac.yaml (a Role in one namespace, no cluster-scoped
 * right), in a namespace that exists; runs that fail on what never heals, and
 * re-runs after the fix that replace the stuck pods instead of failing on
 * their old state or waiting out their back-off; and, on the double, the
 * Role compared with what the commands asked the API server for.
 *
 * Ten times Kubernetes' own delays: the kubelet retries a missing Secret
 * every 100 s and backs off a crash loop 100 s, 200 s, ..., so an old state
 * is surely still there when the re-run starts, as it usually is on a real
 * cluster (whose 10 s a re-run can also beat).
 * https://kubernetes.io/docs/reference/access-authn-authz/rbac/
 * https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts
 */
let cluster: TestCluster;
let ns: TestCluster;
let deployer: Deployer;
let p: E2EProject;
let url: string;
beforeAll(async () => {
  cluster = await testCluster({ namespacePrefix: 'e2e-deployer', timeScale: 10 });
  ns = await freshNamespace(cluster, 'deployer');
  deployer = await asDeployer(ns);
  url = await freshDatabase();
  p = e2eProject(ns, url, { noSecrets: true, namespaceManifest: true, noTimeout: true });
});
afterAll(() => closeIfStarted(cluster));

const asTheDeployer = (args: string[]) => p.run(args, { env: { KUBECONFIG: deployer.kubeconfig } });

/** Waits (polling the API) until `probe` holds; the deadline names what was awaited. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a deployer bound to k8s/rbac.yaml', () => {
  it('runs `up` in the existing namespace without applying it; a missing Secret fails the migration Job fast', async () => {
    const r = await asTheDeployer(['up']);
    expect(r.exitCode, r.all).toBe(10);
    expect(r.stderr).toContain(`namespace/${ns.namespace} (exists: left as it is)`);
    expect(r.stderr).toMatch(/CreateContainerConfigError: secret "schemagate-migrator" not found/);
  });

  it('re-runs `up` once the Secret exists: the stuck pod is replaced, not counted as a failed attempt, and the migrations run', async () => {
    const k = kube(ns);
    const [job] = await k.jobs('schemagate.dev/job=migrate');
    p.writeSecrets();
    const r = await asTheDeployer(['up']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/Migration job\/schemagate-migrate-[0-9a-f]{10} complete \(1 attempt/);
    const [after] = await k.jobs('schemagate.dev/job=migrate');
    expect(after?.metadata?.uid).toBe(job?.metadata?.uid);
    expect(after?.status?.failed ?? 0).toBe(0);
    expect(await rows(url, `SELECT count(*)::int AS n FROM schemagate_migrations WHERE kind = 'migration'`)).toEqual([
      { n: 4 },
    ]);
  });

  it("fails `up` fast with verify-schema's output when the backend's init container keeps failing", async () => {
    await rows(url, 'ALTER TABLE user_profiles RENAME TO user_profiles_moved');
    const k = kube(ns);
    // Its pod restarts (a node drain, a new image): the new one verifies the schema again.
    for (const pod of await k.pods('app.kubernetes.io/name=backend'))
      await k.core.deleteNamespacedPod({ name: pod.metadata?.name ?? '', namespace: ns.namespace });
    const r = await asTheDeployer(['up']);
    expect(r.exitCode, r.all).toBe(10);
    expect(r.stderr).toMatch(
      /deployment\/backend: pod backend-[\w-]+, init container verify-schema: (CrashLoopBackOff|Error): exit code 8/,
    );
    expect(r.stderr).toContain('table public.user_profiles does not exist');
  });

  it('re-runs `up` once the schema is fixed: the crash-looping pod is replaced, not waited out', async () => {
    const k = kube(ns);
    // In its back-off (the first restart is immediate, the next one 100 s later): the rollout would sit it out.
    const crashing = await until('the backend pod in CrashLoopBackOff', async () =>
      (await k.pods('app.kubernetes.io/name=backend')).find((pod) =>
        pod.status?.initContainerStatuses?.some((s) => s.state?.waiting?.reason === 'CrashLoopBackOff'),
      ),
    );
    await rows(url, 'ALTER TABLE user_profiles_moved RENAME TO user_profiles');
    const r = await asTheDeployer(['up']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(
      `Replaced the failing pod of deployment/backend left by an earlier run: pod ${crashing.metadata?.name} (verify-schema: CrashLoopBackOff)`,
    );
    expect(r.stdout).toMatch(/Backend deployment\/backend available \(1 replica/);
  });

  it('runs every other cluster command with the Role alone', async () => {
    for (const args of [['seed'], ['status', '--json'], ['verify'], ['migrate', '--rerun', '--cleanup']]) {
      const r = await asTheDeployer(args);
      expect(r.exitCode, `${args.join(' ')}\n${r.all}`).toBe(0);
    }
    // check --cluster dry-runs every object the repository's manifests hold (postgres too).
    const full = e2eProject(ns, url, {
      namespaceManifest: true,
      manifests: { 'postgres.yaml': readFileSync(join(repoRoot, 'k8s/postgres.yaml'), 'utf8') },
    });
    const check = await full.run(['check', '--cluster'], { env: { KUBECONFIG: deployer.kubeconfig } });
    expect(check.exitCode, check.all).toBe(0);
    expect(check.stdout).toMatch(/ok {4}manifests \(server dry run\): the API server accepts all \d+ objects/);
    // reset only runs on a local context (the double's is kind-*); on another cluster it is left out.
    const local = LOCAL_CONTEXTS.some((c) =>
      c.endsWith('*') ? ns.context.startsWith(c.slice(0, -1)) : c === ns.context,
    );
    if (local) {
      const reset = await asTheDeployer(['reset']);
      expect(reset.exitCode, reset.all).toBe(0);
    }
  });

  it('uses every right the Role grants, and no other (derived from the requests the double recorded)', () => {
    if (!cluster.double) return;
    const mine = cluster.double.requests.filter((r) => r.user === deployer.user);
    expect(mine.filter((r) => !r.allowed)).toEqual([]);
    const used = new Set(
      mine.map((r) => `${r.apiGroup}/${r.resource}${r.subresource ? `/${r.subresource}` : ''}:${r.verb}`),
    );
    const role = rbacObjects(ns.namespace).find((o) => o.kind === 'Role') as unknown as {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    const granted = new Set(
      role.rules.flatMap((rule) =>
        rule.apiGroups.flatMap((g) => rule.resources.flatMap((res) => rule.verbs.map((v) => `${g}/${res}:${v}`))),
      ),
    );
    expect([...used].sort()).toEqual([...granted].sort());
  });
});

describe('a deployer whose Role cannot read the namespace', () => {
  it('is told so with the right it lacks (a 403 is not "not found"), and nothing is applied', async () => {
    const other = await freshNamespace(cluster, 'no-ns-read');
    const limited = await asDeployer(other, (objects) =>
      objects.map((o) =>
        o.kind === 'Role'
          ? {
              ...o,
              rules: (o as unknown as { rules: { resources: string[] }[] }).rules.filter(
                (r) => !r.resources.includes('namespaces'),
              ),
            }
          : o,
      ),
    );
    const q = e2eProject(other, url, { namespaceManifest: true });
    const r = await q.run(['up'], { env: { KUBECONFIG: limited.kubeconfig } });
    expect(r.exitCode, r.all).toBe(11);
    expect(r.stderr).toContain(
      `Kubernetes refused to read namespace/${other.namespace} (HTTP 403): namespaces "${other.namespace}" is forbidden: User "${limited.user}" cannot get resource "namespaces" in API group "" in the namespace "${other.namespace}"`,
    );
    expect(r.stderr).toContain(`lacks the RBAC right get on namespaces in namespace ${other.namespace}`);
    expect(await kube(other).jobs()).toEqual([]);
  });
});
