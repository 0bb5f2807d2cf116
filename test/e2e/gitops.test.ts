import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { closeIfStarted, testCluster, type TestCluster } from '../support/cluster.js';
import { e2eProject } from '../support/e2e-project.js';
import { helmTemplate } from '../support/helm-template.js';
import { applyFile, freshNamespace, kube, watchCollection } from '../support/kube.js';
import { freshDatabase, rows } from '../support/pg.js';

/**
 * The production outputs applied in the order their tools document, with the
 * real CLI's output and @kubernetes/client-node. These are simulations of that
 * order, not runs of Argo CD or Helm:
 *  - Argo CD: PreSync hooks are applied first and must complete before the
 *    manifests are applied (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/);
 *  - Helm: pre-install/pre-upgrade hooks are created after rendering and
 *    waited for until complete, then the release's objects are applied;
 *    before-hook-creation deletes the previous hook object first and
 *    hook-succeeded deletes it once complete (https://helm.sh/docs/topics/charts_hooks/).
 * Runs unchanged on a real cluster (SCHEMAGATE_E2E_REAL=1).
 */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await testCluster({ namespacePrefix: 'e2e-gitops' });
});
afterAll(() => closeIfStarted(cluster));

type Obj = k8s.KubernetesObject & { metadata: k8s.V1ObjectMeta & { name: string } };
const docs = (text: string) =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);

function api(ns: TestCluster) {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(ns.kubeconfigPath);
  kc.setCurrentContext(ns.context);
  return k8s.KubernetesObjectApi.makeApiClient(kc);
}

const complete = (j: k8s.V1Job) =>
  j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ?? false;

async function waitComplete(ns: TestCluster, name: string): Promise<void> {
  const jobs = await watchCollection<k8s.V1Job>(ns, `/apis/batch/v1/namespaces/${ns.namespace}/jobs`);
  try {
    const failed = (j: k8s.V1Job) => j.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True');
    const j = await jobs.until(
      (_t, x) => x.metadata?.name === name && (complete(x) || !!failed(x)),
      `job/${name} to finish`,
      90_000,
    );
    expect(complete(j), JSON.stringify(j.status)).toBe(true);
  } finally {
    jobs.stop();
  }
}

async function waitReady(ns: TestCluster, name: string, replicas: number): Promise<void> {
  const ds = await watchCollection<k8s.V1Deployment>(ns, `/apis/apps/v1/namespaces/${ns.namespace}/deployments`);
  try {
    await ds.until(
      (_t, d) => d.metadata?.name === name && (d.status?.readyReplicas ?? 0) === replicas,
      `deployment/${name} with ${replicas} ready replicas`,
      90_000,
    );
  } finally {
    ds.stop();
  }
}

async function deleteAndWait(ns: TestCluster, obj: Obj): Promise<void> {
  const jobs = await watchCollection<k8s.V1Job>(ns, `/apis/batch/v1/namespaces/${ns.namespace}/jobs`);
  try {
    const existed = await api(ns)
      .read({
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        metadata: { name: obj.metadata.name, namespace: ns.namespace },
      })
      .then(
        () => true,
        () => false,
      );
    if (!existed) return;
    await api(ns).delete(obj, undefined, undefined, undefined, undefined, 'Background');
    await jobs.until(
      (t, j) => t === 'DELETED' && j.metadata?.name === obj.metadata.name,
      `job/${obj.metadata.name} deleted`,
    );
  } finally {
    jobs.stop();
  }
}

const versions = async (url: string) =>
  (await rows(url, `SELECT version FROM schemagate_migrations WHERE kind = 'migration' ORDER BY version::int`)).map(
    (r) => (r as { version: string }).version,
  );

/** Every file under a folder, relative to it. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => relative(dir, join(dir, f)));

/** The backend's pods ran their init containers (db wait, db verify) to a zero exit before they were ready. */
async function gatedByInitContainers(ns: TestCluster): Promise<void> {
  const pods = (await kube(ns).pods('app.kubernetes.io/name=backend')).filter((p) => p.status?.phase === 'Running');
  expect(pods.length).toBeGreaterThan(0);
  for (const p of pods)
    expect(p.status!.initContainerStatuses!.map((s) => [s.name, s.state?.terminated?.exitCode])).toEqual([
      ['wait-for-db', 0],
      ['verify-schema', 0],
    ]);
}

describe('render --for argocd, applied in Argo CD sync order (a simulation)', () => {
  it('runs the PreSync hook Job to completion, then the backend reaches its replicas through its init containers', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url, { kubernetes: '  backend:\n    replicas: 2' });
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    const out = join(p.dir, 'deploy/argocd');
    const r = await p.run(['render', '--for', 'argocd', '--out', out]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr).toContain('kubernetes.migration.source is configMap (the dev loop)');

    const hooks = docs(readFileSync(join(out, 'manifests/migration-job.yaml'), 'utf8'));
    const rest = docs(readFileSync(join(out, 'manifests/backend.yaml'), 'utf8'));
    expect(hooks.map((h) => h.metadata.annotations?.['argocd.argoproj.io/hook'])).toEqual(['PreSync']);
    // PreSync: the hook first, and nothing else until it completed.
    for (const h of hooks) await api(ns).create(h);
    await waitComplete(ns, hooks[0]!.metadata.name);
    expect(await versions(url)).toEqual(['1', '2', '3', '4']);
    expect(await kube(ns).deployment('backend')).toBeUndefined();
    // Sync: the manifests.
    for (const o of rest) await api(ns).create(o);
    await waitReady(ns, 'backend', 2);
    await gatedByInitContainers(ns);
  });
});

