import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, type ExpectStatic, it } from 'vitest';
import { lockKey } from '../../src/engine/lock.js';
import { cli, type CliResult, project } from '../support/cli.js';
import { admin, adminUrl, freshDatabase, urlFor } from '../support/pg.js';
import { snapshot } from '../support/snapshot.js';

/**
 * The bad-input suite: every case runs the built CLI as a process in a temp
 * project against its own database, and pins the whole message (what is
 * wrong, where, and how to get past it), the documented exit code, that the
 * password is printed nowhere, and that the database is exactly as before.
 */

/** A password that percent-encodes differently from its raw form ('/' and '@'). */
const PASSWORD = 'S3cret-pa55word-xyz/@';
const WRONG_PASSWORD = 'Wr0ng-pa55word-abc';
/** Every password in this file contains it: no output may. */
const NEEDLES = [PASSWORD, encodeURIComponent(PASSWORD), WRONG_PASSWORD, 'pa55word', 'S3cret', 'Wr0ng'];

const role = `sg_bad_${randomBytes(4).toString('hex')}`;
const databases: string[] = [];
let port: string;
let closedPort: number;

function freeClosedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 1));
    });
  });
}

beforeAll(async () => {
  port = new URL(adminUrl()).port;
  closedPort = await freeClosedPort();
  await admin((c) => c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}'`));
});

afterAll(async () => {
  // The role owns the databases: they go first (pg.ts's own cleanup then finds nothing).
  await admin(async (c) => {
    for (const d of databases) await c.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
    await c.query(`DROP ROLE IF EXISTS ${role}`);
  });
});

interface Db {
  name: string;
  /** As the role with the password: what the CLI is given. */
  url: string;
  /** As the superuser: what the snapshot reads. */
  adminUrl: string;
}

async function database(): Promise<Db> {
  const url = await freshDatabase();
  const name = new URL(url).pathname.slice(1);
  databases.push(name);
  await admin((c) => c.query(`ALTER DATABASE ${name} OWNER TO ${role}`));
  return { name, adminUrl: url, url: urlFor(name, { name: role, password: PASSWORD }) };
}

interface Project {
  dir: string;
  db: Db;
  env: Record<string, string | undefined>;
  run(args: string[], env?: Record<string, string | undefined>): Promise<CliResult>;
  write(rel: string, text: string): void;
  remove(rel: string): void;
}

async function setUp(files: Record<string, string>): Promise<Project> {
  const db = await database();
  const dir = project(files);
  const env = { DATABASE_URL: db.url };
  return {
    dir,
    db,
    env,
    run: (args, extra = {}) => cli(args, { cwd: dir, env: { ...env, ...extra } }),
    write: (rel, text) => writeFileSync(join(dir, rel), text),
    remove: (rel) => rmSync(join(dir, rel), { recursive: true }),
  };
}

/** Replaces what differs from run to run: temp paths, names, ports, times, pids. */
function normalise(text: string, p: Project): string {
  return text
    .split(p.dir)
    .join('<project>')
    .split(p.db.name)
    .join('<db>')
    .split(role)
    .join('<role>')
    .split(`:${closedPort}`)
    .join(':<closed-port>')
    .split(`:${port}`)
    .join(':<port>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>')
    .replace(/\bpid \d+/g, 'pid <pid>')
    .replace(/\(\d+ attempts\)/g, '(<n> attempts)')
    .replace(/pg_terminate_backend\(\d+\)/g, 'pg_terminate_backend(<pid>)');
}

function expectNoPassword(expect: ExpectStatic, r: CliResult): void {
  for (const needle of NEEDLES) {
    expect(r.stdout).not.toContain(needle);
    expect(r.stderr).not.toContain(needle);
  }
}

interface Case {
  files?: Record<string, string>;
  /** What legitimately happens before the bad input (earlier migrations); the snapshot is taken after it. */
  setup?: (p: Project) => void | Promise<void>;
  args: string[] | ((p: Project) => string[]);
  /** Environment of the failing run (default: DATABASE_URL with the password). */
  env?: (p: Project) => Record<string, string | undefined>;
  exitCode: number;
  /** The whole of stderr, normalised. */
  stderr: string;
  /** The whole of stdout (default: nothing). */
  stdout?: string;
  /** Progress lines on stderr before the error: each must match, at least one is expected; the rest is pinned. */
  progress?: RegExp;
}

