import { hostname } from 'node:os';
import pg from 'pg';
import { healthCheck } from '../backend/health.js';
import { startBackend } from '../backend/server.js';
import { verify } from '../engine/verify.js';
import { ExitCode, SchemagateError } from '../errors.js';
import { dbOptions, flag } from './args.js';
import type { CommandContext, DbCommand } from './db.js';
import { configFrom, engineOptions } from './engine-options.js';

/** How long in-flight requests get after SIGTERM; below the pod's default 30 s grace period. */
const GRACE_MS = 10_000;

function portFrom(env: NodeJS.ProcessEnv): number {
  const text = env['PORT'];
  if (text === undefined || text.trim() === '') return 8080;
  if (!/^\d+$/.test(text.trim()) || Number(text) > 65535) {
    throw new SchemagateError(
      'backend.port',
      `PORT=${text}: expected a port number from 0 to 65535 (0: any free port)`,
      {
        exitCode: ExitCode.config,
        hint: 'Set PORT to the port the backend should listen on, e.g. PORT=8080, or leave it unset for 8080.',
      },
    );
  }
  return Number(text);
}

/** `--local`: what the init container `wait-for-dependencies` does in a cluster, from this machine. */
async function waitForDependencies(c: CommandContext, config: ReturnType<typeof configFrom>): Promise<void> {
  const { localTargets } = await import('../wait/dependencies.js');
  const texts = localTargets(config.backend.dependencies);
  if (texts.length === 0) return;
  const { parseTarget } = await import('../config/wait-target.js');
  const { resolvePasswords } = await import('../wait/password.js');
  const { progressLine, waitForTargets } = await import('../wait/run.js');
  const { formatDuration } = await import('../util/time.js');
  c.out.progress(
    `waiting up to ${formatDuration(config.backend.waitTimeoutMs)} for ${texts.length} ${texts.length === 1 ? 'dependency' : 'dependencies'} of the backend (backend.dependencies)`,
  );
  await waitForTargets(resolvePasswords(texts.map(parseTarget), { env: c.env }), {
    timeoutMs: config.backend.waitTimeoutMs,
    signal: c.signal,
    timeoutSetting: 'backend.waitTimeout in schemagate.yaml',
    onProgress: (p) => c.out.progress(progressLine(p)),
  });
}

/** How long /health gives one dependency to answer; below the readiness probe's timeoutSeconds (2 s). */
const DEPENDENCY_CHECK_MS = 1000;

/**
 * What /health checks of `backend.dependencies`: the targets as this process
 * reaches them (its pod's URLs, or the local ones with --local), passwords
 * from the same variables the init container reads.
 */
async function dependencyCheck(c: CommandContext, config: ReturnType<typeof configFrom>, local: boolean) {
  const { localTargets } = await import('../wait/dependencies.js');
  const { withPasswordEnv } = await import('../config/dependency-wait.js');
  const texts = local
    ? localTargets(config.backend.dependencies)
    : config.backend.dependencies.map((d) => withPasswordEnv(d.url, d));
  if (texts.length === 0) return undefined;
  const { parseTarget } = await import('../config/wait-target.js');
  const { resolvePasswords } = await import('../wait/password.js');
  const { checkTargets } = await import('../wait/check.js');
  const targets = texts.map((text) => {
    const t = parseTarget(text);
    try {
      const [resolved] = resolvePasswords([t], { env: c.env });
      return resolved ?? t;
    } catch (e) {
      // Reported on each look, not fatal: the backend serves without it.
      return { display: t.display, kind: t.kind, problem: (e as Error).message };
    }
  });
  return () => checkTargets(targets, DEPENDENCY_CHECK_MS);
}

async function run(c: CommandContext): Promise<ExitCode> {
  const config = configFrom(c.args, c.env);
  const port = portFrom(c.env);
  if (flag(c.args, 'local')) await waitForDependencies(c, config);
  const engine = engineOptions(config, c.args, c.out, c.signal, { env: c.env });
  const pool = new pg.Pool({
    connectionString: engine.url,
    application_name: `${config.database.applicationName} backend @${hostname()}`.slice(0, 63),
    connectionTimeoutMillis: config.database.connectTimeoutMs,
    max: 10,
  });
  // A server-side disconnect of an idle client must not crash the process; the next query reconnects.
  pool.on('error', (e) => c.out.warn(`database connection lost: ${e.message}`));
  const dependencies = await dependencyCheck(c, config, flag(c.args, 'local'));
  const health = healthCheck({
    verify: () => verify({ ...engine, signal: undefined }, config.verify.tables),
    ...(dependencies ? { dependencies } : {}),
    ttlMs: 2000,
  });
  const backend = await startBackend({ pool, health, port, log: (line) => c.out.progress(line) }).catch(
    async (e: unknown) => {
      await pool.end().catch(() => undefined);
      const code = (e as { code?: string }).code;
      throw new SchemagateError(
        'backend.listen',
        `cannot listen on port ${port}: ${code === 'EADDRINUSE' ? 'the port is already in use' : (e as Error).message}`,
        {
          exitCode: ExitCode.config,
          hint: 'Set PORT to a free port (PORT=0 picks one and prints it).',
          cause: e,
        },
      );
    },
  );
  c.out.data({ listening: `http://127.0.0.1:${backend.port}` });
  c.out.result(`listening on http://127.0.0.1:${backend.port}`);
  // The CLI turns SIGTERM and SIGINT into this signal (a second one exits at once).
  await new Promise<void>((resolve) =>
    c.signal.aborted ? resolve() : c.signal.addEventListener('abort', () => resolve(), { once: true }),
  );
  c.out.progress(`shutting down: no new connections, waiting up to ${GRACE_MS / 1000}s for requests in flight`);
  await backend.shutdown(GRACE_MS);
  c.out.progress('stopped');
  return ExitCode.ok;
}

export const backendCommand: DbCommand = {
  usage: 'schemagate backend [--local]',
  summary:
    'Run the sample backend: GET /livez (the process only: liveness), GET /health (db verify: readiness; it also reports backend.dependencies), GET and POST /api/users. Listens on $PORT (default 8080; 0: any free port).',
  options: {
    'database-url': dbOptions['database-url'],
    migrations: dbOptions.migrations,
    local: {
      type: 'boolean',
      description:
        'running on this machine: first wait for backend.dependencies (their local URLs), as the init container does in a cluster',
    },
  },
  positionals: 0,
  run,
};
