/**
 * Orchestration benchmark, on the Kubernetes API double: how long `schemagate
 * up` spends beyond the migration SQL itself, and how soon after the
 * migration Job's Complete condition the backend is released (watching, not
 * polling, should make that a few milliseconds).
 *
 *   npm run build && node dist/bench/orchestration.js [--runs 5]
 *
 * Each run: a fresh database and namespace, `schemagate up --json` as a whole
 * process; the CLI reports `releaseLatencyMs` (from the watch event carrying
 * Complete to the release request's answer) and the total time; the
 * migration SQL time is the sum of execution_time_ms in the history table.
 */
import { join } from 'node:path';
import pg from 'pg';
import { startKubeDouble } from '../test/support/kube-double/index.js';
import { embeddedServer } from './server.js';
import { markdownTable, summarize } from './stats.js';
import { timed } from './timed.js';
import { repo, upProject } from './up-project.js';

const cli = join(repo, 'dist', 'src', 'cli.js');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 5) || 5;

const project = (namespace: string, url: string, image: string): string =>
  upProject({ namespace, url, image, prefix: 'schemagate-bench-up-', initContainers: ['verify-schema'] });

async function main(): Promise<void> {
  const server = await embeddedServer(() => undefined);
  const double = await startKubeDouble({ timeScale: 0.01 });
  const rows: { total: number; sql: number; release: number; job: number }[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const db = `bench_up_${i}`;
      await server.createDatabase(db);
      const url = server.urlFor(db);
      const ns = `bench-${i}`;
      const image = `schemagate:bench-${i}`;
      const dir = project(ns, url, image);
      double.setImageConfig(image, { entrypoint: [process.execPath, cli], workingDir: dir });
      const r = await timed(`up #${i + 1}`, process.execPath, [cli, 'up', '--json'], {
        cwd: dir,
        env: { ...process.env, KUBECONFIG: double.kubeconfigPath, CI: '1' },
        timeoutMs: 120_000,
      });
      const report = JSON.parse(r.output.slice(r.output.indexOf('{'))) as {
        releaseLatencyMs?: number;
        migrationMs?: number;
      };
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const sum = await c.query<{ ms: string }>(`SELECT sum(execution_time_ms) AS ms FROM schemagate_migrations`);
      const sql = Number(sum.rows[0]?.ms);
      await c.end();
      rows.push({ total: r.ms, sql, release: report.releaseLatencyMs ?? NaN, job: report.migrationMs ?? NaN });
      await server.dropDatabase(db);
    }
  } finally {
    await double.close();
    await server.stop();
  }
  const t = summarize(rows.map((x) => x.total));
  const overhead = summarize(rows.map((x) => x.total - x.sql));
  const release = summarize(rows.map((x) => x.release));
  const job = summarize(rows.map((x) => x.job));
  const ms = (n: number) => `${Math.round(n)} ms`;
  const fmt = (s: { median: number; min: number; max: number }) => [ms(s.median), `${ms(s.min)} – ${ms(s.max)}`];
  process.stdout.write(
    markdownTable(
      ['measure', 'median', 'min – max'],
      [
        ['whole `up` (process start to exit)', ...fmt(t)],
        ['`up` minus the migration SQL', ...fmt(overhead)],
        ['migration Job (created to Complete seen)', ...fmt(job)],
        ['Complete seen → backend release answered', ...fmt(release)],
      ],
    ) + `\n${runs} runs, sample app (4 migrations), time scale 0.01, node ${process.version}\n`,
  );
}

await main();
