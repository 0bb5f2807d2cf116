/**
 * The dev loop's latency, on the Kubernetes API double: from saving a new
 * migration to its migration Job's Complete condition, through the
 * Tiltfile's own `db-migrate` command (the Tiltfile loaded by
 * test/support/tilt_stub.py, its command run as Tilt runs it: `sh -c` in the
 * checkout, KUBECONFIG set). With `kubernetes.migration.source: configMap`
 * it runs as soon as the file is saved: no image build, the image Tilt built
 * before the save (a snapshot without the new file) is the one the Job runs.
 *
 *   npm run build && node dist/bench/tilt-migrate.js [--runs 7]
 *
 * Each run saves one more migration (`CREATE TABLE`), starts db-migrate, and
 * polls the double's store (in process) for the Job of that content to be
 * Complete. The baseline, measured in the same run: `schemagate db migrate`
 * of one more such migration straight against the database (no cluster, no
 * lint): what the CLI costs anyway. Not included: Tilt's own file-watch
 * debounce, and on a real cluster the kubelet's container start.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startKubeDouble, type KubeDouble } from '../test/support/kube-double/index.js';
import { embeddedServer } from './server.js';
import { markdownTable, median, ratio, summarize } from './stats.js';
import { ChildFailed, timed } from './timed.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(repo, 'dist', 'src', 'cli.js');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 7) || 7;
const NAMESPACE = 'bench-tilt';

/** The repository as Tilt sees it, in its own namespace, with Secrets pointing at the bench database. */
function checkout(url: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'schemagate-bench-tilt-'));
  for (const link of [
    'dist',
    'node_modules',
    'src',
    'tsconfig.json',
    'package.json',
    'package-lock.json',
    'Dockerfile.dev',
  ])
    symlinkSync(join(repo, link), join(dir, link));
  for (const copy of ['migrations', 'seeds', 'Tiltfile'])
    cpSync(join(repo, copy), join(dir, copy), { recursive: true });
  const config = readFileSync(join(repo, 'schemagate.yaml'), 'utf8');
  writeFileSync(
    join(dir, 'schemagate.yaml'),
    config.replace('\n  namespace: schemagate\n', `\n  namespace: ${NAMESPACE}\n`),
  );
  mkdirSync(join(dir, 'k8s'));
  const secret = (name: string) =>
    `apiVersion: v1\nkind: Secret\nmetadata: { name: ${name}, namespace: ${NAMESPACE} }\nstringData: { DATABASE_URL: "${url}" }\n`;
  writeFileSync(join(dir, 'k8s/secrets.yaml'), `${secret('schemagate-migrator')}---\n${secret('schemagate-app')}`);
  cpSync(join(repo, 'k8s/backend.yaml'), join(dir, 'k8s/backend.yaml'));
  return dir;
}

/** The db-migrate command, from the Tiltfile as the stand-in for Tilt loads it. */
function dbMigrateCommand(dir: string): string {
  const out = execFileSync('python3', [join(repo, 'test/support/tilt_stub.py'), join(dir, 'Tiltfile')], {
    cwd: dir,
    encoding: 'utf8',
  });
  const calls = (JSON.parse(out) as { calls: { fn: string; kwargs: Record<string, unknown> }[] }).calls;
  const cmd = calls.find((c) => c.fn === 'local_resource' && c.kwargs['name'] === 'db-migrate')?.kwargs['cmd'];
  if (typeof cmd !== 'string') throw new Error('bench: the Tiltfile has no db-migrate command');
  return cmd;
}

