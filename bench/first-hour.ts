import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateMigrations, writeSchemagateDir } from './generate.js';
import { embeddedServer } from './server.js';
import { markdownTable, median, ratio, secs } from './stats.js';
import { timed } from './timed.js';

/**
 * What the first-hour work costs, each as a whole child process in one run,
 * in a rotating order, reported as medians and as ratios against `node -e 0`
 * (and against another checkout's build with --base):
 *
 * - `check` on N migrations: every statement through PostgreSQL's parser;
 * - `db migrate` with nothing to do on the same N: it must not load the parser;
 * - `--help`: the dispatcher and the command table;
 * - `scripts/build-if-stale.mjs` on an up-to-date build: what `npm run up:local`
 *   adds before its command now, against `npm run build`, which it ran every time.
 */
const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '5' },
    'build-runs': { type: 'string', default: '2' },
    base: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  process.stdout.write(
    'node dist/bench/first-hour.js [--n 1000] [--runs 5] [--build-runs 2] [--base OTHER/dist/src/cli.js]\n',
  );
  process.exit(0);
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(root, 'dist/src/cli.js');
const n = Number(values.n);
const runs = Number(values.runs);
const log = (line: string) => process.stderr.write(`${line}\n`);

const work = mkdtempSync(join(tmpdir(), 'schemagate-bench-first-hour-'));
const dir = join(work, 'migrations');
writeSchemagateDir(dir, generateMigrations(n));
// `check` reads the project in its working directory: the migrations above, and the sample app's manifests.
cpSync(join(root, 'k8s'), join(work, 'k8s'), { recursive: true });
const server = await embeddedServer(log);
try {
  await server.createDatabase('first_hour');
  const url = server.urlFor('first_hour');
  const env = { ...process.env, NO_COLOR: '1', CI: '1', DATABASE_URL: url };
  const node = (what: string, args: string[]) => () =>
    timed(what, process.execPath, args, { cwd: work, env, timeoutMs: 300_000 });
  await node('first apply', [cli, 'db', 'migrate', '--migrations', dir])();

  const tools: Record<string, () => Promise<{ ms: number }>> = {
    'node -e 0': node('node', ['-e', '0']),
    '--help': node('help', [cli, '--help']),
    [`check (${n} migrations)`]: node('check', [cli, 'check']),
    [`db migrate, nothing to do (${n})`]: node('db migrate', [cli, 'db', 'migrate', '--migrations', dir]),
    ...(values.base
      ? {
          [`base: check (${n})`]: node('base check', [values.base, 'check']),
          [`base: db migrate, nothing to do (${n})`]: node('base db migrate', [
            values.base,
            'db',
            'migrate',
            '--migrations',
            dir,
          ]),
        }
      : {}),
    'build-if-stale (up to date)': node('build-if-stale', [join(root, 'scripts/build-if-stale.mjs')]),
  };
  const names = Object.keys(tools);
  const times = new Map<string, number[]>(names.map((k) => [k, []]));
  for (let r = 0; r < runs; r++) {
    // A rotating order, so no tool always runs right after the same one.
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length]!;
      times.get(name)!.push((await tools[name]!()).ms);
    }
    log(`run ${r + 1}/${runs} done`);
  }
  const builds: number[] = [];
  for (let r = 0; r < Number(values['build-runs']); r++)
    builds.push((await timed('build', 'npm', ['run', '--silent', 'build'], { cwd: root, timeoutMs: 300_000 })).ms);

  const floor = median(times.get('node -e 0')!);
  const rows = names.map((k) => [k, secs(median(times.get(k)!)), ratio(median(times.get(k)!) / floor)]);
  rows.push(['npm run build (what up:local ran before)', secs(median(builds)), ratio(median(builds) / floor)]);
  process.stdout.write(`${markdownTable(['what', 'median s', 'vs node -e 0'], rows)}\n`);
  if (values.base) {
    const against = (a: string, b: string) => ratio(median(times.get(a)!) / median(times.get(b)!));
    process.stdout.write(
      `\ncheck vs base: ${against(`check (${n} migrations)`, `base: check (${n})`)}; db migrate no-op vs base: ${against(`db migrate, nothing to do (${n})`, `base: db migrate, nothing to do (${n})`)}\n`,
    );
  }
} finally {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}