/** Runs one bad input and checks message, exit code, secrecy and the database. */
async function bad(expect: ExpectStatic, c: Case): Promise<{ p: Project; r: CliResult }> {
  const p = await setUp(c.files ?? {});
  if (c.setup) await c.setup(p);
  const before = await snapshot(p.db.adminUrl);
  const r = await p.run(typeof c.args === 'function' ? c.args(p) : c.args, c.env?.(p) ?? {});
  const after = await snapshot(p.db.adminUrl);
  let stderr = normalise(r.stderr, p);
  if (c.progress) {
    const all = stderr.split('\n');
    const first = all.findIndex((l) => l.startsWith('error: '));
    expect(first).toBeGreaterThan(0);
    for (const l of all.slice(0, first)) expect(l).toMatch(c.progress);
    stderr = all.slice(first).join('\n');
  }
  expect(stderr).toBe(c.stderr);
  expect(normalise(r.stdout, p)).toBe(c.stdout ?? '');
  expect(r.exitCode).toBe(c.exitCode);
  expectNoPassword(expect, r);
  expect(after).toEqual(before);
  return { p, r };
}

async function migrateOk(p: Project, args: string[] = []): Promise<void> {
  const r = await p.run(['db', 'migrate', '--quiet', ...args]);
  if (r.exitCode !== 0) throw new Error(`setup migrate failed (${r.exitCode}): ${r.stderr}`);
}

const NOT_A_NAME =
  "not a migration file name: expected NNN_description.sql (e.g. 001_create_users.sql), NNN_description.down.sql, rollback_NNN.sql or Flyway's V1__description.sql. Rename it, or move it out of this folder";
const USERS = 'CREATE TABLE users (id int PRIMARY KEY, name text);\n';
const POSTS = 'CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users (id));\n';
const NOTHING_CHANGED = 'hint: Nothing was changed in the database.';
const ROLLED_BACK = 'hint: Its transaction was rolled back: nothing of it was applied.';
const CONFIG_HINT = 'hint: Fix the keys above; docs/configuration.md lists every key with its type and default.';

const lines = (...l: string[]) => l.join('\n');

describe.concurrent('bad migration files are refused before anything runs (exit 4)', () => {
  it('names a file without a version and says how it must be named', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/users.sql': USERS },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr: `error: migrations/users.sql: ${NOT_A_NAME}`,
    });
  });

  it('names a file whose version has letters in it', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1a_x.sql': USERS },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr: `error: migrations/1a_x.sql: ${NOT_A_NAME}`,
    });
  });

  it('tells a Flyway name with a single underscore what to rename it to', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/V1_x.sql': USERS },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr: 'error: migrations/V1_x.sql: Flyway names need two underscores after the version: rename it to V1__x.sql',
    });
  });

  it('refuses a Flyway repeatable migration and says what to turn it into', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/R__x.sql': USERS },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr:
        'error: migrations/R__x.sql: Flyway repeatable migrations (R__) are not supported: turn it into a versioned migration (V<n>__description.sql)',
    });
  });

  it('refuses Flyway names when migrations.format is "schemagate"', async ({ expect }) => {
    await bad(expect, {
      files: { 'schemagate.yaml': 'migrations:\n  format: schemagate\n', 'migrations/V2__x.sql': USERS },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr:
        'error: migrations/V2__x.sql: Flyway names are not read when migrations.format is "schemagate": rename it to NNN_description.sql or set migrations.format to "auto"',
    });
  });

  it('refuses plain names when migrations.format is "flyway"', async ({ expect }) => {
    await bad(expect, {
      files: { 'schemagate.yaml': 'migrations:\n  format: flyway\n', 'migrations/001_users.sql': USERS },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr:
        'error: migrations/001_users.sql: not a Flyway migration name: expected V1__description.sql or U1__description.sql (migrations.format is "flyway")',
    });
  });

  it('names both files of a duplicate version, whatever their zero padding', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/001_a.sql': USERS, 'migrations/1_b.sql': POSTS },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr:
        'error: migrations/1_b.sql: duplicate version 1: migrations/001_a.sql has the same version. Give one of them the next free number',
    });
  });

  it('names a down script that has no migration', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS, 'migrations/2_b.down.sql': 'DROP TABLE b;\n' },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr:
        'error: migrations/2_b.down.sql: down script for version 2, but there is no migration 2: rename it to match its migration, or delete it',
    });
  });

  it('names a second down script for the same version', async ({ expect }) => {
    await bad(expect, {
      files: {
        'migrations/1_users.sql': USERS,
        'migrations/1_users.down.sql': 'DROP TABLE users;\n',
        'migrations/rollback_1.sql': 'DROP TABLE users;\n',
      },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr:
        'error: migrations/rollback_1.sql: second down script for version 1 (also migrations/1_users.down.sql): keep one',
    });
  });

  it('refuses a migration that holds only comments', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/001_a.sql': '-- TODO: write this\n/* later */\n' },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr:
        'error: migrations/001_a.sql: the migration is empty (only whitespace or comments): write its SQL, or delete the file',
    });
  });

  it('reports every file problem at once, one line each', async ({ expect }) => {
    await bad(expect, {
      files: {
        'migrations/1_ok.sql': USERS,
        'migrations/1a_x.sql': USERS,
        'migrations/2_e.sql': '\n',
        'migrations/rollback_9.sql': 'DROP TABLE nine;\n',
        'migrations/users.sql': USERS,
      },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr: lines(
        'error: 4 problems in the migration files:',
        `  - migrations/1a_x.sql: ${NOT_A_NAME}`,
        `  - migrations/users.sql: ${NOT_A_NAME}`,
        '  - migrations/rollback_9.sql: down script for version 9, but there is no migration 9: rename it to match its migration, or delete it',
        '  - migrations/2_e.sql: the migration is empty (only whitespace or comments): write its SQL, or delete the file',
      ),
    });
  });

  it('names the migrations folder when it does not exist, and the key that sets it', async ({ expect }) => {
    await bad(expect, {
      files: { 'schemagate.yaml': 'migrations:\n  dir: db/migrations\n' },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr: lines(
        'error: Migrations folder not found: db/migrations',
        'hint: Create it, or point migrations.dir in schemagate.yaml (or --migrations) at the folder that holds them.',
      ),
    });
  });
});

