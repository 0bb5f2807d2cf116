import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeIfStarted, testCluster, type TestCluster } from '../support/cluster.js';
import { e2eProject, renamedKubeconfig } from '../support/e2e-project.js';
import { join } from 'node:path';
import { applyFile, freshNamespace, kube } from '../support/kube.js';
import { freshDatabase, rows, tables, withDb } from '../support/pg.js';

/**
 * The cluster commands end to end: the real CLI, the real client-node, and a
 * Kubernetes API double (or a real cluster, see test/support/README.md) whose
 * kubelet runs the Jobs' containers, so the migration Job really migrates
 * the test's PostgreSQL.
 */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await testCluster({ namespacePrefix: 'e2e-up', absentImages: ['schemagate:absent'] });
});
afterAll(() => closeIfStarted(cluster));

describe('schemagate up', () => {
  it('on an empty cluster: the Job migrates, the seed Job waits suspended, the backend is released after its init containers verified the schema', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url, { kubernetes: '  backend:\n    replicas: 1' });
    const r = await p.run(['up']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/Migration job\/schemagate-migrate-[0-9a-f]{10} complete \(1 attempt/);
    expect(r.stdout).toMatch(/Seed job\/schemagate-seed-[0-9a-f]{10}: created, suspended/);
    expect(r.stdout).toMatch(/Backend deployment\/backend available \(1 replica/);

    // Applied by the Job's pod, checked in the database.
    expect(
      await rows(url, `SELECT version FROM schemagate_migrations WHERE kind = 'migration' ORDER BY version::int`),
    ).toEqual(['1', '2', '3', '4'].map((version) => ({ version })));
    const k = kube(ns);
    const seedJobs = await k.jobs('schemagate.dev/job=seed');
    expect(seedJobs).toHaveLength(1);
    expect(seedJobs[0]!.spec?.suspend).toBe(true);
    expect(seedJobs[0]!.status?.startTime).toBeUndefined();
    expect(await k.pods(`batch.kubernetes.io/job-name=${seedJobs[0]!.metadata!.name}`)).toHaveLength(0);

    const backend = await k.deployment('backend');
    expect(backend?.status?.availableReplicas).toBe(1);
    const [pod] = await k.pods('app.kubernetes.io/name=backend');
    expect(pod!.status?.initContainerStatuses?.map((s) => [s.name, s.state?.terminated?.exitCode])).toEqual([
      ['wait-for-db', 0],
      ['verify-schema', 0],
    ]);

    // Again, nothing changed: no new Job, no pod started.
    const jobsBefore = (await k.jobs()).map((j) => j.metadata!.uid).sort();
    const podsBefore = (await k.pods()).map((x) => x.metadata!.uid).sort();
    const again = await p.run(['up']);
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stdout).toMatch(/already complete \(same migrations, same image\)/);
    expect((await k.jobs()).map((j) => j.metadata!.uid).sort()).toEqual(jobsBefore);
    expect((await k.pods()).map((x) => x.metadata!.uid).sort()).toEqual(podsBefore);
  });
});

