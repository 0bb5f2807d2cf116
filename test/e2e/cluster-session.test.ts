import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/util/net.js';
import { cli, project } from '../support/cli.js';
import { closeIfStarted, testCluster, type TestCluster } from '../support/cluster.js';
import { e2eProject } from '../support/e2e-project.js';
import { applyFile, freshNamespace, kube } from '../support/kube.js';
import { freshDatabase, rows } from '../support/pg.js';

/**
 * The cluster commands' contract with their surroundings: the variable the
 * database URL travels in, what `--json` reports, and what happens before a
 * cluster answers.
 */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await testCluster({ namespacePrefix: 'e2e-session' });
});
afterAll(() => closeIfStarted(cluster));

describe('database.urlEnv', () => {
  it('APP_DB_URL: the migration Job gets the URL in APP_DB_URL (and nothing in DATABASE_URL) and migrates', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url);
    appendFileSync(join(p.dir, 'schemagate.yaml'), 'database:\n  urlEnv: APP_DB_URL\n');
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    const r = await p.run(['migrate']);
    expect(r.exitCode, r.all).toBe(0);
    expect(await rows(url, `SELECT count(*)::int AS n FROM schemagate_migrations WHERE kind = 'migration'`)).toEqual([
      { n: 4 },
    ]);
    const [job] = await kube(ns).jobs('schemagate.dev/job=migrate');
    // The URL's variable, and the manifest of the files the pod checks.
    expect(job!.spec!.template.spec!.containers[0]!.env!.map((e) => e.name)).toEqual([
      'APP_DB_URL',
      'SCHEMAGATE_EXPECTED_FILES',
    ]);
  });
});

describe('schemagate up --json', () => {
  it('reports the context, the Jobs and the release latency, and nothing internal (completedAt)', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url);
    const r = await p.run(['up', '--json']);
    expect(r.exitCode, r.all).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(report).sort()).toEqual(
      [
        'backend',
        'context',
        'migrationJob',
        'migrationMs',
        'namespace',
        'releaseLatencyMs',
        'seconds',
        'seedJob',
        'summary',
      ].sort(),
    );
    expect(report).toMatchObject({ context: ns.context, namespace: ns.namespace });
    expect(report['releaseLatencyMs']).toEqual(expect.any(Number));
  });
});

describe('before a cluster answers', () => {
  it('without any kubeconfig: exit 3, which file was looked for, and that --local exists', async () => {
    const home = mkdtempSync(join(tmpdir(), 'schemagate-home-'));
    const dir = project({ 'migrations/001_t.sql': 'CREATE TABLE t (id int);' });
    const r = await cli(['up'], { cwd: dir, env: { KUBECONFIG: undefined, HOME: home } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain(
      `error: no cluster configured: KUBECONFIG is not set and ${join(home, '.kube', 'config')} does not exist`,
    );
    expect(r.stderr).toContain('add --local');
    expect(r.all).not.toContain('Cluster: context');
  });

  it('with an API server that does not answer: exit 10, and no "Cluster: context" line', async () => {
    const dir = project({ 'migrations/001_t.sql': 'CREATE TABLE t (id int);' });
    const config = join(dir, 'kubeconfig.json');
    writeFileSync(
      config,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'c', cluster: { server: `http://127.0.0.1:${await freePort()}`, 'insecure-skip-tls-verify': true } },
        ],
        users: [{ name: 'u', user: {} }],
        contexts: [{ name: 'kind-closed', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'kind-closed',
      }),
    );
    const r = await cli(['migrate'], { cwd: dir, env: { KUBECONFIG: config } });
    expect(r.exitCode).toBe(10);
    expect(r.stderr).toMatch(
      /could not reach the Kubernetes API of context "kind-closed" while trying to read the server version/,
    );
    expect(r.all).not.toContain('Cluster: context');
  });
});
