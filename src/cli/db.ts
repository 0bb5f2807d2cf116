import { ExitCode, UsageError } from '../errors.js';
import { displayUrl } from '../redact.js';
import { type Options, type Parsed, flag, list, str } from './args.js';
import { configFrom, durationFlag, engineOptions } from './engine-options.js';
import type { ToolName } from '../engine/adopt/tools.js';
import { newCommand } from './new.js';
import type { Output } from './output.js';

/** What a command handler gets: its parsed flags, the output and the cancellation signal. */
export interface CommandContext {
  args: Parsed;
  out: Output;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
}

export interface DbCommand {
  usage: string;
  summary: string;
  options: Options;
  positionals: number;
  /** Command lines that show it at work (help prints them; a test parses each one). */
  examples?: string[];
  /** Needs no database: its group's database flags are not added. */
  offline?: boolean;
  run(c: CommandContext): Promise<ExitCode>;
}

function opts(c: CommandContext) {
  return engineOptions(configFrom(c.args, c.env), c.args, c.out, c.signal, { env: c.env });
}

/** `--wait-for-db`: a Job may start before PostgreSQL accepts connections; wait for it rather than fail the attempt. */
export async function waitIfAsked(c: CommandContext): Promise<void> {
  const timeoutMs = durationFlag(c.args, 'wait-for-db');
  if (timeoutMs === undefined) return;
  const o = opts(c);
  const { waitForDatabase } = await import('../engine/wait.js');
  const { connectOptions } = await import('../engine/session.js');
  await waitForDatabase(connectOptions(o, 'wait'), {
    timeoutMs,
    signal: c.signal,
    flag: '--wait-for-db',
    onAttempt: (e, waited) => c.out.progress(`waiting for PostgreSQL (${Math.round(waited / 1000)}s): ${e.message}`),
  });
}

/** The tools `db adopt --from` names (src/engine/adopt/tools.ts). */
const TOOLS = [
  'flyway',
  'golang-migrate',
  'dbmate',
  'sqlx',
  'goose',
  'sql-migrate',
  'drizzle',
  'prisma',
  'diesel',
  'node-pg-migrate',
  'migration-history',
  'schema-migrations',
];