describe('schemagate migrate', () => {
  it("with a syntax error: fails in one attempt though backoffLimit allows 3 more (exit 6 is final), showing file:line:column from the pod's log, and the backend is not released", async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url, {
      kubernetes: '  migration:\n    backoffLimit: 3',
      migrations: {
        '005_broken.sql': 'ALTER TABLE users\n  ADD COLUMN nickname text;\nCREATE TABLEE oops (id int);\n',
      },
    });
    const r = await p.run(['up']);
    expect(r.exitCode).toBe(10);
    // The Job's podFailurePolicy (pod_failure_policy.go): a FailJob rule matched, no retry.
    expect(r.stderr).toMatch(
      /job\/schemagate-migrate-[0-9a-f]{10} failed \(PodFailurePolicy\): Container migrate for pod e2e-\w+\/schemagate-migrate-[0-9a-f]{10}-\w+ failed with exit code 6 matching FailJob rule at index 1/,
    );
    expect(r.stderr).toMatch(/migrations\/005_broken\.sql:3:8: syntax error at or near "TABLEE" \(SQLSTATE 42601\)/);
    const k = kube(ns);
    const [job] = (await k.jobs('schemagate.dev/job=migrate')).filter((j) => j.status?.failed);
    expect(await k.pods(`batch.kubernetes.io/controller-uid=${job!.metadata!.uid}`)).toHaveLength(1);
    // Migrations 1-4 went in (each in its own transaction); 5 did not.
    expect(await rows(url, `SELECT max(version::int) AS v FROM schemagate_migrations`)).toEqual([{ v: 4 }]);
    expect((await k.deployment('backend'))?.spec?.replicas ?? 0).toBe(0);
  });

  it('with an image that cannot be pulled: fails within seconds with ImagePullBackOff and the image name', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url);
    const started = Date.now();
    const r = await p.run(['migrate', '--image', 'schemagate:absent']);
    expect(r.exitCode).toBe(10);
    expect(Date.now() - started).toBeLessThan(5000 + 2000 /* CLI start-up */);
    expect(r.stderr).toMatch(/(ErrImagePull|ImagePullBackOff).*schemagate:absent/);
    expect(r.stderr).toMatch(/kind load docker-image schemagate:absent/);
    expect(await tables(url)).toEqual([]);
  });

  it('with the Secret missing: fails with CreateContainerConfigError naming the Secret and key', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url, { noSecrets: true });
    const r = await p.run(['migrate']);
    expect(r.exitCode).toBe(10);
    expect(r.stderr).toMatch(/CreateContainerConfigError: secret "schemagate-migrator" not found/);
  });

  it('run twice at once: one Job, both commands succeed', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url);
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    const [a, b] = await Promise.all([p.run(['migrate']), p.run(['migrate'])]);
    expect(a.exitCode, a.all).toBe(0);
    expect(b.exitCode, b.all).toBe(0);
    expect(await kube(ns).jobs('schemagate.dev/job=migrate')).toHaveLength(1);
    expect(await rows(url, `SELECT count(*)::int AS n FROM schemagate_migrations`)).toEqual([{ n: 4 }]);
  });
});

describe("after the Jobs' TTL deleted them", () => {
  it("status, migrate and the backend's init containers still work", async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url, {
      kubernetes: '  migration:\n    ttlSecondsAfterFinished: 1\n  backend:\n    replicas: 1',
    });
    expect((await p.run(['up'])).exitCode).toBe(0);
    const k = kube(ns);
    for (let i = 0; i < 100 && (await k.jobs('schemagate.dev/job=migrate')).length > 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await k.jobs('schemagate.dev/job=migrate')).toHaveLength(0);

    const status = await p.run(['status', '--json']);
    expect(status.exitCode, status.all).toBe(0);
    const s = JSON.parse(status.stdout) as { database: { counts: Record<string, number> }; backend: unknown };
    expect(s.database.counts).toMatchObject({ applied: 4, pending: 0 });
    expect(s.backend).toMatchObject({ name: 'backend', available: 1, rolledOut: true });

    const migrate = await p.run(['migrate']);
    expect(migrate.exitCode, migrate.all).toBe(0);

    // A new backend pod verifies the database itself, with no Job left to look at.
    const [pod] = await k.pods('app.kubernetes.io/name=backend');
    await k.core.deleteNamespacedPod({ name: pod!.metadata!.name!, namespace: ns.namespace });
    const rollout = await p.run(['up']);
    expect(rollout.exitCode, rollout.all).toBe(0);
  });
});