describe.concurrent('drift and ordering problems stop migrate before anything runs (exit 4)', () => {
  it('names an applied migration that was edited, and the repair command', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS },
      setup: async (p) => {
        await migrateOk(p);
        p.write('migrations/1_users.sql', USERS.replace('name text', 'name varchar(10)'));
        p.write('migrations/2_posts.sql', POSTS);
      },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr: lines(
        'error: migrations/1_users.sql was changed after it was applied (version 1, applied <time>): the database will not get the edit. Revert the edit and put the change in a new migration; if the edit changes nothing (a comment, formatting), accept it with `schemagate db repair --accept 1`',
        NOTHING_CHANGED,
      ),
    });
  });

  it('names an applied version whose file is gone, relative to the project', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS },
      setup: async (p) => {
        await migrateOk(p);
        p.remove('migrations/1_users.sql');
        p.write('migrations/2_posts.sql', 'CREATE TABLE posts (id int);\n');
      },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr: lines(
        'error: version 1 (migrations/1_users.sql) was applied <time> but its file is not in migrations/: restore the file, or if it was removed on purpose, forget it with `schemagate db repair --forget 1`',
        NOTHING_CHANGED,
      ),
    });
  });

  it('refuses a pending migration numbered below an applied one and says how to allow it', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS, 'migrations/3_x.sql': 'CREATE TABLE x (id int);\n' },
      setup: async (p) => {
        await migrateOk(p);
        p.write('migrations/2_posts.sql', POSTS);
      },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr: lines(
        'error: migrations/2_posts.sql (version 2) is pending, but version 3 is already applied: it would run out of order. Renumber it above 3, or allow out-of-order migrations with migrations.outOfOrder: true; if its changes are already in the database (its history row was deleted), record it as applied with `schemagate db repair --mark-applied 2`',
        NOTHING_CHANGED,
      ),
    });
  });

  it('lists every plan problem at once', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS, 'migrations/2_posts.sql': POSTS },
      setup: async (p) => {
        await migrateOk(p);
        p.write('migrations/1_users.sql', `-- users\n${USERS}`);
        p.remove('migrations/2_posts.sql');
      },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr: lines(
        'error: 2 problems stop the migration before anything runs:',
        '  - migrations/1_users.sql was changed after it was applied (version 1, applied <time>): the database will not get the edit. Revert the edit and put the change in a new migration; if the edit changes nothing (a comment, formatting), accept it with `schemagate db repair --accept 1`',
        '  - version 2 (migrations/2_posts.sql) was applied <time> but its file is not in migrations/: restore the file, or if it was removed on purpose, forget it with `schemagate db repair --forget 2`',
        NOTHING_CHANGED,
      ),
    });
  });
});

describe.concurrent('scripts that would misbehave are refused before the first one runs (exit 4)', () => {
  it('points at an unterminated dollar quote', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_fn.sql': 'CREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n  RETURN 1;\nEND;\n' },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr: lines(
        'error: migrations/1_fn.sql:1:36: unterminated dollar-quoted string $$ starting at line 1, column 36',
        'hint: Close the quote, dollar quote or comment; nothing was run.',
      ),
    });
  });

  it('refuses transaction control that does not wrap the whole file, and names the directive that allows it', async ({
    expect,
  }) => {
    await bad(expect, {
      files: {
        'migrations/1_users.sql': USERS,
        'migrations/2_tx.sql': 'CREATE TABLE b (id int);\nBEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n',
      },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr: lines(
        "error: migrations/2_tx.sql:2:1: BEGIN inside a migration: schemagate runs each migration in its own transaction (with its history row), and takes a file's own transaction only when BEGIN (or START TRANSACTION) is its first statement and COMMIT (or END) its last, with no other transaction control between",
        'hint: Remove the BEGIN/COMMIT lines, or make them the first and last statements of the file; or, if the file must manage its own transactions, put `-- schemagate:no-transaction` at its top.',
      ),
    });
  });

  it('names an unknown directive with a did-you-mean', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_a.sql': '-- schemagate:no-transactions\nCREATE TABLE a (id int);\n' },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr: lines(
        'error: migrations/1_a.sql:1: unknown directive "schemagate:no-transactions" (did you mean "schemagate:no-transaction"?)',
        'hint: Directives are comments at the top of the file: -- schemagate:no-transaction, -- schemagate:lock-timeout 10s, -- schemagate:statement-timeout 5m.',
      ),
    });
  });

  it('names a directive with a bad duration and the forms it takes', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_a.sql': '-- schemagate:lock-timeout forever\nCREATE TABLE a (id int);\n' },
      args: ['db', 'migrate'],
      exitCode: 4,
      stderr: lines(
        'error: migrations/1_a.sql:1: bad duration "forever" for "schemagate:lock-timeout": expected 500ms, 10s, 5m, 1h, or a number of milliseconds; 0 disables',
        'hint: Directives are comments at the top of the file: -- schemagate:no-transaction, -- schemagate:lock-timeout 10s, -- schemagate:statement-timeout 5m.',
      ),
    });
  });
});

