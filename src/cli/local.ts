import { spawn } from 'node:child_process';
import { ExitCode, SchemagateError } from '../errors.js';
import { displayUrl } from '../redact.js';
import { flag, str } from './args.js';
import type { CommandContext, DbCommand } from './db.js';
import { localSettings } from './local-db.js';

/**
 * `schemagate local ...`: the embedded PostgreSQL as a database you keep. It
 * runs detached from the command that started it, keeps its data in
 * `local.dataDir` (`.schemagate/data`) and its generated password in
 * `.schemagate/password`; every `--local` command uses it while it runs.
 */
async function server(c: CommandContext) {
  const s = localSettings(c);
  const { localPaths, localState } = await import('../engine/local-server.js');
  const { embeddedPassword, embeddedUrl } = await import('../engine/embedded.js');
  const paths = localPaths(s.dir);
  const state = localState(paths);
  const password = embeddedPassword(s.dir);
  const port = state.running ? state.port : s.port;
  const url = password === undefined ? undefined : embeddedUrl(password, port, s.database);
  return { s, paths, state, port, url };
}

/** The lines that say where the server is and how to reach it. */
function describe(c: CommandContext, r: Awaited<ReturnType<typeof server>>, pid: number | undefined): void {
  const rows: [string, string][] = [
    ['url', r.url ? displayUrl(r.url) : '(none yet)'],
    ['data', r.paths.dataDir],
    ['password', `${r.paths.passwordFile} (user postgres)`],
    ['log', r.paths.logFile],
    ...(pid ? ([['pid', String(pid)]] as [string, string][]) : []),
  ];
  for (const [k, v] of rows) c.out.result(`  ${k.padEnd(9)} ${v}`);
}

function report(r: Awaited<ReturnType<typeof server>>, running: boolean) {
  return {
    running,
    port: r.port,
    ...(r.state.running ? { pid: r.state.pid, kept: r.state.kept, owner: r.state.owner } : {}),
    url: r.url ? displayUrl(r.url) : undefined,
    dataDir: r.paths.dataDir,
    passwordFile: r.paths.passwordFile,
    logFile: r.paths.logFile,
  };
}

const HOW = [
  '  schemagate local psql                    # psql on it',
  '  schemagate db migrate --local            # every db command takes --local (so do up, migrate, seed, status, backend)',
  '  export DATABASE_URL="$(schemagate local url --show-password)"   # for other tools',
  '  schemagate local stop                    # stop it (the data stays)',
];