describe('waiting through a flaky API server', () => {
  it('ends correctly when watch connections drop and the watch history is compacted (410 Gone) mid-wait', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    // The migration waits at a gate (an advisory lock this test holds), so the Job runs exactly as long as the test
    // needs, on a busy machine as on an idle one.
    const p = e2eProject(ns, url, {
      migrations: { '005_slow.sql': 'SELECT pg_advisory_xact_lock_shared(4242);\nCREATE TABLE slow (id int);\n' },
    });
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    await withDb(url, async (gate) => {
      await gate.query('SELECT pg_advisory_lock(4242)');
      const running = p.run(['migrate', '--verbose']);
      const double = cluster.double;
      if (double) {
        const requests = (verb: string, from: number, resource?: string) =>
          double.requests
            .slice(from)
            .filter((r) => r.verb === verb && r.namespace === ns.namespace && (!resource || r.resource === resource))
            .length;
        // The Job's, its pods' and its events' watches: cut them once all three are open.
        await vi.waitFor(() => expect(double.openWatches).toBeGreaterThanOrEqual(3), { timeout: 60_000 });
        let from = double.requests.length;
        double.dropWatches();
        await vi.waitFor(() => expect(requests('watch', from)).toBeGreaterThanOrEqual(3), { timeout: 60_000 });
        // A change no watch sees, then a compaction at it: every watch's last version is gone, so each lists again.
        // A bookmark that reaches a watch between the change and the compaction leaves it current: go round again.
        for (let round = 0; round < 5 && (round === 0 || requests('list', from, 'jobs') === 0); round++) {
          await vi.waitFor(() => expect(double.openWatches).toBeGreaterThanOrEqual(3), { timeout: 60_000 });
          from = double.requests.length;
          await kube(ns).core.createNamespacedConfigMap({
            namespace: ns.namespace,
            body: { metadata: { name: `bump-${round}` } },
          });
          double.compact();
          double.dropWatches();
          await vi.waitFor(() => expect(requests('watch', from)).toBeGreaterThanOrEqual(3), { timeout: 60_000 });
        }
        expect(requests('list', from, 'jobs')).toBeGreaterThanOrEqual(1);
      }
      await gate.query('SELECT pg_advisory_unlock(4242)');
      const r = await running;
      expect(r.exitCode, r.all).toBe(0);
      expect(await tables(url)).toContain('slow');
      if (double) {
        expect(r.all).toMatch(/the watch was closed; resuming from resourceVersion \d+/);
        expect(r.all).toMatch(/too old \(410 Gone\): listing again/);
      }
    });
  });
});

describe('schemagate seed', () => {
  it('resumes the suspended seed Job and waits; seeding again recreates it', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url);
    expect((await p.run(['up'])).exitCode).toBe(0);
    const first = await p.run(['seed']);
    expect(first.exitCode, first.all).toBe(0);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM users')).toEqual([{ n: 3 }]);
    const k = kube(ns);
    const [job] = await k.jobs('schemagate.dev/job=seed');
    const second = await p.run(['seed']);
    expect(second.exitCode, second.all).toBe(0);
    const [again] = await k.jobs('schemagate.dev/job=seed');
    expect(again!.metadata!.uid).not.toBe(job!.metadata!.uid);
  });
});

describe('schemagate reset', () => {
  it('on a context named prod-eu: refused, nothing deleted', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url);
    expect((await p.run(['up'])).exitCode).toBe(0);
    const jobsBefore = (await kube(ns).jobs()).length;
    const r = await p.run(['reset'], { env: { KUBECONFIG: renamedKubeconfig(ns, 'prod-eu') } });
    expect(r.exitCode).toBe(11);
    expect(r.stderr).toContain('reset refused on context "prod-eu": it is not a local cluster, and reset deletes data');
    expect(await tables(url)).toContain('users');
    expect((await kube(ns).jobs()).length).toBe(jobsBefore);
  });

  it('on a local context: drops the schema through a Job, then migrates again', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url);
    expect((await p.run(['up'])).exitCode).toBe(0);
    await rows(url, `INSERT INTO users (username, password_hash) VALUES ('temp', 'x')`);
    const r = await p.run(['reset']);
    expect(r.exitCode, r.all).toBe(0);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM users')).toEqual([{ n: 0 }]);
    expect(await rows(url, `SELECT count(*)::int AS n FROM schemagate_migrations`)).toEqual([{ n: 4 }]);
  });
});

describe('migration.mode: initContainer', () => {
  it("migrates from the backend's first init container; 3 replicas at once apply each migration once", async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url, { kubernetes: '  migration:\n    mode: initContainer\n  backend:\n    replicas: 3' });
    const r = await p.run(['up']);
    expect(r.exitCode, r.all).toBe(0);
    const k = kube(ns);
    expect(await k.jobs('schemagate.dev/job=migrate')).toHaveLength(0);
    const pods = await k.pods('app.kubernetes.io/name=backend');
    expect(pods).toHaveLength(3);
    for (const pod of pods)
      expect(pod.status?.initContainerStatuses?.[0]).toMatchObject({
        name: 'migrate',
        state: { terminated: { exitCode: 0 } },
      });
    expect(
      await rows(
        url,
        `SELECT count(*)::int AS n, count(DISTINCT version)::int AS d FROM schemagate_migrations WHERE kind = 'migration'`,
      ),
    ).toEqual([{ n: 4, d: 4 }]);
  });
});

