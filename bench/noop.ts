import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { childrenCpuMs } from './cpu.js';
import { generateMigrations, writeDrizzleDir, writeSchemagateDir } from './generate.js';
import { embeddedServer, externalServer } from './server.js';
import { markdownTable, median } from './stats.js';
import { timed } from './timed.js';

/**
 * The no-op run, on its own: N migrations applied once by schemagate and once
 * by drizzle-orm's migrator (each to its own database), then, round after
 * round in a rotating order, `node -e 0`, every schemagate build given with
 * --cli, and drizzle's migrator, each a whole process with nothing to apply.
 * Reported: medians of wall time and of the child's CPU time (from /proc; on
 * a shared machine CPU time moves much less with other people's load), and
 * the median of the per-round ratios to drizzle and to `node -e 0`.
 *
 *   npm run build && node dist/bench/noop.js --n 1000 --rounds 15
 *   node dist/bench/noop.js --cli dist/src/cli.js --cli /other/checkout/dist/src/cli.js
 *   node dist/bench/noop.js --rounds 1 --profile /tmp/prof   (also writes a CPU profile of one no-op run)
 *   node dist/bench/noop.js --with-config schemagate.yaml     (runs with that configuration file in the working folder)
 */

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '15' },
    cli: { type: 'string', multiple: true },
    'database-url': { type: 'string' },
    profile: { type: 'string' },
    'with-config': { type: 'string' },
  },
});
const n = Number(values.n);
const rounds = Number(values.rounds);
const clis = (values.cli ?? [join(here, '..', 'src', 'cli.js')]).map((c) => resolve(c));
const log = (line: string) => process.stderr.write(`${line}\n`);

const server = values['database-url'] ? await externalServer(values['database-url']) : await embeddedServer(log);
const work = mkdtempSync(join(tmpdir(), 'schemagate-noop-'));
try {
  const migrations = generateMigrations(n);
  const sgDir = join(work, 'schemagate');
  const dzDir = join(work, 'drizzle');
  writeSchemagateDir(sgDir, migrations);
  writeDrizzleDir(dzDir, migrations);
  await server.createDatabase('noop_sg');
  await server.createDatabase('noop_dz');
  // Every run starts in a folder without schemagate.yaml (as drizzle's runs without a config), unless --with-config names one to copy there.
  if (values['with-config']) copyFileSync(resolve(values['with-config']), join(work, 'schemagate.yaml'));
  const t = { timeoutMs: 600_000, cwd: work };
  const sg = (cli: string) => [cli, 'db', 'migrate', '--database-url', server.urlFor('noop_sg'), '--migrations', sgDir];
  const dz = [join(here, 'drizzle-migrate.js'), server.urlFor('noop_dz'), dzDir];
  log(`bench: applying ${n} migrations with schemagate and with drizzle`);
  await timed('schemagate db migrate', process.execPath, sg(clis[0]!), t);
  await timed("drizzle-orm's migrator", process.execPath, dz, t);
  await server.checkpoint();
  if (values.profile) {
    // One no-op run of the first build under the V8 profiler (`node --cpu-prof`), for a look at where its CPU goes.
    await timed(
      'schemagate (profiled)',
      process.execPath,
      ['--cpu-prof', '--cpu-prof-dir', resolve(values.profile), ...sg(clis[0]!)],
      t,
    );
    log(`bench: CPU profile written to ${resolve(values.profile)}`);
  }

  const runs: { name: string; args: string[] }[] = [
    { name: 'node -e 0', args: ['-e', '0'] },
    ...clis.map((cli) => ({ name: `schemagate ${cli}`, args: sg(cli) })),
    { name: 'drizzle', args: dz },
  ];
  const wall = new Map<string, number[]>(runs.map((r) => [r.name, []]));
  const cpu = new Map<string, number[]>(runs.map((r) => [r.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < runs.length; i++) {
      const r = runs[(i + round) % runs.length]!;
      const before = childrenCpuMs();
      const result = await timed(r.name, process.execPath, r.args, t);
      wall.get(r.name)!.push(result.ms);
      cpu.get(r.name)!.push(childrenCpuMs() - before);
    }
    log(`bench: round ${round + 1}/${rounds}`);
  }
  const per = (a: string, b: string, m: Map<string, number[]>) => median(m.get(a)!.map((x, i) => x / m.get(b)![i]!));
  const over = (a: string, m: Map<string, number[]>) => median(m.get(a)!.map((x, i) => x - m.get('node -e 0')![i]!));
  const rows = runs.map((r) => [
    r.name,
    median(wall.get(r.name)!).toFixed(0),
    median(cpu.get(r.name)!).toFixed(0),
    r.name === 'drizzle' || r.name === 'node -e 0' ? '-' : `${per(r.name, 'drizzle', wall).toFixed(2)}x`,
    r.name === 'drizzle' || r.name === 'node -e 0' ? '-' : `${per(r.name, 'drizzle', cpu).toFixed(2)}x`,
    r.name === 'node -e 0' ? '-' : `+${over(r.name, wall).toFixed(0)}`,
    r.name === 'node -e 0' ? '-' : `+${over(r.name, cpu).toFixed(0)}`,
  ]);
  process.stdout.write(
    `No-op run, N = ${n}, ${rounds} rounds (medians; ratios and differences are medians of the per-round values)\n\n` +
      markdownTable(
        [
          'run',
          'wall ms',
          'CPU ms',
          'wall x drizzle',
          'CPU x drizzle',
          'wall over node -e 0, ms',
          'CPU over node -e 0, ms',
        ],
        rows,
      ) +
      '\n',
  );
} finally {
  await server.dropDatabase('noop_sg').catch(() => undefined);
  await server.dropDatabase('noop_dz').catch(() => undefined);
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}