describe('render --for helm, installed and upgraded in Helm hook order (a simulation)', () => {
  it('runs the pre-install hook before the release objects, deletes it on success, and replaces a left-over hook Job instead of failing with "already exists"', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url, { kubernetes: '  backend:\n    replicas: 1' });
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    const chart = join(p.dir, 'deploy/helm');
    const colon = p.image.lastIndexOf(':');
    const values = { image: { repository: p.image.slice(0, colon), tag: p.image.slice(colon + 1) } };

    /** `helm upgrade --install`: hooks by the chart's policy, then the release's objects. */
    const release = async (overrides: Record<string, unknown>, opts: { interrupted?: boolean } = {}) => {
      const r = await p.run(['render', '--for', 'helm', '--out', chart]);
      expect(r.exitCode, r.all).toBe(0);
      const objects = docs(
        helmTemplate(chart, filesUnder(chart), { name: 'shop', namespace: ns.namespace }, { ...values, ...overrides }),
      );
      const hooks = objects.filter((o) => o.metadata.annotations?.['helm.sh/hook']);
      expect(hooks.map((h) => h.metadata.annotations?.['helm.sh/hook'])).toEqual(['pre-install,pre-upgrade']);
      for (const h of hooks) {
        const policy = h.metadata.annotations?.['helm.sh/hook-delete-policy'] ?? '';
        if (policy.includes('before-hook-creation')) await deleteAndWait(ns, h);
        await api(ns).create(h);
        await waitComplete(ns, h.metadata.name);
        if (policy.includes('hook-succeeded') && !opts.interrupted) await deleteAndWait(ns, h);
      }
      if (opts.interrupted) return hooks;
      for (const o of objects.filter((x) => !hooks.includes(x))) {
        const existing = await api(ns)
          .read(o)
          .catch(() => undefined);
        await (existing
          ? api(ns).patch(o, undefined, undefined, 'schemagate-e2e', true, k8s.PatchStrategy.ServerSideApply)
          : api(ns).create(o));
      }
      return hooks;
    };

    await release({});
    await waitReady(ns, 'backend', 1);
    await gatedByInitContainers(ns);
    expect(await versions(url)).toEqual(['1', '2', '3', '4']);
    expect(await kube(ns).jobs('schemagate.dev/job=migrate')).toEqual([]);

    // A release interrupted after its hook completed leaves the hook Job behind (hook-succeeded never ran).
    writeFileSync(join(p.dir, 'migrations/005_add_nickname.sql'), 'ALTER TABLE users ADD COLUMN nickname text;\n');
    const [leftOver] = await release({}, { interrupted: true });
    expect(await versions(url)).toEqual(['1', '2', '3', '4', '5']);
    // Without before-hook-creation, the next upgrade's create would fail...
    const conflict = await api(ns)
      .create(leftOver!)
      .then(
        () => undefined,
        (e: unknown) => e as k8s.ApiException<unknown>,
      );
    expect(conflict?.code).toBe(409);
    // ...with it, the left-over is deleted first and the upgrade goes through.
    await release({ replicas: 2 });
    await waitReady(ns, 'backend', 2);
    expect(await kube(ns).jobs('schemagate.dev/job=migrate')).toEqual([]);
  });
});

describe('render --for on the command line', () => {
  it('writes helm and kustomize only into a folder, and says so with exit 2', async () => {
    const { cli } = await import('../support/cli.js');
    for (const tool of ['helm', 'kustomize']) {
      const r = await cli(['render', '--for', tool]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(`error: --for ${tool} writes a folder: --out DIR is required`);
    }
    const r = await cli(['render', '--for', 'pulumi']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error: --for pulumi: expected one of tilt, argocd, flux, helm, kustomize');
  });

  it('prints the manifests on stdout and the warnings and Secrets to create on stderr, with no password anywhere', async () => {
    const { cli } = await import('../support/cli.js');
    const r = await cli(['render', '--for', 'flux']);
    expect(r.exitCode, r.all).toBe(0);
    expect(docs(r.stdout).map((o) => o.kind)).toEqual(['Job', 'Deployment', 'Service']);
    expect(r.stderr).toContain('warning: image schemagate:dev has a mutable tag :dev');
    expect(r.stderr).toContain(
      'kubectl -n schemagate create secret generic schemagate-migrator --from-literal=DATABASE_URL="$URL"',
    );
    expect(r.all).not.toMatch(/dev-only|password@/);
  });
});