/** A migration whose line 17 has a syntax error (NOT NUL). */
const PROFILES = [
  '-- Profiles: one row per user.',
  'CREATE TABLE profiles (',
  '  user_id int PRIMARY KEY REFERENCES users (id),',
  '  display_name text NOT NULL,',
  '  bio text,',
  '  created_at timestamptz NOT NULL DEFAULT now()',
  ');',
  '',
  'CREATE INDEX profiles_display_name ON profiles (display_name);',
  '',
  'COMMENT ON TABLE profiles IS',
  "  'What a user shows about themselves';",
  '',
  '-- Avatars are optional.',
  'ALTER TABLE profiles',
  '  ADD COLUMN avatar_url text,',
  '  ADD COLUMN avatar_size int NOT NUL;',
  '',
  'CREATE TABLE after_the_error (id int);',
  '',
].join('\n');

describe.concurrent('SQL that PostgreSQL rejects is rolled back and located in its file (exit 6)', () => {
  it('points a syntax error on line 17 at file:17:column with a code frame and a caret', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS },
      setup: async (p) => {
        await migrateOk(p);
        p.write('migrations/2_profiles.sql', PROFILES);
      },
      args: ['db', 'migrate'],
      exitCode: 6,
      stderr: lines(
        'error: migrations/2_profiles.sql:17:34: syntax error at or near "NUL" (SQLSTATE 42601)',
        '   15 | ALTER TABLE profiles',
        '   16 |   ADD COLUMN avatar_url text,',
        ' > 17 |   ADD COLUMN avatar_size int NOT NUL;',
        '      |                                  ^',
        '   18 |',
        '   19 | CREATE TABLE after_the_error (id int);',
        ROLLED_BACK,
      ),
    });
  });

  it('points a missing relation at its line and column and keeps nothing of the migration', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS },
      setup: async (p) => {
        await migrateOk(p);
        p.write('migrations/2_half.sql', 'CREATE TABLE half (id int);\nINSERT INTO missing_table VALUES (1);\n');
      },
      args: ['db', 'migrate'],
      exitCode: 6,
      stderr: lines(
        'error: migrations/2_half.sql:2:13: relation "missing_table" does not exist (SQLSTATE 42P01)',
        '   1 | CREATE TABLE half (id int);',
        ' > 2 | INSERT INTO missing_table VALUES (1);',
        '     |             ^',
        '   3 |',
        ROLLED_BACK,
      ),
    });
  });

  it("passes on PostgreSQL's hint for a misspelt column", async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS },
      setup: async (p) => {
        await migrateOk(p);
        p.write('migrations/2_view.sql', 'CREATE VIEW user_names AS\n  SELECT idd, name FROM users;\n');
      },
      args: ['db', 'migrate'],
      exitCode: 6,
      stderr: lines(
        'error: migrations/2_view.sql:2:10: column "idd" does not exist (SQLSTATE 42703)',
        '   1 | CREATE VIEW user_names AS',
        ' > 2 |   SELECT idd, name FROM users;',
        '     |          ^',
        '   3 |',
        '  hint: Perhaps you meant to reference the column "users.id".',
        ROLLED_BACK,
      ),
    });
  });

  it("passes on PostgreSQL's detail, constraint and table for a unique violation", async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': `${USERS}INSERT INTO users VALUES (1, 'ada');\n` },
      setup: async (p) => {
        await migrateOk(p);
        p.write('migrations/2_bob.sql', "INSERT INTO users VALUES (1, 'bob');\n");
      },
      args: ['db', 'migrate'],
      exitCode: 6,
      stderr: lines(
        'error: migrations/2_bob.sql:1:1: duplicate key value violates unique constraint "users_pkey" (SQLSTATE 23505)',
        " > 1 | INSERT INTO users VALUES (1, 'bob');",
        '     | ^',
        '   2 |',
        '  detail: Key (id)=(1) already exists.',
        '  constraint: users_pkey',
        '  table: public.users',
        ROLLED_BACK,
      ),
    });
  });
});

