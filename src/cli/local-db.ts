import { resolve } from 'node:path';
import type { Config } from '../config/types.js';
import { ExitCode, SchemagateError, UsageError } from '../errors.js';
import { str } from './args.js';
import type { CommandContext } from './db.js';
import { configFrom } from './engine-options.js';

/** The embedded PostgreSQL's settings: `local.*` from schemagate.yaml, overridden by `--data-dir` and `--port`. */
export function localSettings(c: CommandContext): { config: Config; dir: string; port: number; database: string } {
  const config = configFrom(c.args, c.env);
  const dirFlag = str(c.args, 'data-dir');
  const portText = str(c.args, 'port');
  const port = portText === undefined ? config.local.port : Number(portText);
  if (!/^\d+$/.test(portText ?? '1') || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`--port ${portText}: expected a port number (1-65535)`);
  return {
    config,
    dir: dirFlag ? resolve(dirFlag) : resolve(config.root, config.local.dataDir),
    port,
    database: config.local.database,
  };
}

/** Does the command name a database of its own: `--database-url`, the URL variable, or `database.url`? */
export function namesDatabase(c: CommandContext): boolean {
  const config = configFrom(c.args, c.env);
  const named = str(c.args, 'database-url') ?? c.env[config.database.urlEnv] ?? config.database.url;
  return named !== undefined && named.trim() !== '';
}

/**
 * Runs a command against the embedded PostgreSQL (`--local`): the one `local
 * start` keeps running if there is one, else one started for this command
 * and stopped after it. The command sees its URL as `--database-url`.
 */
export async function withLocalDatabase(c: CommandContext, run: () => Promise<ExitCode>): Promise<ExitCode> {
  if (str(c.args, 'database-url') !== undefined)
    throw new UsageError(
      '--local and --database-url name two different databases',
      'Give one of them: --local for the embedded PostgreSQL, --database-url URL for another server.',
    );
  const s = localSettings(c);
  const { startEmbedded } = await import('../engine/embedded.js');
  const server = await startEmbedded({
    dir: s.dir,
    port: s.port,
    database: s.database,
    log: (line) => c.out.progress(line),
  });
  if (server.started)
    c.out.progress(
      `started the embedded PostgreSQL on port ${server.port} for this command (\`schemagate local start\` keeps one running)`,
    );
  c.args.values['database-url'] = server.url;
  try {
    return await run();
  } finally {
    await server
      .stop()
      .catch((e: unknown) => c.out.warn(`could not stop the embedded PostgreSQL: ${(e as Error).message}`));
  }
}

/**
 * An error of a `--local` command suggests `db` commands that must reach the
 * same database: `schemagate db repair --accept 4` becomes `schemagate db
 * repair --accept 4 --local`. Changed in place (its class, exit code and
 * fields stay).
 */
export function suggestLocal(e: unknown): unknown {
  if (!(e instanceof SchemagateError)) return e;
  const fix = (text: string) =>
    text.replace(/`schemagate (db [^`]*?)`/g, (whole, cmd: string) =>
      /--local\b|--database-url\b/.test(cmd) ? whole : `\`schemagate ${cmd} --local\``,
    );
  Object.defineProperty(e, 'message', { value: fix(e.message), configurable: true, writable: true });
  if (e.hint) Object.defineProperty(e, 'hint', { value: fix(e.hint), configurable: true, writable: true });
  return e;
}
