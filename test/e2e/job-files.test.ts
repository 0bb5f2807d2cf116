import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1ConfigMap, V1Job } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeIfStarted, schemagateImage, testCluster, type TestCluster } from '../support/cluster.js';
import { e2eProject } from '../support/e2e-project.js';
import { applyFile, freshNamespace, kube, watchCollection } from '../support/kube.js';
import { freshDatabase, rows, tables } from '../support/pg.js';

/**
 * Which files a Job runs: the migrations of the checkout, proven by the pod
 * (a manifest in the Job, checked before anything runs), and delivered
 * without an image build (`kubernetes.migration.source: configMap`). On a
 * real cluster (SCHEMAGATE_E2E_REAL=1) the image is SCHEMAGATE_E2E_IMAGE,
 * built from this repository: it lacks the migration these tests add, which
 * is what they need; the double-only steps build images of their own.
 */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await testCluster({ namespacePrefix: 'e2e-files' });
});
afterAll(() => closeIfStarted(cluster));

const NEW_MIGRATION = { '005_add_nickname.sql': 'ALTER TABLE users ADD COLUMN nickname text;\n' };

const migrationVersions = async (url: string) =>
  (await rows(url, `SELECT version FROM schemagate_migrations WHERE kind = 'migration' ORDER BY version::int`)).map(
    (r) => (r as { version: string }).version,
  );

describe('an image whose migrations differ from the checkout (kubernetes.migration.source: image)', () => {
  it('fails `up` in one attempt, naming the files that differ and how to fix it, without releasing the backend; once the image is rebuilt and loaded, `up` succeeds', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url, {
      kubernetes: '  migration:\n    source: image\n  backend:\n    replicas: 1',
      migrations: NEW_MIGRATION,
    });
    if (cluster.double) {
      // The image was built before the last edits: without 005, with an older 002 and a migration since deleted.
      const stale = mkdtempSync(join(tmpdir(), 'schemagate-stale-image-'));
      cpSync(p.dir, stale, { recursive: true });
      rmSync(join(stale, 'migrations/005_add_nickname.sql'));
      writeFileSync(join(stale, 'migrations/002_create_user_profiles.sql'), 'CREATE TABLE user_profiles (id int);\n');
      writeFileSync(join(stale, 'migrations/006_old.sql'), 'SELECT 1;\n');
      cluster.double.buildImage(p.image, stale, { config: schemagateImage() });
    }
    const r = await p.run(['up']);
    expect(r.exitCode, r.all).toBe(10);
    expect(r.stderr).toMatch(
      /job\/schemagate-migrate-[0-9a-f]{10} failed \(PodFailurePolicy\): Container migrate for pod \S+ failed with exit code 13 matching FailJob rule at index 1/,
    );
    expect(r.stderr).toMatch(
      /error: the migration files here differ from the ones the Job was made for \(expected [0-9a-f]{12}, found [0-9a-f]{12}\):/,
    );
    expect(r.stderr).toContain('added (in the checkout, not here): migrations/005_add_nickname.sql');
    if (cluster.double) {
      expect(r.stderr).toContain('removed (here, not in the checkout): migrations/006_old.sql');
      expect(r.stderr).toContain('changed: migrations/002_create_user_profiles.sql');
    }
    expect(r.stderr).toContain(`kind load docker-image ${p.image} --name schemagate`);
    const k = kube(ns);
    const [job] = await k.jobs('schemagate.dev/job=migrate');
    expect(await k.pods(`batch.kubernetes.io/controller-uid=${job!.metadata!.uid}`)).toHaveLength(1);
    // Refused before it connected: nothing of the stale set was applied, and the backend was not released.
    expect(await tables(url)).toEqual([]);
    expect((await k.deployment('backend'))?.spec?.replicas ?? 0).toBe(0);

    if (!cluster.double) return;
    // docker build + kind load: the image now holds the checkout's files. The failed Job is replaced.
    cluster.double.buildImage(p.image, p.dir, { config: schemagateImage() });
    const again = await p.run(['up']);
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stdout).toMatch(/Migration job\/schemagate-migrate-[0-9a-f]{10} complete \(1 attempt/);
    expect(await migrationVersions(url)).toEqual(['1', '2', '3', '4', '5']);
  });
});