describe.concurrent('bad configuration is refused before connecting (exit 3)', () => {
  it('names an unknown key with a did-you-mean', async ({ expect }) => {
    await bad(expect, {
      files: { 'schemagate.yaml': 'migrations:\n  lockTimout: 5s\n', 'migrations/1_users.sql': USERS },
      args: ['db', 'migrate'],
      exitCode: 3,
      stderr: lines(
        'error: schemagate.yaml: 1 problem in the configuration:',
        '  - migrations.lockTimout: unknown key (did you mean "lockTimeout"?)',
        CONFIG_HINT,
      ),
    });
  });

  it('names every key of the wrong type, with what was expected and found', async ({ expect }) => {
    await bad(expect, {
      files: {
        'schemagate.yaml': 'migrations:\n  lockRetries: many\n  outOfOrder: "yes"\n',
        'migrations/1_users.sql': USERS,
      },
      args: ['db', 'migrate'],
      exitCode: 3,
      stderr: lines(
        'error: schemagate.yaml: 2 problems in the configuration:',
        '  - migrations.lockRetries: expected an integer >= 0, found a string ("many")',
        '  - migrations.outOfOrder: expected true or false, found a string ("yes")',
        CONFIG_HINT,
      ),
    });
  });

  it('points a YAML syntax error at its line and column', async ({ expect }) => {
    await bad(expect, {
      files: { 'schemagate.yaml': 'migrations:\n\tdir: migrations\n', 'migrations/1_users.sql': USERS },
      args: ['db', 'migrate'],
      exitCode: 3,
      stderr: lines(
        'error: schemagate.yaml:2:1: invalid YAML: Tabs are not allowed as indentation',
        'hint: Fix the YAML near line 2: check the indentation (spaces, not tabs) and quote values that contain ": " or " #".',
        '  2 | \tdir: migrations',
        '    | ^',
      ),
    });
  });

  it('quotes the line of a YAML error without the password of the URL on it', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS },
      setup: (p) => p.write('schemagate.yaml', `database:\n  url: ${p.db.url}: x\n`),
      args: ['db', 'migrate'],
      env: () => ({ DATABASE_URL: undefined }),
      exitCode: 3,
      stderr: lines(
        'error: schemagate.yaml:2:8: invalid YAML: Nested mappings are not allowed in compact mappings',
        'hint: Fix the YAML near line 2: check the indentation (spaces, not tabs) and quote values that contain ": " or " #".',
        '  2 |   url: postgres://***@127.0.0.1:<port>/<db>: x',
        '    |        ^',
      ),
    });
  });

  it('names a database.url that is not a PostgreSQL URL without echoing it', async ({ expect }) => {
    await bad(expect, {
      files: {
        'schemagate.yaml': `database:\n  url: mysql://app:${encodeURIComponent(PASSWORD)}@127.0.0.1/app\n`,
        'migrations/1_users.sql': USERS,
      },
      args: ['db', 'migrate'],
      exitCode: 3,
      stderr: lines(
        'error: schemagate.yaml: 1 problem in the configuration:',
        '  - database.url: expected a postgres:// or postgresql:// URL, found a URL with scheme "mysql:"',
        CONFIG_HINT,
      ),
    });
  });

  it('names a --config file that does not exist', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS },
      args: ['db', 'migrate', '--config', 'conf/nope.yaml'],
      exitCode: 3,
      stderr: lines(
        'error: conf/nope.yaml: the configuration file named by the --config option does not exist.',
        'hint: Check the path (it is relative to the working directory), or leave out --config to read schemagate.yaml from the current directory.',
      ),
    });
  });

  it('says where it looked for a database URL when there is none', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS },
      args: ['db', 'migrate'],
      env: () => ({ DATABASE_URL: undefined }),
      exitCode: 3,
      stderr: lines(
        'error: No database URL: none was given with --database-url, the environment variable DATABASE_URL is not set, and database.url is not set in schemagate.yaml.',
        'hint: Set one, e.g. export DATABASE_URL=postgres://<user>:<password>@localhost:5432/app',
      ),
    });
  });

  it('refuses a malformed DATABASE_URL without printing its unencoded password', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS },
      args: ['db', 'migrate'],
      // The password is not percent-encoded: '/' and '@' break the URL.
      env: (p) => ({ DATABASE_URL: `postgres://${role}:${PASSWORD}@127.0.0.1:${port}/${p.db.name}` }),
      exitCode: 3,
      stderr: lines(
        'error: The database URL from the environment variable DATABASE_URL is not valid: expected a postgres:// or postgresql:// URL, found a string that is not a URL (percent-encode @ : / ? # in the user name and password).',
        'hint: Use the form postgres://<user>:<password>@<host>:5432/<database>, with special characters in the password percent-encoded.',
      ),
    });
  });
});

