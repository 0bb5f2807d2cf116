import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { generateMigrations, writeDrizzleDir, writeSchemagateDir } from './generate.js';
import { type Phase, phasesOf, summarizeProfile } from './phases.js';
import type { ProbeReport } from './probe.js';
import { type BenchServer, embeddedServer, externalServer } from './server.js';
import { waitQuiet } from './quiet.js';
import { markdownTable, median, ratio, secs, summarize } from './stats.js';
import { timed } from './timed.js';
import { childrenCpuMs } from './cpu.js';

/**
 * The engine's speed benchmark (`npm run bench`, see bench/README.md): applies
 * N generated migrations with schemagate, with one `psql --single-transaction`
 * (the floor) and with drizzle-orm's migrator, each as a whole process on a
 * fresh database, and times the no-op rerun. Results are medians over runs and
 * ratios against the psql floor measured in the same run.
 */

const TOOLS = ['node', 'psql', 'schemagate', 'drizzle', 'psql-loop'] as const;
type Tool = (typeof TOOLS)[number];
const DEFAULT_TOOLS: readonly Tool[] = ['node', 'psql', 'schemagate', 'drizzle'];

const USAGE = `Usage: node dist/bench/engine.js [--n 100,1000] [--runs 7,3] [--only ${DEFAULT_TOOLS.join(',')}] [--noop-repeats 3]
         [--database-url URL] [--json results.json] [--skip-phases] [--timeout-s 600]
         [--quiet-percent 15] [--quiet-wait-s 60] [--cli PATH/dist/src/cli.js]

  --n             migration counts to benchmark (default 100,1000)
  --runs          runs per count, one number or one per --n (default 7 for N <= 200, else 3)
  --only          tools: ${TOOLS.join(', ')} (default ${DEFAULT_TOOLS.join(',')}; psql-loop runs psql once per file)
  --noop-repeats  no-op reruns measured after each fresh apply (default 3)
  --database-url  use this server (needs CREATE DATABASE and CHECKPOINT) instead of an embedded one
  --json          also write every measurement to this file
  --cli           schemagate's dist/src/cli.js to run (default: this checkout's build)
  --skip-phases   skip the per-phase breakdown of schemagate's no-op run
  --quiet-percent before each timed run, wait until the CPUs are at most this busy (default 15)
  --quiet-wait-s  ... but at most this long, then measure anyway and count it (default 60)
`;

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
let cli = join(repo, 'dist', 'src', 'cli.js');
const drizzleScript = join(here, 'drizzle-migrate.js');
const probe = join(here, 'probe.js');

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function list(text: string, what: string): number[] {
  const xs = text.split(',').map((s) => Number(s.trim()));
  if (xs.some((x) => !Number.isInteger(x) || x < 1))
    fail(`bench: --${what} ${text}: expected positive integers separated by commas (e.g. --${what} 100,1000)`);
  return xs;
}

function options() {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '100,1000' },
      runs: { type: 'string' },
      only: { type: 'string', default: DEFAULT_TOOLS.join(',') },
      'noop-repeats': { type: 'string', default: '3' },
      'database-url': { type: 'string' },
      json: { type: 'string' },
      'skip-phases': { type: 'boolean', default: false },
      'timeout-s': { type: 'string', default: '600' },
      'quiet-percent': { type: 'string', default: '15' },
      'quiet-wait-s': { type: 'string', default: '60' },
      cli: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  // Another checkout's build (e.g. a clean clone of a commit) instead of this tree's dist/.
  if (values.cli) cli = resolve(values.cli);
  const ns = list(values.n, 'n');
  const runsList = values.runs ? list(values.runs, 'runs') : ns.map((n) => (n <= 200 ? 7 : 3));
  if (runsList.length !== 1 && runsList.length !== ns.length)
    fail(`bench: --runs ${values.runs}: give one number, or one per --n (${ns.length})`);
  const tools = values.only.split(',').map((s) => s.trim()) as Tool[];
  const unknown = tools.filter((t) => !TOOLS.includes(t));
  if (unknown.length) fail(`bench: --only: unknown tool ${unknown.join(', ')}; expected some of ${TOOLS.join(', ')}`);
  return {
    ns,
    runs: (i: number) => runsList[runsList.length === 1 ? 0 : i]!,
    tools,
    noopRepeats: list(values['noop-repeats'], 'noop-repeats')[0]!,
    databaseUrl: values['database-url'],
    json: values.json,
    phases: !values['skip-phases'],
    timeoutMs: list(values['timeout-s'], 'timeout-s')[0]! * 1000,
    quietShare: list(values['quiet-percent'], 'quiet-percent')[0]! / 100,
    quietDeadlineMs: list(values['quiet-wait-s'], 'quiet-wait-s')[0]! * 1000,
  };
}