describe('kubernetes.migration.source: configMap', () => {
  it('runs a new migration without any image change, from an immutable ConfigMap the Job owns, which goes with the Job (its TTL)', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url, { kubernetes: '  migration:\n    ttlSecondsAfterFinished: 2' });
    if (cluster.double) {
      // An image built once, before the new migration: as in the dev loop, it is never rebuilt.
      cluster.double.buildImage(p.image, p.dir, { config: schemagateImage() });
    }
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    expect((await p.run(['migrate'])).exitCode).toBe(0);
    writeFileSync(join(p.dir, 'migrations/005_add_nickname.sql'), NEW_MIGRATION['005_add_nickname.sql']);
    // Watched from before the run: the TTL may take the Job and its ConfigMap before a read could.
    const jobs = await watchCollection<V1Job>(ns, `/apis/batch/v1/namespaces/${ns.namespace}/jobs`);
    const configMaps = await watchCollection<V1ConfigMap>(ns, `/api/v1/namespaces/${ns.namespace}/configmaps`);
    try {
      const r = await p.run(['migrate']);
      expect(r.exitCode, r.all).toBe(0);
      expect(r.all).toContain('applied migrations/005_add_nickname.sql');
      expect(await migrationVersions(url)).toEqual(['1', '2', '3', '4', '5']);

      const job = await jobs.until(
        (_t, j) => j.metadata!.annotations?.['schemagate.dev/file-count'] === '5',
        'the migration Job of 5 migrations',
      );
      const volume = job.spec!.template.spec!.volumes!.find((v) => v.name === 'schemagate-files')!;
      const name = volume.configMap!.name!;
      const owned = await configMaps.until(
        (_t, cm) => cm.metadata!.name === name && (cm.metadata!.ownerReferences ?? []).length > 0,
        `configmap/${name} owned by its Job`,
      );
      expect(owned.immutable).toBe(true);
      expect(owned.data!['migrations.005_add_nickname.sql']).toBe(NEW_MIGRATION['005_add_nickname.sql']);
      expect(owned.metadata!.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'Job', name: job.metadata!.name, uid: job.metadata!.uid, controller: false }),
      ]);
      expect(job.spec!.template.spec!.containers[0]!.volumeMounts).toContainEqual({
        name: 'schemagate-files',
        mountPath: '/schemagate',
        readOnly: true,
      });
      // The TTL-after-finished controller deletes the Job; the garbage collector then deletes its ConfigMap.
      await jobs.until(
        (t, j) => t === 'DELETED' && j.metadata!.uid === job.metadata!.uid,
        `job/${job.metadata!.name} deleted by its TTL`,
      );
      await configMaps.until(
        (t, cm) => t === 'DELETED' && cm.metadata!.name === name,
        `configmap/${name} deleted with job/${job.metadata!.name}`,
      );
    } finally {
      jobs.stop();
      configMaps.stop();
    }
  });

  it('keeps one suspended seed Job: `up` after a new migration replaces the seed Job of the older files, which never ran', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url);
    expect((await p.run(['up'])).exitCode).toBe(0);
    const k = kube(ns);
    const [before] = await k.jobs('schemagate.dev/job=seed');
    writeFileSync(join(p.dir, 'migrations/005_add_nickname.sql'), NEW_MIGRATION['005_add_nickname.sql']);
    const r = await p.run(['up']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(
      /Seed job\/schemagate-seed-[0-9a-f]{10}: created, suspended; `schemagate seed` runs it \(removed 1 suspended seed Job of older files\)/,
    );
    const after = await k.jobs('schemagate.dev/job=seed');
    expect(after.map((j) => j.metadata!.name)).toEqual([expect.not.stringMatching(before!.metadata!.name!)]);
    expect(after[0]!.spec!.suspend).toBe(true);
  });

  it('keeps the files of a Job it replaces (migrate --rerun): the new pod mounts them at once, and they are owned by the new Job only', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url);
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    expect((await p.run(['migrate'])).exitCode).toBe(0);
    const k = kube(ns);
    const [old] = await k.jobs('schemagate.dev/job=migrate');
    const r = await p.run(['migrate', '--rerun']);
    expect(r.exitCode, r.all).toBe(0);
    const [job] = await k.jobs('schemagate.dev/job=migrate');
    expect(job!.metadata!.uid).not.toBe(old!.metadata!.uid);
    // Had the garbage collector taken the ConfigMap with the old Job, the new pod would wait on FailedMount.
    const events = await k.core.listNamespacedEvent({ namespace: ns.namespace });
    expect(events.items.filter((e) => e.reason === 'FailedMount').map((e) => e.message)).toEqual([]);
    const name = job!.spec!.template.spec!.volumes!.find((v) => v.name === 'schemagate-files')!.configMap!.name!;
    const cm = await k.core.readNamespacedConfigMap({ name, namespace: ns.namespace });
    expect(cm.metadata!.deletionTimestamp).toBeUndefined();
    expect(cm.metadata!.ownerReferences?.map((o) => o.uid)).toEqual([job!.metadata!.uid]);
  });

  it('compresses a large migration set into one gzip bundle the pod unpacks', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    // ~300 KiB of SQL comments: past the plain-keys limit (256 KiB), far under 1 MiB compressed.
    const filler = `-- ${'x'.repeat(1000)}\n`.repeat(300);
    const p = e2eProject(ns, url, { migrations: { '005_big.sql': `${filler}CREATE TABLE big (id int);\n` } });
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    const r = await p.run(['migrate']);
    expect(r.exitCode, r.all).toBe(0);
    expect(await tables(url)).toContain('big');
    const [job] = await kube(ns).jobs('schemagate.dev/job=migrate');
    const c = job!.spec!.template.spec!.containers[0]!;
    expect(c.args).toEqual(
      expect.arrayContaining(['--bundle', 'files.json.gz', '--config', 'schemagate.yaml']) as string[],
    );
    const name = job!.spec!.template.spec!.volumes!.find((v) => v.name === 'schemagate-files')!.configMap!.name!;
    const cm = await kube(ns).core.readNamespacedConfigMap({ name, namespace: ns.namespace });
    expect(Object.keys(cm.binaryData ?? {})).toEqual(['files.json.gz']);
    expect(cm.data).toBeUndefined();
  });
});
