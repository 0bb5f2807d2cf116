import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.js';
import { closeIfStarted, schemagateImage, testCluster, type TestCluster } from '../support/cluster.js';
import { E2E_IMAGE } from '../support/e2e-project.js';
import { applyFile, kube } from '../support/kube.js';
import { freshDatabase, rows } from '../support/pg.js';
import { freePort } from '../support/net.js';
import { redisServerBinary } from '../support/redis.js';

// Tilt's `redis` resource (k8s/redis.yaml) runs on the double's local redis-server; outside CI, without one,
// the test that asks for it (dev-setup's check --cluster) is skipped.
const hasRedis = process.env['SCHEMAGATE_E2E_REAL'] === '1' || Boolean(redisServerBinary) || Boolean(process.env['CI']);

/**
 * Every command the Tiltfile's resources run, taken from the Tiltfile itself
 * (loaded through test/support/tilt_stub.py) and run as Tilt would run it — a
 * shell in the repository, KUBECONFIG set — against the Kubernetes API double,
 * or a real cluster (SCHEMAGATE_E2E_REAL=1): the repository's schemagate.yaml
 * with the test's own namespace (a real cluster may be using `schemagate`).
 */
interface Call {
  fn: string;
  kwargs: Record<string, unknown>;
}
const calls = (
  JSON.parse(
    execFileSync('python3', [join(repoRoot, 'test/support/tilt_stub.py'), join(repoRoot, 'Tiltfile')], {
      cwd: repoRoot,
      encoding: 'utf8',
    }),
  ) as { calls: Call[] }
).calls;
const resource = (name: string) => calls.find((c) => c.fn === 'local_resource' && c.kwargs['name'] === name)?.kwargs;
const cmdOf = (name: string) => {
  const cmd = resource(name)?.['cmd'];
  if (typeof cmd !== 'string') throw new Error(`the Tiltfile has no local_resource ${name} with a cmd`);
  return cmd;
};
/** The argv of the Cmd a UIButton starts (Tilt's v1alpha1.cmd with start_on.ui_buttons). */
const button = (name: string) =>
  calls.find(
    (c) =>
      c.fn === 'v1alpha1.cmd' &&
      (c.kwargs['start_on'] as { ui_buttons?: string[] } | undefined)?.ui_buttons?.includes(name),
  )?.kwargs['args'] as string[];

let cluster: TestCluster;
let url: string;
let workspace: string;
let run: (argv: string[], env?: Record<string, string>) => Promise<{ exitCode: number; all: string }>;

