import type { Config } from '../config/types.js';
import type { Output } from '../util/output.js';
import type { EmbeddedServer } from '../engine/embedded.js';
import type { EngineOptions } from '../engine/session.js';
import type { StatusReport } from '../engine/status.js';
import { displayPath } from '../engine/files.js';
import { formatDuration } from '../util/time.js';
import { runSteps, type Step, type Task as TaskOf } from './listr.js';
import { defined } from '../util/defined.js';

/** What a local pipeline step may do; the steps call engine functions and nothing else (STYLE 5). */
export type LocalStep = 'migrate' | 'seed' | 'verify' | 'reset' | 'status';

export interface LocalContext {
  server?: EmbeddedServer;
  engine?: EngineOptions;
  summary: string[];
  status?: StatusReport;
  /** Each step's result, as the `db` command of the same name returns it (`--json`). */
  results: {
    reset?: { schemas: string[] };
    migrate?: import('../engine/migrate.js').MigrateResult;
    seed?: import('../engine/seed.js').SeedResult;
    verify?: import('../engine/verify.js').VerifyReport;
  };
}

export interface LocalRun {
  config: Config;
  out: Output;
  signal: AbortSignal;
  fresh: boolean;
  force: boolean;
  /** Leave the embedded PostgreSQL running afterwards (`local stop` stops it). */
  keep: boolean;
  /** The state folder (`local.dataDir`, or `--data-dir`), absolute. */
  dir: string;
  port: number;
  steps: LocalStep[];
  /** Engine options with the embedded server's URL filled in. */
  engineFor(url: string, log: (line: string) => void): EngineOptions;
}

type Task = TaskOf<LocalContext>;

/**
 * The `--local` pipeline: start (or reuse) the embedded PostgreSQL, run the
 * steps against it, stop it again unless asked to keep it running. Data
 * stays under `local.dataDir`.
 */
export async function runLocal(run: LocalRun): Promise<LocalContext> {
  const log = (task: Task) => (line: string) => {
    task.output = line;
  };
  const engine = (ctx: LocalContext, task: Task) =>
    run.engineFor(defined(ctx.server, 'the local PostgreSQL').url, log(task));
  const steps: Record<LocalStep, { title: string; task: (ctx: LocalContext, task: Task) => Promise<void> }> = {
    reset: {
      title: 'Reset the schema',
      task: async (ctx, task) => {
        const { reset } = await import('../engine/reset.js');
        const r = await reset(engine(ctx, task), { yes: true });
        ctx.results.reset = r;
        ctx.summary.push(`reset ${r.schemas.join(', ')}`);
      },
    },
    migrate: {
      title: 'Apply migrations',
      task: async (ctx, task) => {
        const { migrate } = await import('../engine/migrate.js');
        const r = await migrate(engine(ctx, task));
        ctx.results.migrate = r;
        const ms = r.applied.reduce((a, m) => a + m.ms, 0);
        task.title = r.applied.length
          ? `Applied ${r.applied.length} migration${r.applied.length === 1 ? '' : 's'} (${formatDuration(ms)})`
          : `Migrations up to date (version ${r.current ?? 'none'})`;
        ctx.summary.push(task.title);
      },
    },
    seed: {
      title: 'Seed development data',
      task: async (ctx, task) => {
        const { seed } = await import('../engine/seed.js');
        const r = await seed(engine(ctx, task), { force: run.force });
        ctx.results.seed = r;
        task.title = `Seeds: ${r.applied.length} run, ${r.unchanged.length} unchanged${r.changed.length ? `, ${r.changed.length} changed and skipped (--force runs them)` : ''}`;
        ctx.summary.push(task.title);
      },
    },
    verify: {
      title: 'Verify the schema',
      task: async (ctx, task) => {
        const { verify, VerifyError } = await import('../engine/verify.js');
        const r = await verify(engine(ctx, task), run.config.verify.tables);
        ctx.results.verify = r;
        if (!r.ok) throw new VerifyError(r);
        task.title = `Schema verified (version ${r.current ?? 'none'}, ${run.config.verify.tables.length} required tables)`;
        ctx.summary.push(task.title);
      },
    },
    status: {
      title: 'Read the status',
      task: async (ctx, task) => {
        const { status } = await import('../engine/status.js');
        ctx.status = await status(engine(ctx, task));
      },
    },
  };
  const list: Step<LocalContext>[] = [
    {
      title: 'Start the embedded PostgreSQL',
      task: async (ctx, task) => {
        const { startEmbedded } = await import('../engine/embedded.js');
        const server = await startEmbedded({
          dir: run.dir,
          port: run.port,
          database: run.config.local.database,
          fresh: run.fresh,
          keep: run.keep,
          log: log(task),
        });
        ctx.server = server;
        const where = `on port ${server.port} (data in ${displayPath(server.dataDir)})`;
        task.title = server.started
          ? `Embedded PostgreSQL ${server.initialised ? 'created' : 'started'} ${where}${server.kept ? ', left running' : ''}`
          : `Embedded PostgreSQL already running ${where}`;
      },
    },
    ...run.steps.map((s) => ({ title: steps[s].title, task: steps[s].task })),
  ];
  const ctx: LocalContext = { summary: [], results: {} };
  try {
    await runSteps(run.out, list, ctx);
  } finally {
    await ctx.server?.stop().catch(() => undefined);
  }
  return ctx;
}