describe('schemagate check --cluster', () => {
  it('passes on a set-up namespace, and fails on the database check while a migration is pending', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url);
    expect((await p.run(['up'])).exitCode).toBe(0);
    const ok = await p.run(['check', '--cluster']);
    expect(ok.exitCode, ok.all).toBe(0);
    expect(ok.stdout).toMatch(/ok {4}manifests \(server dry run\): the API server accepts all \d+ objects/);
    expect(ok.stdout).toMatch(/ok {4}database: postgres answers; 4 applied, 0 pending/);

    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(p.dir, 'migrations/005_more.sql'), 'CREATE TABLE more (id int);');
    const pending = await p.run(['check', '--cluster', '--json']);
    expect(pending.exitCode).toBe(10);
    const report = JSON.parse(pending.stdout) as { checks: { name: string }[] };
    expect(report.checks.find((c) => c.name === 'database')).toMatchObject({
      ok: false,
      detail: 'postgres answers; 4 applied, 1 pending',
    });
  });
});

describe('failures a Job cannot report by itself, and deadlines', () => {
  it('names DeadlineExceeded when the Job runs past activeDeadlineSeconds', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    // 100 s of Kubernetes time is 1 s on the double (time scale 0.01); the migration sleeps 30 s.
    const p = e2eProject(ns, url, {
      kubernetes: '  migration:\n    activeDeadlineSeconds: 100',
      migrations: { '005_slow.sql': 'SELECT pg_sleep(30);' },
    });
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    const r = await p.run(['migrate']);
    expect(r.exitCode).toBe(10);
    expect(r.stderr).toMatch(
      /job\/schemagate-migrate-[0-9a-f]{10} failed \(DeadlineExceeded\): it ran longer than activeDeadlineSeconds \(100s\)/,
    );
    expect(r.stderr).toMatch(/Raise activeDeadlineSeconds in schemagate\.yaml/);
  });

  it('says what it waited for when --timeout runs out', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url, { migrations: { '005_slow.sql': 'SELECT pg_sleep(30);' } });
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    const r = await p.run(['migrate', '--timeout', '2s']);
    expect(r.exitCode).toBe(10);
    expect(r.stderr).toMatch(
      /timed out after 2\.0s waiting for job\/schemagate-migrate-[0-9a-f]{10} to finish \(active 1, succeeded 0, failed 0; schemagate-migrate-[0-9a-f]{10}-\w+: Running\)/,
    );
    expect(r.stderr).toMatch(/raise the deadline with --timeout or kubernetes\.timeout/);
  });

  it('replaces a failed Job of the same content when the command runs again (the fix was outside the files)', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    // Needs a table the team creates by hand: fails until it exists.
    const p = e2eProject(ns, url, {
      kubernetes: '  migration:\n    backoffLimit: 0',
      migrations: { '005_uses_extension_table.sql': 'INSERT INTO manual_prereq VALUES (1);' },
    });
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    const failed = await p.run(['migrate']);
    expect(failed.exitCode).toBe(10);
    const k = kube(ns);
    const [first] = await k.jobs('schemagate.dev/job=migrate');
    await rows(url, 'CREATE TABLE manual_prereq (id int)');
    const again = await p.run(['migrate']);
    expect(again.exitCode, again.all).toBe(0);
    const [second] = await k.jobs('schemagate.dev/job=migrate');
    expect(second!.metadata!.name).toBe(first!.metadata!.name);
    expect(second!.metadata!.uid).not.toBe(first!.metadata!.uid);
    // The old attempt's pods went with it (deleted with propagationPolicy Background).
    expect(await k.pods(`batch.kubernetes.io/controller-uid=${first!.metadata!.uid}`)).toHaveLength(0);
  });
});
