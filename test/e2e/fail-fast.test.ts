import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.js';
import { closeIfStarted, testCluster, type TestCluster } from '../support/cluster.js';
import { e2eProject } from '../support/e2e-project.js';
import { applyFile, freshNamespace, kube } from '../support/kube.js';
import { freshDatabase, tables } from '../support/pg.js';

/**
 * What never heals, reported with the cluster's own reason well before any
 * deadline (the e2e projects' `timeout: 60s`: a timed-out wait would say so
 * instead), and what a real cluster does differently from a naive reading:
 * a sidecar listed first, a native sidecar, the Job's own DeadlineExceeded.
 * - scheduling: https://kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/
 * - Pod Security admission: https://kubernetes.io/docs/concepts/security/pod-security-admission/
 * - ResourceQuota: https://kubernetes.io/docs/concepts/policy/resource-quotas/#requests-vs-limits
 * - sidecars: https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/
 * - activeDeadlineSeconds: https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup
 */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await testCluster({ namespacePrefix: 'e2e-fail-fast' });
});
afterAll(() => closeIfStarted(cluster));

const migrateTemplate = readFileSync(join(repoRoot, 'k8s/jobs/migrate.yaml'), 'utf8');

/** The built-in migration Job template with these containers' YAML before and after `migrate`. */
function withContainers(before: string, initContainers = ''): string {
  return migrateTemplate.replace(
    '      containers:\n',
    `${initContainers ? `      initContainers:\n${initContainers}` : ''}      containers:\n${before}`,
  );
}

// An image with a shell: a local process on the double, BusyBox on a real cluster.
const SHELL_IMAGE = 'busybox:1.36';

async function label(ns: TestCluster, labels: Record<string, string>): Promise<void> {
  await kube(ns).core.patchNamespace(
    { name: ns.namespace, body: { metadata: { labels } } },
    (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', 'application/merge-patch+json'),
  );
}

async function quota(ns: TestCluster): Promise<void> {
  await kube(ns).core.createNamespacedResourceQuota({
    namespace: ns.namespace,
    body: { metadata: { name: 'cpu' }, spec: { hard: { 'limits.cpu': '8' } } },
  });
}

describe('a migration Job that can never run', () => {
  it("fails once its pod stayed unschedulable for kubernetes.schedulingTimeout, with the scheduler's message", async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url, {
      kubernetes: '  schedulingTimeout: 1s\n  migration:\n    resources:\n      requests:\n        cpu: "1000"',
    });
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    const r = await p.run(['migrate']);
    expect(r.exitCode, r.all).toBe(10);
    expect(r.stderr).toMatch(/pod schemagate-migrate-[0-9a-f]{10}-\w+ is unschedulable: 0\/\d+ nodes are available/);
    expect(r.stderr).toMatch(
      /job\/schemagate-migrate-[0-9a-f]{10}: pod schemagate-migrate-[0-9a-f]{10}-\w+ could not be scheduled for [1-9]\d*s: 0\/\d+ nodes are available: .*Insufficient cpu/,
    );
    expect(r.stderr).toContain('No node has room for the pod. Lower its requests (kubernetes.migration.resources');
    expect(await tables(url)).toEqual([]);
  });

  it("fails at once when Pod Security admission refuses its pod, with the policy's message", async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    await label(ns, { 'pod-security.kubernetes.io/enforce': 'restricted' });
    // The built-in template is restricted; this one lost its security contexts.
    const open = migrateTemplate
      .replace(/ {6}securityContext:\n( {8}.*\n)+/, '')
      .replace(/ {10}securityContext:\n( {12}.*\n)+/, '');
    const p = e2eProject(ns, url, { manifests: { 'jobs/migrate.yaml': open } });
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    const r = await p.run(['migrate']);
    expect(r.exitCode, r.all).toBe(10);
    expect(r.stderr).toMatch(
      /job\/schemagate-migrate-[0-9a-f]{10} cannot create its pod: Error creating: pods "schemagate-migrate-[0-9a-f]{10}-[\w-]*" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false/,
    );
    expect(r.stderr).toContain(
      `The namespace ${ns.namespace} enforces the Pod Security Standard "restricted:latest" (its label pod-security.kubernetes.io/enforce).`,
    );
  });

  it('fails at once when a ResourceQuota refuses its pod, saying which resources to set', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    await quota(ns);
    const p = e2eProject(ns, url);
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    const r = await p.run(['migrate']);
    expect(r.exitCode, r.all).toBe(10);
    expect(r.stderr).toMatch(
      /job\/schemagate-migrate-[0-9a-f]{10} cannot create its pod: Error creating: pods "[\w-]+" is forbidden: failed quota: cpu: must specify limits\.cpu/,
    );
    expect(r.stderr).toContain(
      `A ResourceQuota in namespace ${ns.namespace} refused the pod: set the requests and limits`,
    );
  });
});

