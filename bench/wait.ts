/**
 * What `schemagate wait` costs an init container: a whole process from spawn
 * to exit, on targets that are already up (so the figure is start-up and
 * module loading, plus one round trip), against `node -e 0` (the floor of any
 * Node.js tool) and `schemagate --version` (the CLI's own floor), all in one
 * run, in a rotating order. Reported as medians and ratios to the floor.
 *
 *   npm run build && node dist/bench/wait.js [--runs 15]
 *
 * A Redis target is included when redis-server is installed (one is started
 * on a free port); PostgreSQL with --database-url URL.
 */
import { execa } from 'execa';
import { statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../src/util/net.js';
import { markdownTable, ratio, secs, summarize } from './stats.js';
import { timed } from './timed.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '15' }, 'database-url': { type: 'string' } },
});
const runs = Number(values.runs);
const cli = join(import.meta.dirname, '../src/cli.js');

const http = createServer((_req, res) => res.end('ok'));
await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
const httpPort = (http.address() as { port: number }).port;

const redisBinary = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
});
const redisPort = await freePort();
const redis = redisBinary
  ? execa(redisBinary, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      reject: false,
    })
  : undefined;
if (redis) {
  await new Promise<void>((resolve) =>
    redis.stdout.on('data', (d: Buffer) => /Ready to accept/.test(d.toString()) && resolve()),
  );
}

const cases: Array<[string, string, string[]]> = [
  ['node -e 0 (floor)', process.execPath, ['-e', '0']],
  ['schemagate --version', process.execPath, [cli, '--version']],
  ['wait tcp://', process.execPath, [cli, 'wait', `tcp://127.0.0.1:${httpPort}`]],
  ['wait http://', process.execPath, [cli, 'wait', `http://127.0.0.1:${httpPort}/health`]],
  ...(redis
    ? [
        ['wait redis://', process.execPath, [cli, 'wait', `redis://127.0.0.1:${redisPort}`]] as [
          string,
          string,
          string[],
        ],
      ]
    : []),
  ...(values['database-url']
    ? [['wait postgres://', process.execPath, [cli, 'wait', values['database-url']]] as [string, string, string[]]]
    : []),
  ...(values['database-url']
    ? [
        [
          'db wait (for comparison)',
          process.execPath,
          [cli, 'db', 'wait', '--database-url', values['database-url']],
        ] as [string, string, string[]],
      ]
    : []),
];

const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
for (let run = 0; run < runs; run++) {
  // Rotate the order, so that no case always runs right after another one.
  for (let i = 0; i < cases.length; i++) {
    const [name, command, args] = cases[(run + i) % cases.length]!;
    const t = await timed(name, command, args, { timeoutMs: 30_000, env: { ...process.env, NO_COLOR: '1' } });
    samples.get(name)!.push(t.ms);
  }
  process.stderr.write(`run ${run + 1}/${runs}\n`);
}

const floor = summarize(samples.get('node -e 0 (floor)')!).median;
const own = summarize(samples.get('schemagate --version')!).median;
const rows = cases.map(([name]) => {
  const s = summarize(samples.get(name)!);
  return [
    name,
    secs(s.median),
    secs(s.min),
    secs(s.max),
    String(s.count),
    ratio(s.median / floor),
    ratio(s.median / own),
  ];
});
process.stdout.write(
  `${markdownTable(['what', 'median s', 'min s', 'max s', 'runs', 'x node -e 0', 'x --version'], rows)}\n`,
);
http.close();
redis?.kill('SIGTERM');
await redis;