describe.concurrent('a database that cannot be reached or refuses us is named without its password (exit 5)', () => {
  it('says the connection was refused at host:port and what to check', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS },
      args: ['db', 'migrate'],
      env: (p) => ({ DATABASE_URL: p.db.url.replace(`:${port}/`, `:${closedPort}/`) }),
      exitCode: 5,
      stderr: lines(
        'error: could not connect to PostgreSQL at 127.0.0.1:<closed-port>: connection refused',
        'hint: Is PostgreSQL running and listening there? Check the host and port of the database URL (postgres://<role>:***@127.0.0.1:<closed-port>/<db>). If it is starting, `schemagate db wait` waits for it.',
      ),
    });
  });

  it('says the password was rejected without printing either password', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS },
      args: ['db', 'migrate'],
      env: (p) => ({ DATABASE_URL: urlFor(p.db.name, { name: role, password: WRONG_PASSWORD }) }),
      exitCode: 5,
      stderr: lines(
        'error: password authentication failed for user "<role>" at 127.0.0.1:<port>',
        'hint: Check the password in the database URL (DATABASE_URL, --database-url, or the Secret the Job reads).',
      ),
    });
  });

  it('says the password given with --database-url was rejected without printing it', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS },
      args: (p) => ['db', 'status', '--database-url', urlFor(p.db.name, { name: role, password: WRONG_PASSWORD })],
      exitCode: 5,
      stderr: lines(
        'error: password authentication failed for user "<role>" at 127.0.0.1:<port>',
        'hint: Check the password in the database URL (DATABASE_URL, --database-url, or the Secret the Job reads).',
      ),
    });
  });

  it('names a database that does not exist and how to create it', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS },
      args: ['db', 'migrate'],
      env: (p) => ({ DATABASE_URL: urlFor(`${p.db.name}_missing`, { name: role, password: PASSWORD }) }),
      exitCode: 5,
      stderr: lines(
        'error: database "<db>_missing" does not exist on 127.0.0.1:<port>',
        'hint: Create it (createdb <db>_missing) or fix the database name in the URL (postgres://<role>:***@127.0.0.1:<port>/<db>_missing).',
      ),
    });
  });

  it('db wait gives up at its deadline on a closed port and says what it waited for', async ({ expect }) => {
    await bad(expect, {
      args: ['db', 'wait', '--timeout', '1s'],
      env: (p) => ({ DATABASE_URL: p.db.url.replace(`:${port}/`, `:${closedPort}/`) }),
      exitCode: 5,
      progress:
        /^waiting for PostgreSQL \(\ds\): could not connect to PostgreSQL at 127\.0\.0\.1:<closed-port>: connection refused$/,
      stderr: lines(
        'error: PostgreSQL did not accept connections within 1.0s (<n> attempts); last error: could not connect to PostgreSQL at 127.0.0.1:<closed-port>: connection refused',
        'hint: Is PostgreSQL running and listening there? Check the host and port of the database URL (postgres://<role>:***@127.0.0.1:<closed-port>/<db>). If it is still starting, wait longer with --timeout.',
      ),
    });
  });
});