export const dbCommands: Record<string, DbCommand> = {
  migrate: {
    examples: [
      'schemagate db migrate --local',
      'schemagate db migrate --to 3 --database-url postgres://app@localhost/app',
      'schemagate db migrate --wait-for-db 60s --lock-wait 5m',
    ],
    usage: 'schemagate db migrate [--to VERSION]',
    summary: 'Apply pending migrations, each in its own transaction, under the migration lock.',
    options: { to: { type: 'string', description: 'stop after this version', value: 'VERSION' } },
    positionals: 0,
    async run(c) {
      const { migrate } = await import('../engine/migrate.js');
      const to = str(c.args, 'to');
      const r = await migrate(opts(c), to ? { to } : {});
      c.out.data(r);
      c.out.result(
        r.applied.length === 0
          ? `up to date${r.current ? ` at version ${r.current}` : ''}`
          : `applied ${r.applied.length} migration${r.applied.length === 1 ? '' : 's'}; now at version ${r.current}`,
      );
      return ExitCode.ok;
    },
  },
  plan: {
    examples: ['schemagate db plan --local', 'schemagate db plan --to 4 --json'],
    usage: 'schemagate db plan [--to VERSION]',
    summary:
      "Print the SQL migrate would run, with its transaction boundaries; runs nothing. Every statement is parsed by PostgreSQL's parser first (exit 4 on a syntax error).",
    options: { to: { type: 'string', description: 'stop after this version', value: 'VERSION' } },
    positionals: 0,
    async run(c) {
      const { dryRun, renderDryRun } = await import('../engine/dry-run.js');
      const to = str(c.args, 'to');
      const d = await dryRun(opts(c), to ? { to } : {});
      // What would run goes through PostgreSQL's parser first: a typo fails here, not halfway through migrate.
      const { checkSyntax, SyntaxCheckError } = await import('../engine/syntax-check.js');
      const problems = await checkSyntax(d.migrations.map((m) => ({ file: m.file, sql: m.sql })));
      if (problems.length > 0) throw new SyntaxCheckError(problems);
      c.out.data(d);
      if (!c.out.json) process.stdout.write(renderDryRun(d));
      return d.migrations.length > 0 ? ExitCode.pending : ExitCode.ok;
    },
  },
  status: {
    examples: ['schemagate db status --local', 'schemagate db status --json'],
    usage: 'schemagate db status [--json]',
    summary:
      'Applied, pending, changed, missing and failed migrations, and the seeds. Exit 7 when migrations are pending, 4 on drift.',
    options: {},
    positionals: 0,
    async run(c) {
      const { status } = await import('../engine/status.js');
      const r = await status(opts(c));
      c.out.data(r);
      const { printStatus, statusExitCode } = await import('./print-status.js');
      if (!c.out.json) printStatus(c.out, r);
      return statusExitCode(r);
    },
  },
  verify: {
    examples: ['schemagate db verify --local', 'schemagate db verify --wait-for-db 30s'],
    usage: 'schemagate db verify',
    summary:
      'Check that every migration is applied unchanged, nothing is half-applied, and the required tables exist. Exit 8 if not.',
    options: {},
    positionals: 0,
    async run(c) {
      const config = configFrom(c.args, c.env);
      const { verify } = await import('../engine/verify.js');
      const r = await verify(engineOptions(config, c.args, c.out, c.signal, { env: c.env }), config.verify.tables);
      c.out.data(r);
      if (r.ok) {
        const n = r.newer.length;
        const newer = n
          ? `; this image knows up to version ${r.known ?? '(none)'}, and ${n} newer version${n === 1 ? ' is' : 's are'} applied by a later release: ${r.newer.map((v) => `${v.version} (${v.script}${v.success ? '' : ', half-applied'})`).join(', ')}`
          : '';
        c.out.result(
          `schema verified: version ${r.current ?? '(none)'}, ${config.verify.tables.length} required table${config.verify.tables.length === 1 ? '' : 's'} present${newer}`,
        );
        return ExitCode.ok;
      }
      const { VerifyError } = await import('../engine/verify.js');
      if (c.out.json) return ExitCode.verify;
      throw new VerifyError(r);
    },
  },
  seed: {
    examples: ['schemagate db seed --local', 'schemagate db seed --force --seeds db/seeds'],
    usage: 'schemagate db seed [--force]',
    summary: 'Run the seed files that have not run (or, with --force, all of them again).',
    options: { force: { type: 'boolean', description: 'run every seed again, changed or not' } },
    positionals: 0,
    async run(c) {
      const { seed } = await import('../engine/seed.js');
      const r = await seed(opts(c), { force: flag(c.args, 'force') });
      c.out.data(r);
      c.out.result(
        `seeded ${r.applied.length} file${r.applied.length === 1 ? '' : 's'}${r.unchanged.length ? `, ${r.unchanged.length} unchanged` : ''}${r.changed.length ? `, ${r.changed.length} changed and skipped (use --force)` : ''}`,
      );
      return ExitCode.ok;
    },
  },
  down: {
    examples: ['schemagate db down --local', 'schemagate db down --steps 2', 'schemagate db down --to 0 --local'],
    usage: 'schemagate db down [--steps N | --to VERSION]',
    summary: 'Revert applied migrations with their down scripts, newest first (default: the last one).',
    options: {
      steps: { type: 'string', description: 'how many migrations to revert (default 1)', value: 'N' },
      to: { type: 'string', description: 'revert every migration above this version (0: all)', value: 'VERSION' },
    },
    positionals: 0,
    async run(c) {
      const stepsText = str(c.args, 'steps');
      const steps = stepsText === undefined ? undefined : /^\d+$/.test(stepsText) ? Number(stepsText) : NaN;
      if (Number.isNaN(steps)) throw new UsageError(`--steps ${stepsText}: expected a whole number >= 1`);
      const { down } = await import('../engine/down.js');
      const to = str(c.args, 'to');
      const r = await down(opts(c), { ...(to !== undefined ? { to } : {}), ...(steps !== undefined ? { steps } : {}) });
      c.out.data(r);
      c.out.result(
        `reverted ${r.reverted.length} migration${r.reverted.length === 1 ? '' : 's'}; now at version ${r.current ?? '(none)'}`,
      );
      return ExitCode.ok;
    },
  },
  baseline: {
    examples: ['schemagate db baseline 3 --database-url postgres://app@db.internal/app'],
    usage: 'schemagate db baseline VERSION',
    summary: 'Adopt an existing database: record every migration up to VERSION as applied without running it.',
    options: {},
    positionals: 1,
    async run(c) {
      const v = c.args.positionals[0];
      if (!v) throw new UsageError('db baseline needs a VERSION', 'Example: schemagate db baseline 3');
      const { baseline } = await import('../engine/baseline.js');
      const r = await baseline(opts(c), v);
      c.out.data(r);
      c.out.result(
        `baselined at version ${r.version} (${r.covered} migration file${r.covered === 1 ? '' : 's'} count as applied)`,
      );
      return ExitCode.ok;
    },
  },
  adopt: {
    examples: [
      'schemagate db adopt --dry-run',
      'schemagate db adopt --from flyway --local',
      'schemagate db adopt --from goose --table public.goose_db_version --json',
    ],
    usage: 'schemagate db adopt [--from TOOL] [--dry-run] [--table [SCHEMA.]NAME] [--json]',
    summary:
      "Take over a database another tool migrated: read its history table, check it against the files, and record the same migrations in schemagate's history. Refuses (exit 4, nothing written) on a dirty or failed history, an applied version without its file, or an edited file.",
    options: {
      from: {
        type: 'string',
        description: `the tool: ${TOOLS.join(', ')}, or auto (default: the one history found)`,
        value: 'TOOL',
      },
      'dry-run': { type: 'boolean', description: 'check and show what it would record; write nothing' },
      table: {
        type: 'string',
        description: "the other tool's history table, where the project renamed it",
        value: '[SCHEMA.]NAME',
      },
    },
    positionals: 0,
    async run(c) {
      const from = str(c.args, 'from') ?? 'auto';
      if (from !== 'auto' && !TOOLS.includes(from))
        throw new UsageError(`--from ${from}: not a tool schemagate adopts from`, `Tools: ${TOOLS.join(', ')}, auto.`);
      const { adopt } = await import('../engine/adopt/adopt.js');
      const table = str(c.args, 'table');
      const r = await adopt(opts(c), {
        from: from as ToolName | 'auto',
        dryRun: flag(c.args, 'dry-run'),
        ...(table ? { table } : {}),
      });
      c.out.data(r);
      if (r.alreadyAdopted) c.out.result(`${r.historyTable} already records what ${r.table} does: nothing to adopt`);
      else {
        for (const a of r.adopted) c.out.result(`${r.dryRun ? 'would adopt' : 'adopted'}  ${a.version}  ${a.file}`);
        if (r.baseline) c.out.result(`${r.dryRun ? 'would record' : 'recorded'} baseline ${r.baseline}`);
        c.out.result(
          `${r.dryRun ? 'would adopt' : 'adopted'} ${r.adopted.length} migration${r.adopted.length === 1 ? '' : 's'} from ${r.tool} (${r.table}) into ${r.historyTable}${r.pending.length ? `; ${r.pending.length} pending (\`schemagate db migrate\` applies them)` : ''}${r.dryRun ? '; nothing was written (--dry-run)' : ''}`,
        );
      }
      for (const n of r.notes) c.out.result(`note: ${n}`);
      return ExitCode.ok;
    },
  },
  repair: {
    examples: [
      'schemagate db repair --local',
      'schemagate db repair --accept 2',
      'schemagate db repair --clear-failed 5',
    ],
    usage: 'schemagate db repair [--accept V|all] [--forget V] [--clear-failed V] [--mark-applied V]',
    summary: 'Repair the history after you have checked what is wrong. Without flags, lists what needs repair.',
    options: {
      accept: {
        type: 'string',
        multiple: true,
        description: 'accept the edited file of an applied version ("all": every changed one)',
        value: 'V',
      },
      forget: {
        type: 'string',
        multiple: true,
        description: 'forget an applied version whose file was deleted on purpose',
        value: 'V',
      },
      'clear-failed': {
        type: 'string',
        multiple: true,
        description: 'clear a half-applied run you undid by hand (it runs again from the start)',
        value: 'V',
      },
      'mark-applied': {
        type: 'string',
        multiple: true,
        description: 'record a half-applied run you completed by hand as applied',
        value: 'V',
      },
    },
    positionals: 0,
    async run(c) {
      const { repair } = await import('../engine/repair.js');
      const r = await repair(opts(c), {
        accept: list(c.args, 'accept'),
        forget: list(c.args, 'forget'),
        clearFailed: list(c.args, 'clear-failed'),
        markApplied: list(c.args, 'mark-applied'),
      });
      c.out.data(r);
      for (const d of r.done) c.out.result(`${d.action} ${d.version} ${d.file ?? ''}`.trimEnd());
      for (const x of r.remaining) c.out.result(`${x.state}: version ${x.version} ${x.file ?? ''} -> ${x.fix}`);
      if (r.done.length === 0 && r.remaining.length === 0) c.out.result('nothing to repair');
      return r.remaining.length > 0 ? ExitCode.validation : ExitCode.ok;
    },
  },
  wait: {
    examples: ['schemagate db wait --timeout 2m'],
    usage: 'schemagate db wait [--timeout DURATION]',
    summary: 'Wait until PostgreSQL accepts connections (default deadline 60s).',
    options: { timeout: { type: 'string', description: 'give up after this long (default 60s)', value: 'DURATION' } },
    positionals: 0,
    async run(c) {
      const o = opts(c);
      const { waitForDatabase } = await import('../engine/wait.js');
      const { connectOptions } = await import('../engine/session.js');
      const timeoutMs = durationFlag(c.args, 'timeout') ?? 60_000;
      const r = await waitForDatabase(connectOptions(o, 'wait'), {
        timeoutMs,
        signal: c.signal,
        onAttempt: (e, waited) =>
          c.out.progress(`waiting for PostgreSQL (${Math.round(waited / 1000)}s): ${e.message}`),
      });
      c.out.data(r);
      c.out.result(`PostgreSQL is accepting connections (after ${r.attempts} attempt${r.attempts === 1 ? '' : 's'})`);
      return ExitCode.ok;
    },
  },
  reset: {
    examples: ['schemagate db reset --local --yes'],
    usage: 'schemagate db reset --yes',
    summary:
      'Drop and recreate the managed schemas and the history. Asks in a terminal; elsewhere refuses without --yes (exit 11).',
    options: { yes: { type: 'boolean', description: 'confirm that everything in the managed schemas may be deleted' } },
    positionals: 0,
    async run(c) {
      const { reset } = await import('../engine/reset.js');
      const o = opts(c);
      let yes = flag(c.args, 'yes');
      // In a terminal, ask; elsewhere the engine refuses without --yes, naming what would be dropped.
      const { ask, canAsk } = await import('./confirm.js');
      if (!yes && canAsk(c)) {
        const schemas = [...new Set([...o.managedSchemas, o.schema])].join(', ');
        yes = await ask(`Drop ${schemas} with everything in it, and the migration history, in ${displayUrl(o.url)}?`);
      }
      const r = await reset(o, { yes });
      c.out.data(r);
      c.out.result(`reset: dropped and recreated ${r.schemas.join(', ')}`);
      return ExitCode.ok;
    },
  },
  check: {
    examples: ['schemagate db check', 'schemagate db check --local --json'],
    usage: 'schemagate db check [--database-url URL] [--json]',
    summary:
      'Test the migrations on a throwaway database: apply all, verify, revert all, compare with an empty schema, apply all again, compare with the first pass. Exit 4 when a down script is missing or wrong, 6 when a script fails.',
    options: {},
    positionals: 0,
    async run(c) {
      const config = configFrom(c.args, c.env);
      const { roundTrip } = await import('../engine/roundtrip.js');
      const { withScratchDatabase, withThrowawayServer } = await import('../engine/scratch.js');
      const { formatDuration } = await import('../util/time.js');
      // Only an explicit --database-url names a server: DATABASE_URL is the application's database, not a place for scratch work.
      const serverUrl = str(c.args, 'database-url');
      const progress = (line: string) => c.out.progress(line);
      const started = Date.now();
      const run = (url: string, database: string) =>
        roundTrip(
          { ...engineOptions(config, c.args, c.out, c.signal, { url }), log: (line) => c.out.debug(line) },
          {
            tables: config.verify.tables,
            onStep: (s) => {
              const [first, ...rest] = s.detail.split('\n');
              c.out.result(
                `${s.ok ? c.out.paint('green', 'ok  ') : c.out.paint('red', 'FAIL')}  ${s.name}: ${first} (${formatDuration(s.ms)})`,
              );
              for (const line of rest) c.out.result(`        ${line}`);
            },
          },
        ).then((r) => ({ ...r, database }));
      const r = serverUrl
        ? await withScratchDatabase(
            {
              url: serverUrl,
              applicationName: `${config.database.applicationName} check`,
              connectTimeoutMs: config.database.connectTimeoutMs,
            },
            progress,
            run,
          )
        : await withThrowawayServer(progress, run);
      const seconds = (Date.now() - started) / 1000;
      c.out.data({ ...r, server: serverUrl ? 'database-url' : 'embedded', seconds });
      for (const p of r.problems) c.out.result(`\n${p}`);
      c.out.result(
        r.ok
          ? `\nround trip clean: every migration applied, reverted and applied again (${seconds.toFixed(1)}s)`
          : `\nround trip failed: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'} (${seconds.toFixed(1)}s)`,
      );
      return r.exitCode;
    },
  },
  new: newCommand('schemagate db new'),
};
