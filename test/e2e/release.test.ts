import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, Watch, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.js';
import { closeIfStarted, schemagateImage, testCluster, type TestCluster } from '../support/cluster.js';
import { E2E_IMAGE, e2eProject } from '../support/e2e-project.js';
import { freshNamespace, kube } from '../support/kube.js';
import { freshDatabase, rows } from '../support/pg.js';

/**
 * A release without downtime: three replicas of the backend (readiness on
 * /health, which runs `db verify`; liveness on /livez) serve while the next
 * release's migration is applied and its pods roll out. Every change of
 * every backend pod is watched through the whole release: at no moment are
 * fewer than three replicas ready and serving, so no replica went unready
 * before its replacement was ready.
 * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-update-deployment
 * https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/
 *
 * On a real cluster it needs two images: SCHEMAGATE_E2E_IMAGE (this
 * checkout's) and SCHEMAGATE_E2E_IMAGE_NEXT (the same with
 * test/e2e/fixtures/005_add_user_nickname.sql in its migrations/).
 */
const NEXT_IMAGE = process.env['SCHEMAGATE_E2E_IMAGE_NEXT'];
const nextMigration = readFileSync(join(repoRoot, 'test/e2e/fixtures/005_add_user_nickname.sql'), 'utf8');

// The repository's own backend (its probes as shipped), without its NodePort Service.
const backendYaml = readFileSync(join(repoRoot, 'k8s/backend.yaml'), 'utf8').split('\n---\n')[0] ?? '';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await testCluster({ namespacePrefix: 'e2e-release' });
});
afterAll(() => closeIfStarted(cluster));

interface Seen {
  type: string;
  name: string;
  uid: string;
  image: string;
  ready: boolean;
  deleting: boolean;
}

/** Records every change of the backend's pods, from now until stopped. */
async function watchPods(ns: TestCluster): Promise<{ seen: Seen[]; stop: () => void }> {
  const kc = new KubeConfig();
  kc.loadFromFile(ns.kubeconfigPath);
  kc.setCurrentContext(ns.context);
  const seen: Seen[] = [];
  const controller = await new Watch(kc).watch(
    `/api/v1/namespaces/${ns.namespace}/pods`,
    { labelSelector: 'app.kubernetes.io/name=backend' },
    (type: string, pod: V1Pod) =>
      seen.push({
        type,
        name: pod.metadata?.name ?? '',
        uid: pod.metadata?.uid ?? '',
        image: pod.spec?.containers.find((c) => c.name === 'backend')?.image ?? '',
        ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
        deleting: pod.metadata?.deletionTimestamp !== undefined,
      }),
    () => undefined,
  );
  return { seen, stop: () => controller.abort() };
}

/** Replays the changes: how many pods were ready and not on their way out, after each one. */
function servingAfterEachChange(seen: readonly Seen[]): number[] {
  const now = new Map<string, Seen>();
  return seen.map((s) => {
    if (s.type === 'DELETED') now.delete(s.uid);
    else now.set(s.uid, s);
    return [...now.values()].filter((p) => p.ready && !p.deleting).length;
  });
}

describe('a release of the next migration while three replicas serve', () => {
  it('applies the migration and rolls the new pods out with no replica unready before its replacement is ready', async () => {
    if (!cluster.double && !NEXT_IMAGE) return;
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url, {
      kubernetes: '  backend:\n    replicas: 3',
      manifests: { 'backend.yaml': backendYaml },
    });
    const tag = Math.random().toString(36).slice(2, 8);
    // On the double, an image is a snapshot of the project as it is now (what `docker build` would copy).
    const image = (version: string, fallback: string): string => {
      if (!cluster.double) return fallback;
      const ref = `schemagate:release-${version}-${tag}`;
      cluster.double.buildImage(ref, p.dir, { config: schemagateImage() });
      return ref;
    };
    const current = image('v1', E2E_IMAGE);
    const first = await p.run(['up', '--image', current]);
    expect(first.exitCode, first.all).toBe(0);
    expect(first.stdout).toMatch(/Backend deployment\/backend available \(3 replicas/);

    writeFileSync(join(p.dir, 'migrations/005_add_user_nickname.sql'), nextMigration);
    const next = image('v2', NEXT_IMAGE ?? '');
    const watching = await watchPods(ns);
    const release = await p.run(['up', '--image', next]);
    watching.stop();
    expect(release.exitCode, release.all).toBe(0);
    expect(release.stdout).toMatch(/Migration job\/schemagate-migrate-[0-9a-f]{10} complete/);
    expect(await rows(url, `SELECT max(version::int) AS v FROM schemagate_migrations`)).toEqual([{ v: 5 }]);

    // The watch begins with the three old pods, ready.
    const serving = servingAfterEachChange(watching.seen);
    expect(serving.slice(0, 3)).toEqual([1, 2, 3]);
    expect(Math.min(...serving.slice(2))).toBe(3);
    // The old pods stayed ready while the migration they do not know was applied; each left only once replaced.
    const old = watching.seen.filter((s) => s.image === current && !s.deleting && s.type !== 'DELETED');
    expect(old.every((s) => s.ready)).toBe(true);
    expect(old.length).toBeGreaterThanOrEqual(3);
    const pods = (await kube(ns).pods('app.kubernetes.io/name=backend')).filter((x) => !x.metadata?.deletionTimestamp);
    expect(pods.map((x) => x.spec?.containers[0]?.image)).toEqual([next, next, next]);
  });
});
