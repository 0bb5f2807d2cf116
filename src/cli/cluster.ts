import { resolve } from 'node:path';
import { ExitCode, UsageError } from '../errors.js';
import { type Options, flag } from './args.js';
import type { CommandContext, DbCommand } from './db.js';
import { configFrom, engineOptions } from './engine-options.js';
import { printStatus, statusExitCode } from './print-status.js';
import type { LocalStep } from '../tasks/local.js';

/** Flags of the cluster commands (the `--local` ones run the same steps on the embedded PostgreSQL). */
export const clusterOptions: Options = {
  local: { type: 'boolean', description: 'run against the embedded PostgreSQL instead of a cluster' },
  namespace: { type: 'string', short: 'n', description: 'Kubernetes namespace (default: kubernetes.namespace)', value: 'NS' },
  context: { type: 'string', description: 'kubeconfig context (default: kubernetes.context, then the current one)', value: 'NAME' },
  timeout: { type: 'string', description: 'deadline of each wait (default: kubernetes.timeout)', value: 'DURATION' },
  image: { type: 'string', description: 'image the Jobs run (Tilt passes the one it built)', value: 'IMAGE' },
};

async function runLocal(c: CommandContext, steps: LocalStep[], extra: { fresh?: boolean; force?: boolean } = {}): Promise<ExitCode> {
  const config = configFrom(c.args, c.env);
  const { runLocal: run } = await import('../tasks/local.js');
  const started = Date.now();
  const ctx = await run({
    config,
    out: c.out,
    signal: c.signal,
    fresh: extra.fresh ?? false,
    force: extra.force ?? false,
    steps,
    engineFor: (url, log) => ({ ...engineOptions(config, c.args, c.out, c.signal, { url }), log }),
  });
  if (ctx.status) {
    c.out.data({ ...ctx.status, summary: ctx.summary, seconds: (Date.now() - started) / 1000 });
    if (!c.out.json) {
      c.out.result('');
      printStatus(c.out, ctx.status);
      c.out.result(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)}s; the embedded PostgreSQL keeps its data in ${resolve(config.root, config.local.dataDir)} (start over with --fresh)`);
    }
    return steps.length === 1 ? statusExitCode(ctx.status) : ExitCode.ok;
  }
  c.out.data({ summary: ctx.summary, seconds: (Date.now() - started) / 1000 });
  return ExitCode.ok;
}

function notLocal(command: string): never {
  throw new UsageError(`${command}: cluster mode is not available in this build; run it with --local (the embedded PostgreSQL)`);
}

function cmd(usage: string, summary: string, options: Options, run: (c: CommandContext) => Promise<ExitCode>): DbCommand {
  return { usage, summary, options: { ...clusterOptions, ...options }, positionals: 0, run };
}

export const clusterCommands: Record<string, DbCommand> = {
  up: cmd(
    'schemagate up [--local [--fresh]]',
    'Bring the schema up: migrate, seed, verify. In a cluster: migration Job, seed Job (suspended), backend release and rollout.',
    { fresh: { type: 'boolean', description: 'with --local: delete the embedded data and start over' } },
    async (c) => (flag(c.args, 'local') ? runLocal(c, ['migrate', 'seed', 'verify', 'status'], { fresh: flag(c.args, 'fresh') }) : notLocal('up')),
  ),
  migrate: cmd('schemagate migrate [--local]', 'Apply pending migrations (in a cluster: through the migration Job).', {}, async (c) =>
    flag(c.args, 'local') ? runLocal(c, ['migrate']) : notLocal('migrate'),
  ),
  seed: cmd('schemagate seed [--local] [--force]', 'Run the seeds (in a cluster: resume the suspended seed Job).', { force: { type: 'boolean', description: 'run every seed again' } }, async (c) =>
    flag(c.args, 'local') ? runLocal(c, ['seed'], { force: flag(c.args, 'force') }) : notLocal('seed'),
  ),
  reset: cmd('schemagate reset [--local]', 'Drop and recreate the schema, then migrate (in a cluster: only on allowed local contexts).', {}, async (c) =>
    flag(c.args, 'local') ? runLocal(c, ['reset', 'migrate']) : notLocal('reset'),
  ),
  status: cmd('schemagate status [--local] [--json]', 'Migrations and seeds (in a cluster: also the Jobs and the rollout).', {}, async (c) =>
    flag(c.args, 'local') ? runLocal(c, ['status']) : notLocal('status'),
  ),
  render: cmd('schemagate render', 'Print every manifest that would be submitted, as YAML.', {}, async () => notLocal('render')),
};