describe('a backend that can never roll out', () => {
  it('fails `up` at once on ReplicaFailure when a ResourceQuota refuses its pods, after the migration ran', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    await quota(ns);
    const p = e2eProject(ns, url, {
      kubernetes: '  backend:\n    replicas: 1\n  migration:\n    resources:\n      limits:\n        cpu: 500m',
    });
    const r = await p.run(['up']);
    expect(r.exitCode, r.all).toBe(10);
    expect(r.stderr).toMatch(/Migration job\/schemagate-migrate-[0-9a-f]{10} complete/);
    expect(r.stderr).toMatch(
      /deployment\/backend cannot create its pods: .*failed quota: cpu: must specify limits\.cpu/,
    );
    expect(r.stderr).toContain(
      'set the requests and limits it asks for (resources of the containers in k8s/backend.yaml)',
    );
  });
});

describe("the Job's own verdicts come first", () => {
  it('reports DeadlineExceeded with the default --timeout, which outlasts activeDeadlineSeconds and the grace period', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    // 100 s of Kubernetes time is 1 s on the double; the CLI's own deadline is not scaled: 100 s + 30 s + 1 min.
    const p = e2eProject(ns, url, {
      noTimeout: true,
      kubernetes: '  migration:\n    activeDeadlineSeconds: 100',
      migrations: { '005_slow.sql': 'SELECT pg_sleep(30);' },
    });
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    const r = await p.run(['migrate']);
    expect(r.exitCode, r.all).toBe(10);
    expect(r.stderr).toMatch(
      /waiting for job\/schemagate-migrate-[0-9a-f]{10} up to 3m 10s: its activeDeadlineSeconds/,
    );
    expect(r.stderr).toMatch(
      /job\/schemagate-migrate-[0-9a-f]{10} failed \(DeadlineExceeded\): it ran longer than activeDeadlineSeconds \(100s\)/,
    );
    expect(r.stderr).not.toMatch(/timed out after/);
  });
});

describe('containers found by name', () => {
  it("streams the migration container's log when a sidecar (cloud-sql-proxy-like) is listed first", async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const proxy = `        - name: cloud-sql-proxy
          image: ${SHELL_IMAGE}
          command: ["sh", "-c", "echo 'proxy: listening on 127.0.0.1:5432'; sleep 1; echo 'proxy: shutting down'"]
`;
    const p = e2eProject(ns, url, { manifests: { 'jobs/migrate.yaml': withContainers(proxy) } });
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    const r = await p.run(['migrate']);
    expect(r.exitCode, r.all).toBe(0);
    const logged = r.stderr.split('\n').filter((l) => l.includes('[attempt 1]'));
    expect(logged.join('\n')).toMatch(/001_create_users/);
    expect(logged.join('\n')).not.toMatch(/proxy:/);
    const [pod] = await kube(ns).pods('schemagate.dev/job=migrate');
    expect(pod?.status?.containerStatuses?.map((s) => s.name)).toEqual(['cloud-sql-proxy', 'migrate']);
  });

  it("streams the migration container's log beside a native sidecar, and the Job completes", async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const native = `        - name: cloud-sql-proxy
          image: ${SHELL_IMAGE}
          restartPolicy: Always
          command: ["sh", "-c", "echo 'proxy: listening'; while true; do sleep 1; done"]
`;
    const p = e2eProject(ns, url, { manifests: { 'jobs/migrate.yaml': withContainers('', native) } });
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    const r = await p.run(['migrate']);
    expect(r.exitCode, r.all).toBe(0);
    const logged = r.stderr.split('\n').filter((l) => l.includes('[attempt 1]'));
    expect(logged.join('\n')).toMatch(/001_create_users/);
    expect(logged.join('\n')).not.toMatch(/proxy:/);
    expect(await tables(url)).toContain('users');
  });
});
