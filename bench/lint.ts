/**
 * `schemagate lint` against its floor, Squawk itself, in the same run:
 *
 *   squawk        one `squawk --reporter=json` process over the N files (the floor)
 *   schemagate    `node dist/src/cli.js lint --all`: read and analyse the files,
 *                 copy what runs to a temp folder, Squawk once per kind of file
 *                 (transactional or not), map positions back
 *   squawk-each   one Squawk process per file: what linting file by file would cost
 *   node          `node -e 0`, the start-up floor of any Node.js tool
 *
 *   npm run build && node dist/bench/lint.js --n 10,200 --runs 5
 *
 * Reported as medians and as ratios against the squawk floor of the same run.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findSquawk } from '../src/lint/squawk.js';
import { markdownTable, median, ratio, secs } from './stats.js';
import { ChildFailed, timed } from './timed.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(root, 'dist/src/cli.js');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** N migrations in the shapes Squawk has rules for; every 10th runs outside a transaction. */
function project(n: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'schemagate-bench-lint-'));
  mkdirSync(join(dir, 'migrations'));
  for (let i = 1; i <= n; i++) {
    const body =
      i % 10 === 0
        ? `CREATE INDEX CONCURRENTLY IF NOT EXISTS t${i - 1}_a ON t${i - 1} (a);\n`
        : `CREATE TABLE t${i} (id bigint PRIMARY KEY, a text);\nALTER TABLE t${i} ADD COLUMN b text;\nCREATE INDEX t${i}_b ON t${i} (b);\n`;
    writeFileSync(join(dir, 'migrations', `${String(i).padStart(4, '0')}_m${i}.sql`), body);
  }
  writeFileSync(join(dir, 'schemagate.yaml'), 'lint:\n  exclude: [require-concurrent-index-creation]\n');
  return dir;
}

async function run(what: string, command: string, args: string[], cwd: string, ok: number[]): Promise<number> {
  // Squawk and lint exit non-zero when they find something: that is a result here, not a failure.
  const t = await timed(what, command, args, { cwd, timeoutMs: 120_000 }).catch((e: unknown) => {
    if (e instanceof ChildFailed && ok.includes(e.result.code ?? -1)) return e.result;
    throw e;
  });
  return t.ms;
}

async function main(): Promise<void> {
  const sizes = arg('n', '10,200').split(',').map(Number);
  const runs = Number(arg('runs', '5'));
  const squawk = findSquawk().path;
  const rows: string[][] = [];
  for (const n of sizes) {
    const dir = project(n);
    const files = Array.from({ length: n }, (_, i) =>
      join('migrations', `${String(i + 1).padStart(4, '0')}_m${i + 1}.sql`),
    );
    const samples: Record<string, number[]> = { squawk: [], schemagate: [], 'squawk-each': [], node: [] };
    try {
      for (let r = 0; r < runs; r++) {
        samples['squawk']!.push(await run('squawk', squawk, ['--reporter=json', ...files], dir, [0, 1]));
        samples['schemagate']!.push(
          await run('schemagate lint', process.execPath, [cli, 'lint', '--all'], dir, [0, 12]),
        );
        const started = performance.now();
        for (const f of files) await run('squawk (one file)', squawk, ['--reporter=json', f], dir, [0, 1]);
        samples['squawk-each']!.push(performance.now() - started);
        samples['node']!.push(await run('node', process.execPath, ['-e', '0'], dir, [0]));
        process.stderr.write(`n=${n} run ${r + 1}/${runs}\n`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const floor = median(samples['squawk']!);
    for (const [tool, xs] of Object.entries(samples))
      rows.push([
        String(n),
        tool,
        secs(median(xs)),
        ratio(median(xs.map((x, i) => x / samples['squawk']![i]!))),
        ratio(median(xs) / floor),
      ]);
  }
  process.stdout.write(
    `${markdownTable(['N', 'tool', 'median s', 'x squawk (median of per-run ratios)', 'x squawk (ratio of medians)'], rows)}\n`,
  );
}

await main();