describe.concurrent('a bad command line is refused before anything runs (exit 2)', () => {
  it('suggests the command meant by a misspelt one', async ({ expect }) => {
    await bad(expect, {
      args: ['migrat'],
      exitCode: 2,
      stderr: lines(
        'error: unknown command "migrat" (did you mean "migrate"?)',
        'hint: Run `schemagate --help` for the list of commands.',
      ),
    });
  });

  it('suggests the db command meant by a misspelt one and lists them all', async ({ expect }) => {
    await bad(expect, {
      args: ['db', 'migrat'],
      exitCode: 2,
      stderr: lines(
        'error: unknown command "db migrat" (did you mean "db migrate"?)',
        'hint: Run `schemagate db --help` for the list: migrate, plan, status, verify, seed, down, baseline, adopt, repair, wait, reset, check, new.',
      ),
    });
  });

  it('suggests the flag meant by a misspelt one', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS },
      args: ['db', 'migrate', '--too', '1'],
      exitCode: 2,
      stderr: lines(
        'error: db migrate: unknown flag --too (did you mean --to?)',
        'hint: See `schemagate db migrate --help`.',
      ),
    });
  });

  it('names a flag given without its value by its own name', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS },
      args: ['db', 'migrate', '--to'],
      exitCode: 2,
      stderr: lines(
        'error: db migrate: --to needs a value',
        'hint: Write --to VALUE (or --to=VALUE when the value starts with "-"); see `schemagate db migrate --help`.',
      ),
    });
  });

  it('says that an on/off flag takes no value', async ({ expect }) => {
    await bad(expect, {
      args: ['db', 'status', '--json=yes'],
      exitCode: 2,
      stderr: lines(
        'error: db status: --json does not take a value',
        'hint: Write --json alone; see `schemagate db status --help`.',
      ),
    });
  });

  it('does not echo the password of a database URL given without --database-url', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS },
      args: (p) => ['db', 'migrate', p.db.url],
      exitCode: 2,
      stderr: lines(
        'error: db migrate: unexpected argument "postgres://***@127.0.0.1:<port>/<db>"',
        'hint: Give the database URL with --database-url URL, or set DATABASE_URL.',
      ),
    });
  });

  it('names a --to version that no migration has, and the versions there are', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS, 'migrations/2_posts.sql': POSTS },
      args: ['db', 'migrate', '--to', '3'],
      exitCode: 2,
      stderr: lines('error: --to 3: there is no migration with version 3', 'hint: Known versions: 1, 2.'),
    });
  });

  it('refuses --to and --steps together on db down', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS, 'migrations/1_users.down.sql': 'DROP TABLE users;\n' },
      setup: (p) => migrateOk(p),
      args: ['db', 'down', '--to', '0', '--steps', '1'],
      exitCode: 2,
      stderr: 'error: give either --to or --steps, not both',
    });
  });

  it('refuses db repair --accept for a version that is applied and unchanged, naming the changed ones', async ({
    expect,
  }) => {
    await bad(expect, {
      files: {
        'migrations/1_users.sql': USERS,
        'migrations/2_posts.sql': POSTS,
        'migrations/3_x.sql': 'CREATE TABLE x (id int);\n',
      },
      setup: async (p) => {
        await migrateOk(p);
        p.write('migrations/1_users.sql', `-- the users\n${USERS}`);
      },
      args: ['db', 'repair', '--accept', '3'],
      exitCode: 2,
      stderr: lines(
        'error: --accept 3: version 3 is applied; --accept repairs only an applied migration whose file was edited since (state changed)',
        'hint: Versions that are changed: 1. See `schemagate db status` for the state of each version. Nothing was changed.',
      ),
    });
  });

  it('refuses db repair --forget for a version nobody knows', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS },
      setup: (p) => migrateOk(p),
      args: ['db', 'repair', '--forget', '7'],
      exitCode: 2,
      stderr: lines(
        'error: --forget 7: version 7 is not in the history or the files; --forget repairs only an applied version whose file is gone (state missing)',
        'hint: No version is missing. See `schemagate db status` for the state of each version. Nothing was changed.',
      ),
    });
  });
});

describe.concurrent('commands that would do harm or cannot do what is asked refuse', () => {
  it('db reset refuses without --yes and says what it would drop (exit 11)', async ({ expect }) => {
    await bad(expect, {
      files: { 'migrations/1_users.sql': USERS },
      setup: (p) => migrateOk(p),
      args: ['db', 'reset'],
      exitCode: 11,
      stderr: lines(
        'error: db reset drops the schema public with everything in it, and the migration history; refusing without --yes',
        'hint: Run it again with --yes if that is what you want.',
      ),
    });
  });

  it('db down refuses when the migration to revert has no down script (exit 4)', async ({ expect }) => {
    await bad(expect, {
      files: {
        'migrations/1_users.sql': USERS,
        'migrations/1_users.down.sql': 'DROP TABLE users;\n',
        'migrations/2_posts.sql': POSTS,
      },
      setup: (p) => migrateOk(p),
      args: ['db', 'down'],
      exitCode: 4,
      stderr: lines(
        'error: cannot revert: no down script for migrations/2_posts.sql',
        'hint: Write NNN_description.down.sql (or rollback_NNN.sql) next to the migration. Nothing was reverted.',
      ),
    });
  });

  it('db baseline refuses a database that already has a history, naming its latest version numerically (exit 4)', async ({
    expect,
  }) => {
    await bad(expect, {
      files: { 'migrations/9_users.sql': USERS, 'migrations/10_posts.sql': POSTS },
      setup: (p) => migrateOk(p),
      args: ['db', 'baseline', '10'],
      exitCode: 4,
      stderr: lines(
        'error: cannot baseline public.schemagate_migrations: it already records 2 migrations (latest 10)',
        'hint: A baseline starts a history on a database that was built without schemagate. This one already has a history: use `schemagate db migrate`.',
      ),
    });
  });

  it('db seed refuses while migrations are pending and names them (exit 4)', async ({ expect }) => {
    await bad(expect, {
      files: {
        'migrations/1_users.sql': USERS,
        'migrations/2_posts.sql': POSTS,
        'seeds/01_users.sql': "INSERT INTO users VALUES (1, 'ada');\n",
      },
      setup: (p) => migrateOk(p, ['--to', '1']),
      args: ['db', 'seed'],
      exitCode: 4,
      stderr: lines(
        'error: cannot seed: 1 migration is not applied (2 pending)',
        'hint: Run `schemagate db migrate` first; seeds expect the whole schema.',
      ),
    });
  });

  it('gives up on the migration lock at --lock-wait and names who holds it (exit 9)', async ({ expect }) => {
    const p = await setUp({ 'migrations/1_users.sql': USERS });
    const holder = new pg.Client({ connectionString: p.db.adminUrl, application_name: 'another-runner' });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [lockKey('public', 'schemagate_migrations').toString()]);
      const before = await snapshot(p.db.adminUrl);
      const r = await p.run(['db', 'migrate', '--lock-wait', '1s']);
      // The holder is another role: pg_stat_activity shows this (unprivileged) role its pid and name only.
      const holderLine = 'pid <pid>, application_name "another-runner"';
      expect(normalise(r.stderr, p)).toBe(
        lines(
          `waiting for the migration lock on public.schemagate_migrations: held by ${holderLine}`,
          `error: gave up waiting 1s for the migration lock on public.schemagate_migrations; it is held by ${holderLine}`,
          'hint: Another runner is migrating this database. Let it finish and run again; if it is stuck, end it with SELECT pg_terminate_backend(<pid>); or wait longer with migrations.lockWait (--lock-wait).',
        ),
      );
      const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      expect(r.stderr).toContain(`pg_terminate_backend(${pid})`);
      expect(r.stdout).toBe('');
      expect(r.exitCode).toBe(9);
      expectNoPassword(expect, r);
      expect(await snapshot(p.db.adminUrl)).toEqual(before);
    } finally {
      await holder.end();
    }
  });
});

