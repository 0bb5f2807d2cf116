import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeIfStarted, testCluster, type TestCluster } from '../support/cluster.js';
import { e2eProject } from '../support/e2e-project.js';
import { applyFile, freshNamespace, kube, watchCollection } from '../support/kube.js';
import { freshDatabase, rows } from '../support/pg.js';

/**
 * Which failures a Job retries: its podFailurePolicy (Kubernetes 1.31,
 * pkg/controller/job/pod_failure_policy.go) fails it at once on exit codes no
 * retry can fix (a SQL typo: pipeline.test.ts; files that differ:
 * job-files.test.ts) and counts the transient ones against backoffLimit:
 * a database that does not answer (5), a lock timeout (14).
 * https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-failure-policy
 * Runs on a real cluster too (SCHEMAGATE_E2E_REAL=1): the lock is held on the
 * same database the pods reach.
 */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await testCluster({ namespacePrefix: 'e2e-retry' });
});
afterAll(() => closeIfStarted(cluster));

const exitCode = (p: V1Pod) =>
  p.status?.containerStatuses?.find((c) => c.name === 'migrate')?.state?.terminated?.exitCode;

describe('transient failures are retried', () => {
  it('a database that refuses connections: every attempt exits 5 and the Job fails only once backoffLimit is used up', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    // Nothing listens on port 1: each attempt waits 1s for PostgreSQL, then gives up with exit 5.
    const p = e2eProject(ns, url, {
      secretUrl: 'postgres://schemagate:not-a-password@127.0.0.1:1/app',
      kubernetes: '  migration:\n    backoffLimit: 1\n    waitForDatabase: 1s',
    });
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    const r = await p.run(['migrate']);
    expect(r.exitCode, r.all).toBe(10);
    expect(r.stderr).toMatch(
      /job\/schemagate-migrate-[0-9a-f]{10} failed \(BackoffLimitExceeded\): all 2 attempts failed \(backoffLimit 1\)/,
    );
    expect(r.stderr).toMatch(/PostgreSQL did not accept connections within 1\.0s .*connection refused/);
    expect(r.stderr).not.toContain('not-a-password');
    const pods = await kube(ns).pods('schemagate.dev/job=migrate');
    expect(pods.map(exitCode)).toEqual([5, 5]);
  });

  it('a lock timeout exits 14 and is retried: the next attempt, once the lock is free, applies the migration', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url);
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    expect((await p.run(['migrate'])).exitCode).toBe(0);
    appendFileSync(join(p.dir, 'schemagate.yaml'), 'migrations:\n  lockTimeout: 200ms\n  lockRetries: 0\n');
    writeFileSync(join(p.dir, 'migrations/005_add_nickname.sql'), 'ALTER TABLE users ADD COLUMN nickname text;\n');

    // Another session holds users until the first attempt has failed.
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    const pods = await watchCollection<V1Pod>(ns, `/api/v1/namespaces/${ns.namespace}/pods`);
    try {
      await holder.query('BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
      const running = p.run(['migrate']);
      const failed = await pods.until(
        (_t, pod) => pod.metadata!.labels?.['schemagate.dev/job'] === 'migrate' && exitCode(pod) === 14,
        'an attempt of the migration Job that failed with exit code 14',
      );
      await holder.query('ROLLBACK');
      const r = await running;
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toMatch(/Migration job\/schemagate-migrate-[0-9a-f]{10} complete \(2 attempts/);
      expect(r.all).toMatch(
        /\[attempt 1\] error: migrations\/005_add_nickname\.sql:1:1: canceling statement due to lock timeout \(SQLSTATE 55P03\)/,
      );
      expect(r.all).toContain('[attempt 2] applied migrations/005_add_nickname.sql');
      expect(failed.metadata!.name).toMatch(/^schemagate-migrate-[0-9a-f]{10}-/);
      expect(await rows(url, `SELECT max(version::int) AS v FROM schemagate_migrations`)).toEqual([{ v: 5 }]);
    } finally {
      pods.stop();
      await holder.end();
    }
  });
});