describe("the Tiltfile's resources, run as Tilt runs them", () => {
  beforeAll(async () => {
    cluster = await testCluster({ namespacePrefix: 'e2e-tilt', redisImages: ['redis:*'] });
    url = await freshDatabase();
    const inCluster = process.env['SCHEMAGATE_E2E_DB_URL_IN_CLUSTER'] ?? url;
    // The repository as Tilt sees it: the built CLI, the scripts, the project files, in the test's namespace
    // (a real cluster may be using `schemagate`); Secrets with the test database.
    workspace = mkdtempSync(join(tmpdir(), 'schemagate-tilt-'));
    chmodSync(workspace, 0o755);
    for (const link of ['dist', 'node_modules', 'scripts']) symlinkSync(join(repoRoot, link), join(workspace, link));
    for (const copy of ['migrations', 'seeds', 'Tiltfile'])
      cpSync(join(repoRoot, copy), join(workspace, copy), { recursive: true });
    const config = readFileSync(join(repoRoot, 'schemagate.yaml'), 'utf8');
    expect(config).toContain('\n  namespace: schemagate\n');
    writeFileSync(
      join(workspace, 'schemagate.yaml'),
      config.replace('\n  namespace: schemagate\n', `\n  namespace: ${cluster.namespace}\n`),
    );
    mkdirSync(join(workspace, 'k8s'));
    const secret = (name: string) =>
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\nstringData:\n  DATABASE_URL: "${inCluster}"\n`;
    writeFileSync(
      join(workspace, 'k8s/secrets.yaml'),
      `${secret('schemagate-migrator')}---\n${secret('schemagate-app')}`,
    );
    cpSync(join(repoRoot, 'k8s/backend.yaml'), join(workspace, 'k8s/backend.yaml'));
    cpSync(join(repoRoot, 'k8s/redis.yaml'), join(workspace, 'k8s/redis.yaml'));
    await applyFile(cluster, join(workspace, 'k8s/secrets.yaml'));
    // What Tilt's `redis` resource applies (schemagate.yaml lists redis://redis:6379 as the backend's dependency).
    if (hasRedis) await applyFile(cluster, join(workspace, 'k8s/redis.yaml'));
    // What schemagate-image records once Tilt built and loaded the image. On the double, a snapshot of the
    // checkout as it is now, which later saves do not change; on a real cluster, SCHEMAGATE_E2E_IMAGE.
    const image = cluster.double ? 'schemagate:tilt-e2e' : E2E_IMAGE;
    cluster.double?.buildImage(image, workspace, { config: schemagateImage() });
    mkdirSync(join(workspace, '.schemagate'));
    writeFileSync(join(workspace, '.schemagate/tilt-image'), `${image}\n`);
    run = async (argv, env = {}) => {
      const r = await execa(argv[0]!, argv.slice(1), {
        cwd: workspace,
        env: { KUBECONFIG: cluster.kubeconfigPath, CI: '1', NO_COLOR: '1', ...env },
        reject: false,
        all: true,
        timeout: 120_000,
      });
      return { exitCode: r.exitCode ?? -1, all: r.all };
    };
  });
  afterAll(() => closeIfStarted(cluster));

  it('db-migrate runs the migration Job with the image Tilt built, and its pod logs show in the output', async () => {
    const r = await run(['bash', '-c', cmdOf('db-migrate')]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/\[attempt 1\] applied migrations\/004_add_user_email\.sql/);
    const [job] = await kube(cluster).jobs('schemagate.dev/job=migrate');
    expect(job!.spec!.template.spec!.containers[0]!.image).toBe(cluster.double ? 'schemagate:tilt-e2e' : E2E_IMAGE);
    expect(await rows(url, `SELECT count(*)::int AS n FROM schemagate_migrations WHERE kind = 'migration'`)).toEqual([
      { n: 4 },
    ]);
  });

  it('the button "Re-run the migration Job" runs it again', async () => {
    const r = await run(button('db-migrate-rerun'));
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/up to date at version 4/);
  });

  it("db-status shows the Jobs and the database's migrations", async () => {
    const r = await run(['bash', '-c', cmdOf('db-status')]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/migrate +job\/schemagate-migrate-[0-9a-f]{10} +complete/);
    expect(r.all).toMatch(/4 applied, 0 pending/);
  });

  it('db-seed seeds the database through the seed Job', async () => {
    const r = await run(['bash', '-c', cmdOf('db-seed')]);
    expect(r.exitCode, r.all).toBe(0);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM users')).toEqual([{ n: 3 }]);
  });

  it.skipIf(!hasRedis)('dev-setup runs the setup verification, which passes', async () => {
    const stubs = mkdtempSync(join(tmpdir(), 'schemagate-tools-'));
    for (const t of ['docker', 'kind', 'kubectl', 'tilt']) {
      writeFileSync(join(stubs, t), `#!/bin/sh\necho "${t} stand-in"\n`);
      chmodSync(join(stubs, t), 0o755);
    }
    const r = await run(['bash', '-c', cmdOf('dev-setup')], {
      PATH: [stubs, dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
      HOME: workspace,
    });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/^ok {4}database: postgres answers; 4 applied, 0 pending$/m);
    expect(r.all).toMatch(/^ok {4}dependencies \(from the cluster\): redis:\/\/redis:6379: PONG$/m);
  });

  it("health-check calls the backend's /health (Tilt forwards :8080; here the backend runs on a free port)", async () => {
    const cmd = cmdOf('health-check');
    expect(cmd).toContain('http://localhost:8080/health');
    const port = await freePort();
    const backend = execa(process.execPath, [join(repoRoot, 'dist/src/cli.js'), 'backend'], {
      cwd: workspace,
      env: { PORT: String(port), DATABASE_URL: url },
      reject: false,
    });
    try {
      for (let i = 0; i < 100; i++) {
        const up = await fetch(`http://127.0.0.1:${port}/health`).then(
          () => true,
          () => false,
        );
        if (up) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const r = await run(['bash', '-c', cmd.replace('localhost:8080', `localhost:${port}`)]);
      expect(r.exitCode, r.all).toBe(0);
      expect(JSON.parse(r.all)).toMatchObject({ status: 'ok' });
    } finally {
      backend.kill('SIGTERM');
      await backend;
    }
  });

  it('db-reset drops the data through a Job and migrates again, on this local context', async () => {
    const r = await run(['bash', '-c', cmdOf('db-reset')]);
    expect(r.exitCode, r.all).toBe(0);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM users')).toEqual([{ n: 0 }]);
    expect(await rows(url, `SELECT count(*)::int AS n FROM schemagate_migrations WHERE kind = 'migration'`)).toEqual([
      { n: 4 },
    ]);
  });

  it("db-migrate applies a migration saved just now, with no image change (source: configMap), after lint's findings on it", async () => {
    writeFileSync(
      join(workspace, 'migrations/005_users_by_name.sql'),
      'CREATE INDEX users_username_idx ON users (username);\n',
    );
    // The image record is untouched: the image Tilt built before the save, without 005.
    const r = await run(['bash', '-c', cmdOf('db-migrate')]);
    expect(r.exitCode, r.all).toBe(0);
    const finding = r.all.indexOf(
      'migrations/005_users_by_name.sql:1:1: error require-concurrent-index-creation: During normal index creation, table updates are blocked, but reads are still allowed.',
    );
    const applied = r.all.indexOf('applied migrations/005_users_by_name.sql');
    expect(finding, r.all).toBeGreaterThanOrEqual(0);
    expect(applied, r.all).toBeGreaterThan(finding);
    expect(r.all).toMatch(/^lint: 1 migration after version 4 \(lint\.since\);/m);
    expect(r.all).not.toContain('waiting for Tilt');
    expect(await rows(url, `SELECT count(*)::int AS n FROM schemagate_migrations WHERE kind = 'migration'`)).toEqual([
      { n: 5 },
    ]);
  });

  it('db-migrate still runs the migration when lint cannot run (no squawk binary), saying so', async () => {
    const r = await run(['bash', '-c', cmdOf('db-migrate')], { SCHEMAGATE_SQUAWK: '/nonexistent/squawk' });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('error: cannot run squawk /nonexistent/squawk (from SCHEMAGATE_SQUAWK): no such file');
    expect(r.all).toContain('schemagate lint could not run (above); running the migration anyway');
    expect(r.all).toMatch(/Migration job\/schemagate-migrate-[0-9a-f]+ (already )?complete/);
  });
});