async function apply(double: KubeDouble, path: string, body: object): Promise<void> {
  const r = await fetch(`${double.server}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (r.status !== 201) throw new Error(`bench: POST ${path}: HTTP ${r.status} ${await r.text()}`);
}

/** Epoch ms at which a Job with `files` migrations is first seen Complete (polled in process every 2 ms). */
async function completeAt(double: KubeDouble, files: number, deadline: number): Promise<number> {
  for (;;) {
    const job = double
      .list('jobs', NAMESPACE)
      .find((j) => (j.metadata.annotations ?? {})['schemagate.dev/file-count'] === String(files));
    const conditions = job?.status?.conditions ?? [];
    if (conditions.some((c) => c.type === 'Complete' && c.status === 'True'))
      return performance.timeOrigin + performance.now();
    if (Date.now() > deadline) throw new Error(`bench: no Complete migration Job of ${files} files in time`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function main(): Promise<void> {
  const server = await embeddedServer(() => undefined);
  const double = await startKubeDouble({});
  const rows: { save: number; floor: number }[] = [];
  try {
    await server.createDatabase('bench_tilt');
    const url = server.urlFor('bench_tilt');
    await server.createDatabase('bench_tilt_floor');
    const floorUrl = server.urlFor('bench_tilt_floor');
    const dir = checkout(url);
    const floorDir = mkdtempSync(join(tmpdir(), 'schemagate-bench-floor-'));
    cpSync(join(repo, 'migrations'), join(floorDir, 'migrations'), { recursive: true });
    await apply(double, '/api/v1/namespaces', { metadata: { name: NAMESPACE } });
    for (const doc of readFileSync(join(dir, 'k8s/secrets.yaml'), 'utf8').split('---\n')) {
      const name = /name: ([\w-]+)/.exec(doc)?.[1] ?? '';
      await apply(double, `/api/v1/namespaces/${NAMESPACE}/secrets`, {
        metadata: { name },
        stringData: { DATABASE_URL: url },
      });
    }
    // The image Tilt built and recorded before any of the saves below.
    const image = 'schemagate:tilt-bench';
    double.buildImage(image, dir, { config: { entrypoint: [process.execPath, cli] } });
    mkdirSync(join(dir, '.schemagate'));
    writeFileSync(join(dir, '.schemagate/tilt-image'), `${image}\n`);
    const cmd = dbMigrateCommand(dir);
    const env = { ...process.env, KUBECONFIG: double.kubeconfigPath, CI: '1', NO_COLOR: '1' };
    const first = await timed('db-migrate (first)', 'sh', ['-c', cmd], { cwd: dir, env, timeoutMs: 120_000 });
    if (first.code !== 0) throw new ChildFailed('db-migrate (first)', first);
    await timed('db migrate (floor, first)', process.execPath, [cli, 'db', 'migrate', '--database-url', floorUrl], {
      cwd: floorDir,
      env,
      timeoutMs: 60_000,
    });

    for (let i = 0; i < runs; i++) {
      const version = 100 + i;
      const sql = `CREATE TABLE bench_${version} (id bigint PRIMARY KEY, name text NOT NULL);\n`;
      // Saved: from here Tilt would start db-migrate (after its file-watch debounce, not counted).
      const savedAt = performance.timeOrigin + performance.now();
      writeFileSync(join(dir, `migrations/${version}_bench.sql`), sql);
      const files = 4 + i + 1;
      const done = completeAt(double, files, Date.now() + 60_000);
      const r = await timed(`db-migrate #${i + 1}`, 'sh', ['-c', cmd], { cwd: dir, env, timeoutMs: 120_000 });
      if (r.code !== 0) throw new ChildFailed(`db-migrate #${i + 1}`, r);
      const save = (await done) - savedAt;
      writeFileSync(join(floorDir, `migrations/${version}_bench.sql`), sql);
      const f = await timed(
        `db migrate (floor) #${i + 1}`,
        process.execPath,
        [cli, 'db', 'migrate', '--database-url', floorUrl],
        {
          cwd: floorDir,
          env,
          timeoutMs: 60_000,
        },
      );
      if (f.code !== 0) throw new ChildFailed(`db migrate (floor) #${i + 1}`, f);
      rows.push({ save, floor: f.ms });
      process.stderr.write(`run ${i + 1}: save -> Complete ${Math.round(save)} ms, floor ${Math.round(f.ms)} ms\n`);
    }
  } finally {
    await double.close();
    await server.stop();
  }
  const ms = (n: number) => `${Math.round(n)} ms`;
  const fmt = (s: { median: number; min: number; max: number }) => [ms(s.median), `${ms(s.min)} – ${ms(s.max)}`];
  process.stdout.write(
    markdownTable(
      ['measure', 'median', 'min – max'],
      [
        [
          'saved → migration Job Complete (Tiltfile db-migrate, source: configMap)',
          ...fmt(summarize(rows.map((r) => r.save))),
        ],
        ['floor: `schemagate db migrate` of the same file, no cluster', ...fmt(summarize(rows.map((r) => r.floor)))],
        ['ratio (per run, median)', ratio(median(rows.map((r) => r.save / r.floor))), ''],
      ],
    ) + `\n${runs} runs, one new migration each, time scale 1, node ${process.version}\n`,
  );
}

await main();
