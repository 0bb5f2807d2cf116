import { dbOptions, localOptions, localPlaceOptions, type Options } from './args.js';
import type { DbCommand } from './db.js';

/**
 * The command table: every command the parser knows, with what help prints
 * about it. `schemagate <command>`, `schemagate db <command>` and
 * `schemagate local <command>` are all resolved here, and help is generated
 * from the same entries, so a command cannot exist without its help (or the
 * other way round). Modules are imported when their command runs: `db`
 * commands in a pod never load listr2, @kubernetes/client-node or the SQL
 * parser.
 */
export interface TopEntry {
  summary: string;
  /** Command lines that show it at work; `help` prints them and a test parses each one. */
  examples: string[];
  /** The dispatcher adds `--local` and runs the command against the embedded PostgreSQL. */
  local?: boolean;
  load(): Promise<DbCommand>;
}

export interface Group {
  /** What `schemagate help` says about the group. */
  summary: string;
  /** Flags every command of the group takes, besides the common ones (not added to an `offline` command). */
  options: Options;
  /** Other names a command answers to (`db rollback` is `db down`). */
  aliases: Record<string, string>;
  examples: string[];
  load(): Promise<Record<string, DbCommand>>;
}

type ClusterCommand = keyof typeof import('./cluster.js').clusterCommands;
const cluster = async (name: ClusterCommand) => (await import('./cluster.js')).clusterCommands[name];

export const topCommands: Record<string, TopEntry> = {
  up: {
    summary: 'migrate, create the seed Job suspended, release the backend (--local: embedded PostgreSQL)',
    examples: [
      'schemagate up --local --keep',
      'schemagate up --local --fresh',
      'schemagate up --image schemagate:dev --namespace schemagate',
    ],
    load: () => cluster('up'),
  },
  migrate: {
    summary: 'run the migration Job and wait for it (--local: on the embedded PostgreSQL)',
    examples: ['schemagate migrate --local', 'schemagate migrate --rerun --cleanup'],
    load: () => cluster('migrate'),
  },
  seed: {
    summary: 'resume the seed Job and wait for it (--local: on the embedded PostgreSQL)',
    examples: ['schemagate seed --local --force', 'schemagate seed'],
    load: () => cluster('seed'),
  },
  reset: {
    summary: 'drop and recreate the schema, then migrate (local contexts only; --local: needs --yes)',
    examples: ['schemagate reset --local --yes', 'schemagate reset --context kind-schemagate'],
    load: () => cluster('reset'),
  },
  status: {
    summary: "Jobs, rollout and the database's migrations on one screen",
    examples: ['schemagate status', 'schemagate status --local --json'],
    load: () => cluster('status'),
  },
  render: {
    summary: 'print every manifest that would be submitted',
    examples: ['schemagate render --image schemagate:dev', 'schemagate render --show-secrets | kubectl apply -f -'],
    load: () => cluster('render'),
  },
  verify: {
    summary: 'is the database what the application needs? (a one-off db verify Job; --local too)',
    examples: ['schemagate verify', 'schemagate verify --local'],
    load: () => cluster('verify'),
  },
  check: {
    summary: "check a setup: config, migrations (parsed by PostgreSQL's parser), seeds, manifests",
    examples: ['schemagate check', 'schemagate check --cluster --json'],
    load: () => cluster('check'),
  },
  lint: {
    summary:
      "lint the migrations still to apply with Squawk (locks, rewrites, NOT VALID, CONCURRENTLY) for the target's PostgreSQL",
    examples: ['schemagate lint --local', 'schemagate lint --offline', 'schemagate lint --all --pg-version 15'],
    load: async () => (await import('./lint.js')).lintCommand,
  },
  new: {
    summary: "create the next migration (and its down script) in the folder's own layout",
    examples: ['schemagate new add_user_notes', 'schemagate new "add user notes" --migrations db/migrations'],
    load: async () => (await import('./new.js')).newCommand('schemagate new'),
  },
  wait: {
    summary: 'wait until each tcp://, http(s)://, redis:// or postgres:// target answers, with a deadline',
    examples: [
      'schemagate wait tcp://localhost:6379 http://localhost:8080/health --timeout 2m',
      'schemagate wait postgres://app@db:5432/app --json',
    ],
    load: async () => (await import('./wait.js')).waitCommand,
  },
  backend: {
    summary:
      'run the sample backend (/livez, /health, /api/users) on $PORT (--local: its dependencies from this machine, the embedded PostgreSQL)',
    examples: ['PORT=8080 schemagate backend --local', 'schemagate backend --database-url postgres://app@db/app'],
    local: true,
    load: async () => (await import('./backend.js')).backendCommand,
  },
};

export const groups: Record<string, Group> = {
  db: {
    summary:
      'Database commands: what Jobs and init containers run, and anywhere a database URL reaches (--local: the embedded PostgreSQL).',
    options: { ...dbOptions, ...localOptions },
    aliases: { rollback: 'down', create: 'new' },
    examples: [
      'schemagate db status --local',
      'DATABASE_URL=postgres://app@localhost/app schemagate db migrate',
      'schemagate db plan --database-url postgres://app@localhost/app',
    ],
    load: async () => (await import('./db.js')).dbCommands,
  },
  local: {
    summary:
      'The local database: an embedded PostgreSQL (from npm, no Docker) that keeps running between commands until you stop it.',
    options: localPlaceOptions,
    aliases: {},
    examples: ['schemagate local start', 'schemagate local psql', 'schemagate local stop'],
    load: async () => (await import('./local.js')).localCommands,
  },
};

/** The name a group's command is known by (`rollback` is `down`), or undefined. */
export function canonical(group: Group, commands: Record<string, DbCommand>, name: string): string | undefined {
  if (Object.hasOwn(commands, name)) return name;
  const target = group.aliases[name];
  return target && Object.hasOwn(commands, target) ? target : undefined;
}