export const localCommands: Record<string, DbCommand> = {
  start: {
    usage: 'schemagate local start [--port PORT] [--data-dir DIR] [--fresh]',
    summary:
      'Start the embedded PostgreSQL and leave it running, for every --local command, psql and other tools. Creates it on first use.',
    examples: ['schemagate local start', 'schemagate local start --port 55432 --fresh'],
    options: { fresh: { type: 'boolean', description: 'delete its data first and start over' } },
    positionals: 0,
    async run(c) {
      const s = localSettings(c);
      const { startEmbedded } = await import('../engine/embedded.js');
      const started = await startEmbedded({
        dir: s.dir,
        port: s.port,
        database: s.database,
        fresh: flag(c.args, 'fresh'),
        keep: true,
        log: (line) => c.out.progress(line),
      });
      const r = await server(c);
      if (r.state.running && r.state.owner !== undefined) {
        throw new SchemagateError(
          'local.borrowed',
          `the embedded PostgreSQL on port ${r.port} is running for another schemagate command (pid ${r.state.owner}) and stops when it ends`,
          {
            exitCode: ExitCode.refused,
            hint: 'Run `schemagate local start` again once that command has finished.',
          },
        );
      }
      c.out.data(report(r, true));
      c.out.result(
        started.started
          ? `started the embedded PostgreSQL on port ${r.port}; it keeps running until \`schemagate local stop\``
          : `the embedded PostgreSQL is already running on port ${r.port}`,
      );
      describe(c, r, r.state.running ? r.state.pid : undefined);
      c.out.result('');
      for (const line of HOW) c.out.result(line);
      return ExitCode.ok;
    },
  },
  stop: {
    usage: 'schemagate local stop [--force]',
    summary: 'Stop the embedded PostgreSQL (a fast shutdown: open sessions end, the data stays).',
    examples: ['schemagate local stop'],
    options: {
      force: {
        type: 'boolean',
        description: 'stop it even while another schemagate command is using it (that command then fails)',
      },
    },
    positionals: 0,
    async run(c) {
      const r = await server(c);
      if (!r.state.running) {
        c.out.data(report(r, false));
        c.out.result(`the embedded PostgreSQL is not running (data in ${r.paths.dataDir})`);
        return ExitCode.ok;
      }
      if (r.state.owner !== undefined && !flag(c.args, 'force'))
        throw new SchemagateError(
          'local.in-use',
          `the embedded PostgreSQL on port ${r.port} is in use by another schemagate command (pid ${r.state.owner}); it stops when that command ends`,
          { exitCode: ExitCode.refused, hint: 'Wait for that command, or stop it anyway with --force.' },
        );
      const { stopServer } = await import('../engine/local-process.js');
      c.out.progress(`stopping the embedded PostgreSQL (pid ${r.state.pid}, port ${r.port})`);
      await stopServer(r.state.pid);
      c.out.data(report(r, false));
      c.out.result(`stopped the embedded PostgreSQL on port ${r.port}; its data stays in ${r.paths.dataDir}`);
      return ExitCode.ok;
    },
  },
  status: {
    usage: 'schemagate local status [--json]',
    summary:
      'Is the embedded PostgreSQL running, on which port, with which URL and files. Exit 5 when it is not running.',
    examples: ['schemagate local status', 'schemagate local status --json'],
    options: {},
    positionals: 0,
    async run(c) {
      const r = await server(c);
      const running = r.state.running;
      c.out.data(report(r, running));
      c.out.result(
        running
          ? `running on port ${r.port}${r.state.owner !== undefined ? ` for schemagate pid ${r.state.owner} (stops when it ends)` : ''}`
          : 'not running (start it with `schemagate local start`)',
      );
      describe(c, r, r.state.running ? r.state.pid : undefined);
      return running ? ExitCode.ok : ExitCode.connection;
    },
  },
  url: {
    usage: 'schemagate local url [--show-password]',
    summary:
      'Print the URL of the embedded PostgreSQL. The password is hidden unless --show-password (for DATABASE_URL and other tools).',
    examples: ['schemagate local url', 'export DATABASE_URL="$(schemagate local url --show-password)"'],
    options: {
      'show-password': { type: 'boolean', description: 'print the password in the URL (for scripts and other tools)' },
    },
    positionals: 0,
    async run(c) {
      const r = await server(c);
      if (!r.url)
        throw new SchemagateError('local.none', `there is no embedded PostgreSQL in ${r.s.dir} yet`, {
          exitCode: ExitCode.connection,
          hint: 'Create and start it with `schemagate local start` (or `schemagate up --local --keep`).',
        });
      if (!r.state.running)
        c.out.warn('the embedded PostgreSQL is not running: start it with `schemagate local start`');
      c.out.data({ url: flag(c.args, 'show-password') ? r.url : displayUrl(r.url), running: r.state.running });
      // Written as is with --show-password: the password is what was asked for.
      if (!c.out.json) process.stdout.write(`${flag(c.args, 'show-password') ? r.url : displayUrl(r.url)}\n`);
      return ExitCode.ok;
    },
  },
  psql: {
    usage: 'schemagate local psql [-c SQL] [-- PSQL-ARGS...]',
    summary:
      "Open psql on the embedded PostgreSQL (started for the session if it is not running). Needs psql on the PATH; exits with psql's exit code.",
    examples: [
      'schemagate local psql',
      "schemagate local psql -c '\\dt'",
      'schemagate local psql -- -At -c "SELECT 1"',
    ],
    options: {
      command: { type: 'string', short: 'c', description: 'run this SQL (or psql command) and exit', value: 'SQL' },
    },
    positionals: Number.POSITIVE_INFINITY,
    async run(c) {
      const { withLocalDatabase } = await import('./local-db.js');
      return withLocalDatabase(c, async () => {
        const u = new URL(str(c.args, 'database-url') ?? '');
        const sql = str(c.args, 'command');
        const args = [...(sql !== undefined ? ['-c', sql] : []), ...c.args.positionals];
        return runPsql(args, {
          // The password goes by environment, never on the command line other users can read.
          PGHOST: u.hostname,
          PGPORT: u.port,
          PGUSER: decodeURIComponent(u.username),
          PGPASSWORD: decodeURIComponent(u.password),
          PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
          PGAPPNAME: 'schemagate local psql',
        });
      });
    },
  },
};

/** Runs psql in this terminal; Ctrl-C belongs to psql (it cancels a query) while it runs. */
async function runPsql(args: string[], env: Record<string, string>): Promise<ExitCode> {
  const ignore = () => undefined;
  const saved = process.listeners('SIGINT');
  process.removeAllListeners('SIGINT');
  process.on('SIGINT', ignore);
  try {
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn('psql', args, { stdio: 'inherit', env: { ...process.env, ...env } });
      child.on('error', reject);
      child.on('close', (code, signal) => resolve(code ?? (signal ? 128 + 2 : 1)));
    }).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      throw new SchemagateError('local.no-psql', 'psql is not installed (or not on the PATH)', {
        exitCode: ExitCode.config,
        hint: 'Install the PostgreSQL client (apt install postgresql-client, brew install libpq), or point any client at `schemagate local url --show-password`.',
      });
    });
    return code as ExitCode;
  } finally {
    process.off('SIGINT', ignore);
    for (const l of saved) process.on('SIGINT', l as () => void);
  }
}
