/**
 * What the backend's dependencies cost `schemagate up`, on the Kubernetes API
 * double (time scale 0.01): the same sample project with and without
 * `backend.dependencies: [redis://redis:6379]` (so with k8s/redis.yaml
 * applied and the init container `wait-for-dependencies` before the backend's
 * `db verify`), alternately in one run, each run a fresh database and
 * namespace. Redis runs on the local redis-server; it is up before the
 * backend's pod starts in most runs, so this is the cost of the extra
 * objects, pod and init container, not of waiting for a slow server.
 *
 *   npm run build && node dist/bench/dependencies.js [--runs 5]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKubeDouble } from '../test/support/kube-double/index.js';
import { embeddedServer } from './server.js';
import { markdownTable, ratio, summarize } from './stats.js';
import { repo, upProject } from './up-project.js';
import { timed } from './timed.js';

const cli = join(repo, 'dist', 'src', 'cli.js');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 5) || 5;

const project = (namespace: string, url: string, image: string, withRedis: boolean): string =>
  upProject({
    namespace,
    url,
    image,
    prefix: 'schemagate-bench-deps-',
    initContainers: ['wait-for-db', 'verify-schema'],
    ...(withRedis
      ? {
          manifests: { 'redis.yaml': readFileSync(join(repo, 'k8s/redis.yaml'), 'utf8') },
          extraConfig: 'backend:\n  dependencies: [redis://redis:6379]\n',
        }
      : {}),
  });

async function main(): Promise<void> {
  const server = await embeddedServer(() => undefined);
  const double = await startKubeDouble({ timeScale: 0.01, redisImages: ['redis:*'] });
  const times: Record<'without' | 'with', number[]> = { without: [], with: [] };
  try {
    for (let i = 0; i < runs * 2; i++) {
      // Alternately, so the machine's load falls on both alike.
      const variant = i % 2 === 0 ? 'without' : 'with';
      const db = `bench_deps_${i}`;
      await server.createDatabase(db);
      const ns = `bench-deps-${i}`;
      const image = `schemagate:bench-deps-${i}`;
      const dir = project(ns, server.urlFor(db), image, variant === 'with');
      double.setImageConfig(image, { entrypoint: [process.execPath, cli], workingDir: dir });
      const r = await timed(`up #${i + 1} (${variant})`, process.execPath, [cli, 'up', '--json'], {
        cwd: dir,
        env: { ...process.env, KUBECONFIG: double.kubeconfigPath, CI: '1' },
        timeoutMs: 120_000,
      });
      times[variant].push(r.ms);
      await server.dropDatabase(db);
    }
  } finally {
    await double.close();
    await server.stop();
  }
  const base = summarize(times.without);
  const deps = summarize(times.with);
  const ms = (n: number) => `${Math.round(n)} ms`;
  process.stdout.write(
    markdownTable(
      ['whole `up`', 'median', 'min – max', 'x without'],
      [
        ['without dependencies', ms(base.median), `${ms(base.min)} – ${ms(base.max)}`, ratio(1)],
        [
          'with redis://redis:6379',
          ms(deps.median),
          `${ms(deps.min)} – ${ms(deps.max)}`,
          ratio(deps.median / base.median),
        ],
      ],
    ) + `\n${runs} runs each, alternately; time scale 0.01; node ${process.version}\n`,
  );
}

await main();