/** Fails early, with what to do, when a tool the benchmark runs is missing. */
function checkPrerequisites(tools: readonly Tool[]): { psql: string } {
  if (!existsSync(cli)) fail(`bench: ${cli} not found: build first (npm run build, or npm run bench which builds)`);
  let psql = '';
  if (tools.includes('psql') || tools.includes('psql-loop')) {
    const r = spawnSync('psql', ['--version'], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      fail(
        'bench: psql not found on PATH: the psql floor needs the PostgreSQL client (Debian: apt-get install postgresql-client).\n' +
          `  Or leave it out: --only ${tools.filter((t) => t !== 'psql' && t !== 'psql-loop').join(',')}`,
      );
    }
    psql = r.stdout.trim();
  }
  return { psql };
}

function machine(server: BenchServer, psqlVersion: string) {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: dirname(cli), encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  const dirty = git(['status', '--porcelain', '--', ':(top)src']) ? ' (src/ has uncommitted changes)' : '';
  const drizzle = (
    JSON.parse(readFileSync(join(repo, 'node_modules', 'drizzle-orm', 'package.json'), 'utf8')) as { version: string }
  ).version;
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? '?',
    node: process.version,
    postgres: server.version,
    settings: server.settings,
    psql: psqlVersion,
    drizzle,
    schemagate: `${git(['rev-parse', '--short', 'HEAD'])}${dirty} (${cli})`,
  };
}

/** What a fresh apply left in `public`: every tool must leave the same, or it did not run everything. */
async function fingerprint(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ f: string }>(`
      SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname NOT LIKE 'schemagate\\_%')
          || ' relations, ' || (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal) || ' triggers, '
          || (SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace) || ' functions, '
          || (SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
               WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relname NOT LIKE 'schemagate\\_%' AND a.attnum > 0) || ' columns' AS f`);
    return rows[0]!.f;
  } finally {
    await c.end();
  }
}

interface Measurements {
  /** Fresh apply times by tool, in run order. */
  fresh: Map<Tool, number[]>;
  /** No-op rerun times by tool (and `node -e 0` under 'node'). */
  noop: Map<Tool, number[]>;
  /** Per run: tool time / psql time of the same run. */
  ratios: Map<Tool, number[]>;
  /** Timed runs that started on a busy machine (the quiet wait hit its deadline), and the total wait. */
  noisy: number;
  waitedMs: number;
  /** CPU used during each fresh apply: by the tool's process tree, and by the PostgreSQL server. */
  clientCpu: Map<Tool, number[]>;
  serverCpu: Map<Tool, number[]>;
}

function push<K>(m: Map<K, number[]>, k: K, v: number) {
  m.set(k, [...(m.get(k) ?? []), v]);
}

