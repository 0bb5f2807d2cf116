import { execa } from 'execa';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, repoRoot } from '../support/cli.js';
import { redisServerBinary } from '../support/redis.js';
import { stopChild } from '../support/stop-child.js';

/**
 * The quick start on the double, as a user runs it on a fresh clone:
 * `npm run cluster:double`, then `schemagate up` and `schemagate seed` with
 * the repository's own k8s/ and schemagate.yaml, untouched: postgres runs
 * from k8s/postgres.yaml (StatefulSet, init script, Service name), the Jobs
 * migrate and seed it, the backend is released and answers /health. Then
 * SIGTERM to npm stops the double, its containers and its temporary folder.
 * Redis (k8s/redis.yaml) runs too, and the backend reports it on /health.
 * Only on the double (it is about `npm run cluster:double`).
 */
// The repository's schemagate.yaml waits for its Redis, which the double runs on the local redis-server:
// without one this is skipped (except in CI, where .ci/run installs it).
const onDouble =
  process.env['SCHEMAGATE_E2E_REAL'] !== '1' && (Boolean(redisServerBinary) || Boolean(process.env['CI']));
let clone: string;
/** `npm run cluster:double` in the clone. */
const startDouble = (cwd: string) =>
  execa('npm', ['run', '--silent', 'cluster:double', '--', '--time-scale', '0.05'], {
    cwd,
    reject: false,
    env: { CI: '1' },
  });
let double: ReturnType<typeof startDouble> | undefined;
let kubeconfig = '';
let server = '';

async function api<T>(path: string): Promise<T> {
  return (await (await fetch(`${server}${path}`)).json()) as T;
}

async function podIp(selector: string): Promise<string> {
  const list = await api<{ items: { status: { podIP: string } }[] }>(
    `/api/v1/namespaces/schemagate/pods?labelSelector=${encodeURIComponent(selector)}`,
  );
  return list.items[0]!.status.podIP;
}

beforeAll(async () => {
  if (!onDouble) return;
  // A fresh clone: the tracked files, with this checkout's install and build.
  clone = mkdtempSync(join(tmpdir(), 'schemagate-clone-'));
  const files = (await execa('git', ['ls-files'], { cwd: repoRoot })).stdout.split('\n').filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(repoRoot, f))) continue;
    mkdirSync(dirname(join(clone, f)), { recursive: true });
    cpSync(join(repoRoot, f), join(clone, f));
  }
  symlinkSync(join(repoRoot, 'node_modules'), join(clone, 'node_modules'));
  symlinkSync(join(repoRoot, 'dist'), join(clone, 'dist'));
  const started = startDouble(clone);
  double = started;
  kubeconfig = await new Promise<string>((resolve, reject) => {
    let out = '';
    started.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^KUBECONFIG=(.+)$/m.exec(out);
      if (m) resolve(m[1]!);
    });
    void started.then((r) => reject(new Error(`cluster:double exited: ${r.stderr}`)));
  });
  const { readFileSync } = await import('node:fs');
  server = (JSON.parse(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] })
    .clusters[0]!.cluster.server;
});

afterAll(async () => {
  if (double) await stopChild(double);
  if (clone) rmSync(clone, { recursive: true, force: true });
});

describe.runIf(onDouble)('npm run cluster:double, then schemagate up on a fresh clone', () => {
  it("migrates and releases with the repository's own k8s/ and schemagate.yaml; seed seeds; /health answers 200 through the pod", async () => {
    const env = { KUBECONFIG: kubeconfig };
    const up = await cli(['up'], { cwd: clone, env, timeout: 180_000 });
    expect(up.exitCode, up.all).toBe(0);
    expect(up.stdout).toMatch(/Migration job\/schemagate-migrate-[0-9a-f]{10} complete \(1 attempt/);
    expect(up.stdout).toMatch(/Backend deployment\/backend available \(1 replica/);
    const seed = await cli(['seed'], { cwd: clone, env, timeout: 120_000 });
    expect(seed.exitCode, seed.all).toBe(0);

    // The database the StatefulSet runs, as its superuser (k8s/secrets.yaml's development values).
    const db = new pg.Client({
      host: await podIp('app.kubernetes.io/name=postgres'),
      port: 5432,
      user: 'postgres',
      password: 'dev-only-superuser-password',
      database: 'app',
    });
    await db.connect();
    try {
      const applied = await db.query(
        `SELECT kind, count(*)::int AS n FROM schemagate_migrations GROUP BY kind ORDER BY kind`,
      );
      expect(applied.rows).toEqual([
        { kind: 'migration', n: 4 },
        { kind: 'seed', n: expect.any(Number) as unknown },
      ]);
      expect((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users`)).rows[0]!.n).toBeGreaterThan(0);
      expect(
        (await db.query<{ tableowner: string }>(`SELECT tableowner FROM pg_tables WHERE tablename = 'users'`)).rows[0]!
          .tableowner,
      ).toBe('schemagate_migrator');
    } finally {
      await db.end();
    }

    const health = await fetch(`http://${await podIp('app.kubernetes.io/name=backend')}:8080/health`);
    expect(health.status).toBe(200);
    // The sample's Redis (k8s/redis.yaml, a dependency in schemagate.yaml): the backend waited for it, and reports it.
    expect(await health.json()).toMatchObject({
      status: 'ok',
      version: '4',
      problems: [],
      dependencies: [{ target: 'redis://redis:6379', kind: 'redis', ok: true, answer: 'PONG' }],
    });
  }, 240_000);

  it('SIGTERM to npm stops the double: no container process left, its temporary folder gone', async () => {
    const root = dirname(kubeconfig);
    const before = await execa('pgrep', ['-f', root], { reject: false });
    expect(before.stdout, 'the double runs containers (postgres, the backend)').not.toBe('');
    double!.kill('SIGTERM');
    const r = await double!;
    // npm passes SIGTERM on to the double (the script execs node); npm itself ends with the double's 0 or by the signal.
    expect(r.exitCode === 0 || r.signal === 'SIGTERM', `exit ${r.exitCode} ${r.signal}: ${r.stderr}`).toBe(true);
    // The double finishes its clean-up (postgres' shutdown) on its own.
    const deadline = Date.now() + 30_000;
    let left = '';
    for (;;) {
      left = (await execa('pgrep', ['-f', root], { reject: false })).stdout;
      if ((left === '' && !existsSync(root)) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(left, 'processes of the double still running').toBe('');
    expect(existsSync(root), `${root} still there`).toBe(false);
  }, 60_000);
});
