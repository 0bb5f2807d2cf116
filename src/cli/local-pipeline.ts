import { ExitCode } from '../errors.js';
import { displayPath } from '../engine/files.js';
import type { LocalStep } from '../tasks/local.js';
import { flag } from './args.js';
import { confirmOrRefuse } from './confirm.js';
import type { CommandContext } from './db.js';
import { engineOptions } from './engine-options.js';
import { localSettings } from './local-db.js';
import { printStatus, statusExitCode } from './print-status.js';

/**
 * `up`, `migrate`, `seed`, `reset`, `status` and `verify` with `--local`: the
 * pipeline's steps on the embedded PostgreSQL. With `--json`, stdout holds
 * each step's result as its `db` command prints it (a lone `migrate --local`
 * prints what `db migrate` does), the summary and where the server is.
 */
export async function runLocalPipeline(
  c: CommandContext,
  steps: LocalStep[],
  extra: { fresh?: boolean; force?: boolean } = {},
): Promise<ExitCode> {
  const s = localSettings(c);
  const { config } = s;
  if (steps.includes('reset')) {
    const schemas = [...new Set([...config.migrations.managedSchemas, config.migrations.schema])].join(', ');
    await confirmOrRefuse(c, {
      yes: flag(c.args, 'yes'),
      question: `Drop ${schemas} with everything in it, and the migration history, in the embedded PostgreSQL (${displayPath(s.dir)})?`,
      refusal: `reset --local drops ${schemas} with everything in it and the migration history; refusing without --yes`,
    });
  }
  const keep = flag(c.args, 'keep');
  const { runLocal } = await import('../tasks/local.js');
  const started = Date.now();
  const ctx = await runLocal({
    config,
    out: c.out,
    signal: c.signal,
    fresh: extra.fresh ?? false,
    force: extra.force ?? false,
    keep,
    dir: s.dir,
    port: s.port,
    steps,
    engineFor: (url, log) => ({ ...engineOptions(config, c.args, c.out, c.signal, { url }), log }),
  });
  const seconds = (Date.now() - started) / 1000;
  const server = ctx.server;
  // The first step starts it; a run that returns has passed that step.
  if (server === undefined) throw new Error('the embedded PostgreSQL was not started');
  const only = steps.length === 1 ? ctx.results[steps[0] as keyof typeof ctx.results] : undefined;
  c.out.data({
    ...(ctx.status ?? {}),
    ...(only ?? ctx.results),
    summary: ctx.summary,
    seconds,
    local: { port: server.port, dataDir: server.dataDir, leftRunning: server.kept },
  });
  if (c.out.json) return ctx.status && steps.length === 1 ? statusExitCode(ctx.status) : ExitCode.ok;
  if (ctx.status) {
    c.out.result('');
    printStatus(c.out, ctx.status);
  } else {
    for (const line of ctx.summary) c.out.result(line);
  }
  c.out.result('');
  c.out.result(`done in ${seconds.toFixed(1)}s; data in ${displayPath(server.dataDir)} (start over with --fresh)`);
  if (server.kept)
    c.out.result(
      [
        `the embedded PostgreSQL is running on port ${server.port}:`,
        '  schemagate local psql                      # psql on it',
        '  schemagate db status --local               # any db command, with --local',
        '  schemagate local url --show-password       # its URL with the password, for other tools',
        '  schemagate local stop                      # stop it',
      ].join('\n'),
    );
  return ctx.status && steps.length === 1 ? statusExitCode(ctx.status) : ExitCode.ok;
}