describe.concurrent('--json prints one JSON document on stdout for an error, and nothing on stderr', () => {
  it('reports a refused connection as {error, message, hint, exitCode} without the password', async ({ expect }) => {
    const p = await setUp({ 'migrations/1_users.sql': USERS });
    const before = await snapshot(p.db.adminUrl);
    const r = await p.run(['db', 'migrate', '--json'], {
      DATABASE_URL: p.db.url.replace(`:${port}/`, `:${closedPort}/`),
    });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(5);
    expectNoPassword(expect, r);
    expect(JSON.parse(normalise(r.stdout, p))).toEqual({
      error: 'connect.refused',
      message: 'could not connect to PostgreSQL at 127.0.0.1:<closed-port>: connection refused',
      hint: 'Is PostgreSQL running and listening there? Check the host and port of the database URL (postgres://<role>:***@127.0.0.1:<closed-port>/<db>). If it is starting, `schemagate db wait` waits for it.',
      object: 'postgres://<role>:***@127.0.0.1:<closed-port>/<db>',
      exitCode: 5,
    });
    expect(await snapshot(p.db.adminUrl)).toEqual(before);
  });

  it('reports a malformed DATABASE_URL with its key and without its unencoded password', async ({ expect }) => {
    const p = await setUp({ 'migrations/1_users.sql': USERS });
    const before = await snapshot(p.db.adminUrl);
    const r = await p.run(['db', 'status', '--json'], {
      DATABASE_URL: `postgres://${role}:${PASSWORD}@127.0.0.1:${port}/${p.db.name}`,
    });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(3);
    expectNoPassword(expect, r);
    expect(JSON.parse(r.stdout)).toEqual({
      error: 'database-url-invalid',
      message:
        'The database URL from the environment variable DATABASE_URL is not valid: expected a postgres:// or postgresql:// URL, found a string that is not a URL (percent-encode @ : / ? # in the user name and password).',
      hint: 'Use the form postgres://<user>:<password>@<host>:5432/<database>, with special characters in the password percent-encoded.',
      exitCode: 3,
    });
    expect(await snapshot(p.db.adminUrl)).toEqual(before);
  });

  it('reports a migration that fails with its file, version and location', async ({ expect }) => {
    const p = await setUp({ 'migrations/1_users.sql': USERS });
    await migrateOk(p);
    p.write('migrations/2_half.sql', 'CREATE TABLE half (id int);\nINSERT INTO missing_table VALUES (1);\n');
    const before = await snapshot(p.db.adminUrl);
    const r = await p.run(['db', 'migrate', '--json']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(6);
    expectNoPassword(expect, r);
    expect(JSON.parse(r.stdout)).toEqual({
      error: 'migration.failed',
      message: lines(
        'migrations/2_half.sql:2:13: relation "missing_table" does not exist (SQLSTATE 42P01)',
        '   1 | CREATE TABLE half (id int);',
        ' > 2 | INSERT INTO missing_table VALUES (1);',
        '     |             ^',
        '   3 |',
      ),
      hint: 'Its transaction was rolled back: nothing of it was applied.',
      file: 'migrations/2_half.sql',
      version: '2',
      exitCode: 6,
    });
    expect(await snapshot(p.db.adminUrl)).toEqual(before);
  });

  it('reports a bad command line the same way', async ({ expect }) => {
    const p = await setUp({});
    const r = await p.run(['db', 'migrate', '--json', '--too', '1']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(2);
    expectNoPassword(expect, r);
    expect(JSON.parse(r.stdout)).toEqual({
      error: 'usage',
      message: 'db migrate: unknown flag --too (did you mean --to?)',
      hint: 'See `schemagate db migrate --help`.',
      exitCode: 2,
    });
  });
});