async function benchN(
  server: BenchServer,
  n: number,
  runs: number,
  cfg: ReturnType<typeof options>,
  log: (line: string) => void,
): Promise<Measurements> {
  const work = mkdtempSync(join(tmpdir(), `schemagate-bench-${n}-`));
  const files = join(work, 'migrations');
  const drizzleDir = join(work, 'drizzle');
  const migrations = generateMigrations(n);
  const paths = writeSchemagateDir(files, migrations);
  writeDrizzleDir(drizzleDir, migrations);
  const m: Measurements = {
    fresh: new Map(),
    noop: new Map(),
    ratios: new Map(),
    noisy: 0,
    waitedMs: 0,
    clientCpu: new Map(),
    serverCpu: new Map(),
  };
  const quiet = async () => {
    const q = await waitQuiet({
      threshold: cfg.quietShare,
      windowMs: 300,
      deadlineMs: cfg.quietDeadlineMs,
      now: () => performance.now(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    });
    m.waitedMs += q.waitedMs;
    if (!q.quiet) {
      m.noisy++;
      log(
        `  (the machine stayed busy for ${secs(q.waitedMs)} s, ${Math.round((q.busy ?? 0) * 100)}% of the CPUs: measuring anyway)`,
      );
    }
  };
  // The tools get their server from the command line only.
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG') && k !== 'DATABASE_URL')),
    NO_COLOR: '1',
  };
  const t = { cwd: work, env, timeoutMs: cfg.timeoutMs };
  const applies: Partial<Record<Tool, (url: string) => Promise<number>>> = {
    psql: async (url) =>
      (
        await timed(
          'psql --single-transaction',
          'psql',
          ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-d', url, ...paths.flatMap((p) => ['-f', p])],
          t,
        )
      ).ms,
    'psql-loop': async (url) =>
      (
        await timed(
          'a psql-per-file shell loop',
          'sh',
          [
            '-c',
            'for f in "$0"/*.sql; do psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d "$1" -f "$f" || exit 1; done',
            files,
            url,
          ],
          t,
        )
      ).ms,
    schemagate: async (url) =>
      (
        await timed(
          'schemagate db migrate',
          process.execPath,
          [cli, 'db', 'migrate', '--database-url', url, '--migrations', files],
          t,
        )
      ).ms,
    drizzle: async (url) =>
      (await timed("drizzle-orm's migrator", process.execPath, [drizzleScript, url, drizzleDir], t)).ms,
  };
  let expected: string | undefined;
  try {
    for (let r = 0; r < runs; r++) {
      // Rotate the order, so a slow drift of the machine does not always hit the same tool.
      const order = cfg.tools.map((_, i) => cfg.tools[(i + r) % cfg.tools.length]!);
      const psqlThisRun: { ms?: number } = {};
      const thisRun = new Map<Tool, number>();
      for (const tool of order) {
        if (tool === 'node') {
          await quiet();
          for (let k = 0; k < cfg.noopRepeats; k++)
            push(m.noop, 'node', (await timed('node -e 0', process.execPath, ['-e', '0'], t)).ms);
          continue;
        }
        const db = `bench_${tool.replace('-', '_')}_${n}`;
        await server.createDatabase(db);
        try {
          const url = server.urlFor(db);
          await quiet();
          const cpu0 = { client: childrenCpuMs(), server: server.cpuMs() };
          const ms = await applies[tool]!(url);
          // Let the postmaster reap the tool's backend, whose CPU then counts in its children's time.
          await new Promise((r) => setTimeout(r, 100));
          push(m.clientCpu, tool, childrenCpuMs() - cpu0.client);
          push(m.serverCpu, tool, server.cpuMs() - cpu0.server);
          push(m.fresh, tool, ms);
          thisRun.set(tool, ms);
          if (tool === 'psql') psqlThisRun.ms = ms;
          const f = await fingerprint(url);
          expected ??= f;
          if (f !== expected)
            throw new Error(
              `bench: ${tool} left ${f} in the database, another tool left ${expected}: one of them did not apply every migration`,
            );
          let noopLine = '';
          if (tool === 'schemagate' || tool === 'drizzle') {
            await server.checkpoint();
            await quiet();
            const times: number[] = [];
            for (let k = 0; k < cfg.noopRepeats; k++) times.push(await applies[tool]!(url));
            times.forEach((x) => push(m.noop, tool, x));
            noopLine = `, no-op ${times.map((x) => secs(x)).join(' ')} s`;
          }
          log(`  N=${n} run ${r + 1}/${runs}: ${tool} ${secs(ms)} s${noopLine}`);
        } finally {
          await server.dropDatabase(db);
        }
      }
      for (const [tool, ms] of thisRun) if (psqlThisRun.ms) push(m.ratios, tool, ms / psqlThisRun.ms);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  log(`  N=${n}: every tool left ${expected ?? '(nothing checked)'}`);
  return m;
}

/** Median of each phase over probed runs (their phases line up: the same queries in the same order). */
function medianPhases(all: readonly Phase[][]): Phase[] {
  return all[0]!.map((p, i) => ({ name: p.name, ms: median(all.map((a) => a[i]?.ms ?? NaN)) }));
}

/**
 * schemagate's fresh apply and no-op run, phase by phase (probe timestamps),
 * and a CPU profile of one no-op run.
 */
async function schemagatePhases(
  server: BenchServer,
  n: number,
  repeats: { fresh: number; noop: number },
  cfg: ReturnType<typeof options>,
  log: (line: string) => void,
) {
  const work = mkdtempSync(join(tmpdir(), `schemagate-bench-phases-${n}-`));
  const files = join(work, 'migrations');
  writeSchemagateDir(files, generateMigrations(n));
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  const quiet = () =>
    waitQuiet({
      threshold: cfg.quietShare,
      windowMs: 300,
      deadlineMs: cfg.quietDeadlineMs,
      now: () => performance.now(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    });
  const probed = async (url: string, k: string) => {
    const out = join(work, `probe-${k}.json`);
    const args = ['--import', probe, cli, 'db', 'migrate', '--database-url', url, '--migrations', files];
    const run = await timed('schemagate db migrate (probed)', process.execPath, args, {
      cwd: work,
      env: { ...env, SCHEMAGATE_BENCH_PROBE_OUT: out },
      timeoutMs: cfg.timeoutMs,
    });
    return { phases: phasesOf(JSON.parse(readFileSync(out, 'utf8')) as ProbeReport, run, files), ms: run.ms };
  };
  const db = `bench_phases_${n}`;
  try {
    const fresh: Phase[][] = [];
    const freshTotals: number[] = [];
    for (let k = 0; k < repeats.fresh; k++) {
      await server.createDatabase(db);
      await quiet();
      const r = await probed(server.urlFor(db), `fresh-${k}`);
      fresh.push(r.phases);
      freshTotals.push(r.ms);
    }
    await server.checkpoint();
    const noop: Phase[][] = [];
    const noopTotals: number[] = [];
    for (let k = 0; k < repeats.noop; k++) {
      await quiet();
      const r = await probed(server.urlFor(db), `noop-${k}`);
      noop.push(r.phases);
      noopTotals.push(r.ms);
    }
    const profDir = join(work, 'prof');
    await quiet();
    await timed(
      'schemagate db migrate (--cpu-prof)',
      process.execPath,
      [
        '--cpu-prof',
        '--cpu-prof-interval',
        '100',
        '--cpu-prof-dir',
        profDir,
        cli,
        'db',
        'migrate',
        '--database-url',
        server.urlFor(db),
        '--migrations',
        files,
      ],
      {
        cwd: work,
        env,
        timeoutMs: cfg.timeoutMs,
      },
    );
    const profFile = join(profDir, readdirSync(profDir)[0]!);
    const profile = summarizeProfile(profFile, repo, [
      'readMigrations',
      'normalizeSql',
      'checksum',
      'loadConfig',
      'connect',
      'planFor',
      'buildPlan',
    ]);
    log(`  phases measured: ${repeats.fresh} probed fresh applies, ${repeats.noop} probed no-op runs, one profile`);
    return {
      n,
      fresh: medianPhases(fresh),
      freshTotal: median(freshTotals),
      noop: medianPhases(noop),
      noopTotal: median(noopTotals),
      profile,
    };
  } finally {
    await server.dropDatabase(db);
    rmSync(work, { recursive: true, force: true });
  }
}

function report(
  results: Map<number, Measurements>,
  info: ReturnType<typeof machine>,
  tools: readonly Tool[],
  phases: Awaited<ReturnType<typeof schemagatePhases>> | undefined,
): string {
  const out: string[] = [];
  const freshTools = tools.filter((t) => t !== 'node');
  for (const [n, m] of results) {
    const psqlMedian = median(m.fresh.get('psql') ?? []);
    const rows = freshTools.map((tool) => {
      const s = summarize(m.fresh.get(tool) ?? []);
      return [
        tool === 'psql'
          ? 'psql --single-transaction (floor)'
          : tool === 'psql-loop'
            ? 'psql per file (shell loop)'
            : tool,
        secs(s.median),
        secs(s.min),
        secs(s.max),
        String(s.count),
        ratio(median(m.ratios.get(tool) ?? [])),
        ratio(s.median / psqlMedian),
        secs(median(m.clientCpu.get(tool) ?? [])),
        secs(median(m.serverCpu.get(tool) ?? [])),
      ];
    });
    const noise = `${m.noisy} timed run(s) started with the CPUs busier than the quiet threshold; ${secs(m.waitedMs)} s spent waiting for quiet.`;
    out.push(
      `### Fresh apply, N = ${n}\n`,
      noise,
      '',
      markdownTable(
        [
          'tool',
          'median s',
          'min s',
          'max s',
          'runs',
          'x psql (median of per-run ratios)',
          'x psql (ratio of medians)',
          'client CPU s',
          'server CPU s',
        ],
        rows,
      ),
      '',
    );
    const nodeMedian = median(m.noop.get('node') ?? []);
    const noopRows = (['node', 'schemagate', 'drizzle'] as const)
      .filter((tool) => m.noop.has(tool))
      .map((tool) => {
        const s = summarize(m.noop.get(tool)!);
        return [
          tool === 'node' ? 'node -e 0 (start-up floor)' : `${tool} no-op rerun`,
          secs(s.median),
          secs(s.min),
          secs(s.max),
          String(s.count),
          tool === 'node' ? '-' : `+${secs(s.median - nodeMedian)}`,
        ];
      });
    out.push(
      `### No-op rerun on an up-to-date database, N = ${n}\n`,
      markdownTable(['run', 'median s', 'min s', 'max s', 'samples', 'over node -e 0, s'], noopRows),
      '',
    );
  }
  const big = Math.max(...results.keys());
  const m = results.get(big);
  if (m && m.fresh.has('schemagate')) {
    const sg = median(m.ratios.get('schemagate') ?? []);
    const sgVsDrizzle = median(m.fresh.get('schemagate')!) / median(m.fresh.get('drizzle') ?? []);
    const noop = median(m.noop.get('schemagate') ?? []);
    out.push(
      `### Targets (N = ${big})\n`,
      markdownTable(
        ['target', 'measured', 'met'],
        [
          ['fresh apply within 1.25x the psql floor', ratio(sg), sg <= 1.25 ? 'yes' : 'no'],
          ['fresh apply faster than drizzle', `${ratio(sgVsDrizzle)} drizzle's time`, sgVsDrizzle < 1 ? 'yes' : 'no'],
          ['no-op run under 0.3 s (whole process)', `${secs(noop)} s`, noop < 300 ? 'yes' : 'no'],
        ],
      ),
      '',
    );
  }
  if (phases) {
    out.push(
      `### Phases of schemagate's fresh apply, N = ${phases.n} (medians of probed runs; whole process ${secs(phases.freshTotal)} s)\n`,
      markdownTable(
        ['phase', 'ms'],
        phases.fresh.map((p) => [p.name, p.ms.toFixed(1)]),
      ),
      '',
      `### Phases of schemagate's no-op run, N = ${phases.n} (medians of probed runs; whole process ${secs(phases.noopTotal)} s)\n`,
      markdownTable(
        ['phase', 'ms'],
        phases.noop.map((p) => [p.name, p.ms.toFixed(1)]),
      ),
      '',
      `CPU profile of one no-op run (--cpu-prof, 0.1 ms sampling; ${phases.profile.total.toFixed(0)} ms profiled), self time by package or file, top 15:\n`,
      markdownTable(
        ['where', 'ms'],
        phases.profile.groups.slice(0, 15).map((g) => [g.name, g.ms.toFixed(1)]),
      ),
      '',
      'Inclusive CPU time of named functions in that profile:\n',
      markdownTable(
        ['function', 'ms'],
        phases.profile.inclusive.map((g) => [g.name, g.ms.toFixed(1)]),
      ),
      '',
    );
  }
  out.push(
    '### Machine\n',
    `- CPUs (nproc): ${info.nproc} (${info.cpu})`,
    `- PostgreSQL: ${info.postgres}`,
    `- server settings: ${Object.entries(info.settings)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
    `- psql: ${info.psql}`,
    `- Node.js: ${info.node}`,
    `- drizzle-orm: ${info.drizzle}`,
    `- schemagate commit: ${info.schemagate}`,
    '',
  );
  return out.join('\n');
}

async function main(): Promise<void> {
  const cfg = options();
  const { psql } = checkPrerequisites(cfg.tools);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const server = cfg.databaseUrl ? await externalServer(cfg.databaseUrl) : await embeddedServer(log);
  let stopping = false;
  const stopOnSignal = (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`bench: ${sig}: stopping PostgreSQL`);
    void server.stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', stopOnSignal);
  process.on('SIGTERM', stopOnSignal);
  try {
    const info = machine(server, psql);
    log(
      `bench: ${info.postgres}; fsync=${info.settings.fsync}, synchronous_commit=${info.settings.synchronous_commit}`,
    );
    const results = new Map<number, Measurements>();
    for (const [i, n] of cfg.ns.entries()) {
      log(`bench: N=${n}, ${cfg.runs(i)} runs of ${cfg.tools.join(', ')}`);
      results.set(n, await benchN(server, n, cfg.runs(i), cfg, log));
    }
    const big = Math.max(...cfg.ns);
    const phases =
      cfg.phases && cfg.tools.includes('schemagate')
        ? await schemagatePhases(server, big, { fresh: 3, noop: 7 }, cfg, log)
        : undefined;
    const text = report(results, info, cfg.tools, phases);
    process.stdout.write(`${text}\n`);
    if (cfg.json) {
      const plain = Object.fromEntries(
        [...results].map(([n, m]) => [
          n,
          {
            fresh: Object.fromEntries(m.fresh),
            noop: Object.fromEntries(m.noop),
            ratios: Object.fromEntries(m.ratios),
            clientCpu: Object.fromEntries(m.clientCpu),
            serverCpu: Object.fromEntries(m.serverCpu),
            noisy: m.noisy,
            waitedMs: m.waitedMs,
          },
        ]),
      );
      writeFileSync(
        cfg.json,
        JSON.stringify({ machine: info, args: process.argv.slice(2), results: plain, phases }, null, 2),
      );
    }
  } finally {
    await server.stop();
  }
}

await main();
