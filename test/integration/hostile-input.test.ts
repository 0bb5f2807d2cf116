import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { printStatus, statusExitCode } from '../../src/cli/print-status.js';
import type { Output } from '../../src/cli/output.js';
import { baseline } from '../../src/engine/baseline.js';
import { down } from '../../src/engine/down.js';
import { migrate } from '../../src/engine/migrate.js';
import { repair } from '../../src/engine/repair.js';
import { status } from '../../src/engine/status.js';
import { verify } from '../../src/engine/verify.js';
import { cli, type CliResult, project } from '../support/cli.js';
import { engineOpts, failure } from '../support/engine.js';
import { admin, adminUrl, freshDatabase, rows, tables, urlFor } from '../support/pg.js';

/**
 * Odd files, URLs, roles and histories, as a hostile user tries them. Each
 * case pins the message, the exit code and what the database holds
 * afterwards; the built CLI runs where its output is what is tested
 * (secrets, warnings, a permission a pod meets), the engine elsewhere.
 */
const PASSWORD = 'Hostile-pa55word-q';
const SSL_PASSWORD = 'Key-passphrase-77';
const role = `sg_hostile_${randomBytes(3).toString('hex')}`;
const reader = `sg_reader_${randomBytes(3).toString('hex')}`;
const databases: string[] = [];
let port: string;

beforeAll(async () => {
  port = new URL(adminUrl()).port;
  await admin(async (c) => {
    await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}'`);
    await c.query(`CREATE ROLE ${reader} LOGIN PASSWORD '${PASSWORD}'`);
  });
});

afterAll(async () => {
  await admin(async (c) => {
    for (const d of databases) await c.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
    await c.query(`DROP ROLE IF EXISTS ${role}`);
    await c.query(`DROP ROLE IF EXISTS ${reader}`);
  });
});

interface Db {
  name: string;
  url: string;
  admin: string;
}

/** A database owned by the role (the migration runner), public owned by the role too. */
async function database(): Promise<Db> {
  const adminDb = await freshDatabase();
  const name = new URL(adminDb).pathname.slice(1);
  databases.push(name);
  await admin((c) => c.query(`ALTER DATABASE ${name} OWNER TO ${role}`));
  await admin((c) => c.query(`ALTER SCHEMA public OWNER TO ${role}`), name);
  return { name, url: urlFor(name, { name: role, password: PASSWORD }), admin: adminDb };
}

function run(dir: string, args: string[], url?: string): Promise<CliResult> {
  return cli(args, { cwd: dir, env: url ? { DATABASE_URL: url } : {} });
}

function noSecrets(expect: { (v: unknown): { not: { toContain(x: string): void } } }, r: CliResult): void {
  for (const s of [PASSWORD, SSL_PASSWORD, encodeURIComponent(PASSWORD)]) expect(r.all).not.toContain(s);
}

const USERS = 'CREATE TABLE users (id int PRIMARY KEY);\n';

describe.concurrent(
  'files that would be changed on their way, or cannot be read, are refused before anything runs (exit 4)',
  () => {
    it('a byte that is not UTF-8 and a NUL byte, each with its line and byte', async ({ expect }) => {
      const db = await database();
      const dir = project({ 'migrations/1_users.sql': USERS });
      writeFileSync(
        join(dir, 'migrations/2_cafe.sql'),
        Buffer.from([...Buffer.from('INSERT INTO users VALUES (1); -- caf'), 0xe9, 0x0a]),
      );
      writeFileSync(join(dir, 'migrations/3_nul.sql'), Buffer.from('SELECT 1;\n\0\n'));
      const err = await failure(migrate(engineOpts(db.url, dir)));
      expect(err.exitCode).toBe(4);
      expect(err.message).toBe(
        [
          '2 problems in the migration files:',
          `  - ${dir}/migrations/2_cafe.sql: line 1, byte 37 of the line (offset 36): 0xE9 is not valid UTF-8 (bytes 0xE9 0x0A). schemagate reads SQL files as UTF-8; this one looks saved in another encoding (Latin-1 or Windows-1252 write é as 0xE9). Convert it, e.g. \`iconv -f latin1 -t utf-8\``,
          `  - ${dir}/migrations/3_nul.sql: line 2, byte 1 of the line (offset 10): a NUL byte (0x00), which PostgreSQL text cannot hold. Is it a binary file, or saved as UTF-16? Save it as UTF-8 text`,
        ].join('\n'),
      );
      expect(await tables(db.admin)).toEqual([]);
    });

    it('a folder named like a migration, a dangling symbolic link, and a file nobody may read', async ({ expect }) => {
      const db = await database();
      const dir = project({ 'migrations/1_users.sql': USERS, 'migrations/6_secret.sql': 'SELECT 6;\n' });
      mkdirSync(join(dir, 'migrations/4_dir.sql'));
      symlinkSync(join(dir, 'gone.sql'), join(dir, 'migrations/5_link.sql'));
      chmodSync(join(dir, 'migrations/6_secret.sql'), 0o000);
      chmodSync(dir, 0o755);
      // As root every file is readable: run as nobody to meet the permission error a pod meets.
      const r = await cliAs(65534, dir, ['db', 'migrate'], db.url);
      expect(r.exitCode).toBe(4);
      expect(r.stderr).toBe(
        [
          'error: 3 problems in the migration files:',
          '  - migrations/4_dir.sql: is a folder, not a file: a folder in the migrations folder must not be named like a migration; rename or move it',
          `  - migrations/5_link.sql: is a symbolic link to ${join(dir, 'gone.sql')}, which does not exist: fix or remove the link`,
          '  - migrations/6_secret.sql: cannot be read: permission denied. Give the user that runs schemagate read access (e.g. chmod a+r)',
        ].join('\n'),
      );
      expect(await tables(db.admin)).toEqual([]);
    });

    it('an sslrootcert that points nowhere is a configuration error naming the file (exit 3)', async ({ expect }) => {
      const db = await database();
      const dir = project({ 'migrations/1_users.sql': USERS });
      const err = await failure(status(engineOpts(`${db.url}?sslmode=verify-full&sslrootcert=/nowhere/ca.pem`, dir)));
      expect(err.exitCode).toBe(3);
      expect(err.message).toBe("the database URL's sslrootcert file /nowhere/ca.pem does not exist");
      expect(err.hint).toBe(
        "Point sslrootcert at a readable PEM file (the server's CA certificate for sslrootcert, the client certificate and key for sslcert and sslkey), or remove the parameter from the URL.",
      );
    });
  },
);

async function cliAs(uid: number, dir: string, args: string[], url: string): Promise<CliResult> {
  const { execa } = await import('execa');
  const { cliPath } = await import('../support/cli.js');
  const r = await execa(process.execPath, [cliPath, ...args], {
    cwd: dir,
    env: { DATABASE_URL: url, NO_COLOR: '1', CI: '1', HOME: '/tmp' },
    uid,
    gid: uid,
    reject: false,
    all: true,
  });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, all: r.all };
}

describe.concurrent('secrets in the database URL are never printed, and never break --json', () => {
  it('a password given as ?password= : the JSON stays valid and shows ***', async ({ expect }) => {
    const db = await database();
    const dir = project({ 'migrations/1_users.sql': USERS });
    const url = `postgres://${role}@127.0.0.1:${port}/${db.name}?password=${PASSWORD}`;
    const json = await run(dir, ['db', 'status', '--json'], url);
    expect(json.exitCode).toBe(7);
    expect((JSON.parse(json.stdout) as { database: string }).database).toBe(
      `postgres://${role}@127.0.0.1:${port}/${db.name}?password=***`,
    );
    noSecrets(expect, json);
    const text = await run(dir, ['db', 'status'], url);
    expect(text.stdout.split('\n')[0]).toBe(`database  postgres://${role}@127.0.0.1:${port}/${db.name}?password=***`);
    noSecrets(expect, text);
  });

  it('an sslpassword (the passphrase of the SSL key) is hidden in hints and JSON errors too', async ({ expect }) => {
    const dir = project({ 'migrations/1_users.sql': USERS });
    const url = `postgres://${role}:${PASSWORD}@127.0.0.1:1/db?sslpassword=${SSL_PASSWORD}&sslmode=disable`;
    const text = await run(dir, ['db', 'status'], url);
    expect(text.exitCode).toBe(5);
    expect(text.stderr).toContain(`(postgres://${role}:***@127.0.0.1:1/db?sslpassword=***&sslmode=disable)`);
    noSecrets(expect, text);
    const json = await run(dir, ['db', 'status', '--json'], url);
    expect(JSON.parse(json.stdout)).toMatchObject({
      error: 'connect.refused',
      object: `postgres://${role}:***@127.0.0.1:1/db?sslpassword=***&sslmode=disable`,
    });
    noSecrets(expect, json);
  });

  it('a password given with --database-url is in no output of a failing migration, text or JSON', async ({
    expect,
  }) => {
    const db = await database();
    const dir = project({ 'migrations/1_bad.sql': 'SELECT * FROM nope;\n' });
    for (const extra of [['--verbose'], ['--json']]) {
      const r = await cli(['db', 'migrate', '--database-url', db.url, ...extra], { cwd: dir });
      expect(r.exitCode).toBe(6);
      noSecrets(expect, r);
    }
  });

  it("sslmode=require means what it means to psql, without the driver's multi-line warning", async ({ expect }) => {
    const db = await database();
    const dir = project({ 'migrations/1_users.sql': USERS });
    const require = await run(dir, ['db', 'status'], `${db.url}?sslmode=require`);
    // The test server has no SSL: refused, with libpq's meaning of require and without pg's multi-line warning.
    expect(require.exitCode).toBe(5);
    expect(require.stderr).not.toContain('SECURITY WARNING');
    expect(require.stderr.split('\n')).toHaveLength(2);
    noSecrets(expect, require);
  });
});

describe.concurrent('privileges: the one that is missing is named with its GRANT (exit 3)', () => {
  it('a role without CREATE on the database migrates when the schema exists and it may create in it', async ({
    expect,
  }) => {
    const adminDb = await freshDatabase();
    const name = new URL(adminDb).pathname.slice(1);
    databases.push(name);
    await admin(async (c) => {
      await c.query(`REVOKE CREATE ON DATABASE ${name} FROM PUBLIC`);
      await c.query(`GRANT CONNECT ON DATABASE ${name} TO ${reader}`);
    });
    await admin((c) => c.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${reader}`), name);
    const dir = project({ 'migrations/1_users.sql': USERS });
    await migrate(engineOpts(urlFor(name, { name: reader, password: PASSWORD }), dir));
    expect(await tables(adminDb)).toEqual(['schemagate_migrations', 'users']);
  });

  it('the application role without SELECT on the history: status and verify say so, not "a bug"', async ({
    expect,
  }) => {
    const db = await database();
    const dir = project({ 'migrations/1_users.sql': USERS });
    await migrate(engineOpts(db.url, dir));
    await admin((c) => c.query(`GRANT USAGE ON SCHEMA public TO ${reader}`), db.name);
    const app = engineOpts(urlFor(db.name, { name: reader, password: PASSWORD }), dir);
    for (const err of [await failure(status(app)), await failure(verify(app, []))]) {
      expect(err.exitCode).toBe(3);
      expect(err.message).toBe(
        `role "${reader}" cannot read the migration history public.schemagate_migrations: it has no SELECT privilege on it`,
      );
      expect(err.hint).toBe(
        `As the owner of the object (or a superuser), run: GRANT SELECT ON "public"."schemagate_migrations" TO "${reader}"; Or give schemagate a database URL whose role has it.`,
      );
    }
  });

  it('a role that may not create in the schema is told before anything runs', async ({ expect }) => {
    const db = await database();
    await admin((c) => c.query(`GRANT USAGE ON SCHEMA public TO ${reader}`), db.name);
    const dir = project({ 'migrations/1_users.sql': USERS });
    const err = await failure(migrate(engineOpts(urlFor(db.name, { name: reader, password: PASSWORD }), dir)));
    expect(err.exitCode).toBe(3);
    expect(err.message).toBe(
      `role "${reader}" cannot create the migration history public.schemagate_migrations: it has no CREATE privilege on schema public`,
    );
    expect(err.hint).toBe(
      `As the owner of the object (or a superuser), run: GRANT CREATE ON SCHEMA "public" TO "${reader}"; Or give schemagate a database URL whose role has it.`,
    );
    expect(await tables(db.admin)).toEqual([]);
  });
});

describe.concurrent('every wrong history state has a suggestion that works', () => {
  const three = {
    'migrations/1_a.sql': 'CREATE TABLE a (id int);\n',
    'migrations/2_b.sql': 'CREATE TABLE b (id int);\n',
    'migrations/3_c.sql': 'CREATE TABLE c (id int);\n',
  };

  it('db baseline above the highest migration is refused: later migrations would never run (exit 2)', async ({
    expect,
  }) => {
    const db = await database();
    const dir = project(three);
    const err = await failure(baseline(engineOpts(db.url, dir), '99'));
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(
      `baseline 99: the highest migration in ${dir}/migrations/ is 3 (${dir}/migrations/3_c.sql); a baseline above it would record migrations you add later (4, 5, ...) as applied without ever running them`,
    );
    expect(err.hint).toBe(
      'Baseline at the version of the last migration the database already has, e.g. `schemagate db baseline 3`.',
    );
    expect(await tables(db.admin)).toEqual([]);
  });

  it('rows written by hand (02 next to 2, abc): status exits 4 naming them, and repair --forget takes them', async ({
    expect,
  }) => {
    const db = await database();
    const dir = project(three);
    await migrate(engineOpts(db.url, dir));
    await rows(
      db.admin,
      `INSERT INTO schemagate_migrations (kind, version, description, script, checksum, success) VALUES ('migration', '02', 'x', 'hand', 'x', true), ('migration', 'abc', 'x', 'hand', 'x', true)`,
    );
    const s = await status(engineOpts(db.url, dir));
    expect(statusExitCode(s)).toBe(4);
    expect(s.migrations.filter((m) => m.fix).map((m) => m.fix)).toEqual([
      'schemagate db repair --forget 02',
      'schemagate db repair --forget abc',
    ]);
    await repair(engineOpts(db.url, dir), { forget: ['02', 'abc'] });
    expect(statusExitCode(await status(engineOpts(db.url, dir)))).toBe(0);
    expect(await rows(db.admin, 'SELECT version FROM schemagate_migrations ORDER BY version')).toEqual([
      { version: '1' },
      { version: '2' },
      { version: '3' },
    ]);
  });

  it('a deleted history row (out of order): status exits 4 as the README says, and repair --mark-applied records it', async ({
    expect,
  }) => {
    const db = await database();
    const dir = project(three);
    await migrate(engineOpts(db.url, dir));
    await rows(db.admin, `DELETE FROM schemagate_migrations WHERE version = '2'`);
    const s = await status(engineOpts(db.url, dir));
    expect(statusExitCode(s)).toBe(4);
    expect(s.migrations.find((m) => m.version === '2')).toMatchObject({
      state: 'out-of-order',
      fix: 'schemagate db repair --mark-applied 2 (its changes are in the database: its history row was lost), or set migrations.outOfOrder: true and run schemagate db migrate (they are not)',
    });
    const r = await repair(engineOpts(db.url, dir), { markApplied: ['2'] });
    expect(r.done).toEqual([{ action: 'mark-applied', version: '2', file: `${dir}/migrations/2_b.sql` }]);
    expect(statusExitCode(await status(engineOpts(db.url, dir)))).toBe(0);
  });

  it('a history table dropped while the schema remains: migrate names db baseline, which then works', async ({
    expect,
  }) => {
    const db = await database();
    const dir = project(three);
    await migrate(engineOpts(db.url, dir));
    await rows(db.admin, 'DROP TABLE schemagate_migrations');
    const err = await failure(migrate(engineOpts(db.url, dir)));
    expect(err.exitCode).toBe(6);
    expect(err.message).toMatch(/\/migrations\/1_a\.sql:1:1: relation "a" already exists \(SQLSTATE 42P07\)/);
    expect(err.hint).toBe(
      'Its transaction was rolled back: nothing of it was applied. There was no migration history (public.schemagate_migrations) before this run, but the database already has this object: it was built without schemagate, or its history table was dropped. If the database already has the migrations up to some version V, record that with `schemagate db baseline V` and run again.',
    );
    await baseline(engineOpts(db.url, dir), '3');
    expect((await migrate(engineOpts(db.url, dir))).applied).toEqual([]);
  });
});

describe.concurrent('down scripts', () => {
  const files = {
    'migrations/1_a.sql': 'CREATE TABLE a (id int);\n',
    'migrations/1_a.down.sql': 'DROP TABLE a;\n',
    'migrations/2_b.sql': 'CREATE TABLE b (id int);\n',
    'migrations/2_b.down.sql': '-- drop it\nDROP TABLE b;\nDROP TABLE nope;\n',
  };

  it('a failing statement is located at its own line, and the revert is rolled back', async ({ expect }) => {
    const db = await database();
    const dir = project(files);
    await migrate(engineOpts(db.url, dir));
    const err = await failure(down(engineOpts(db.url, dir)));
    expect(err.exitCode).toBe(6);
    expect(err.message).toMatch(/\/migrations\/2_b\.down\.sql:3:1: table "nope" does not exist \(SQLSTATE 42P01\)/);
    expect(await tables(db.admin)).toEqual(['a', 'b', 'schemagate_migrations']);
  });

  it('an empty down script, a --to version that does not exist and --to below a baseline are refused', async ({
    expect,
  }) => {
    const db = await database();
    const dir = project({ ...files, 'migrations/2_b.down.sql': '-- nothing yet\n' });
    await migrate(engineOpts(db.url, dir));
    const empty = await failure(down(engineOpts(db.url, dir)));
    expect(empty.exitCode).toBe(4);
    expect(empty.message).toBe(
      `cannot revert: ${dir}/migrations/2_b.down.sql is empty (only whitespace or comments), so it would revert nothing while the history says reverted`,
    );
    expect(empty.hint).toBe(
      `Write the SQL that undoes ${dir}/migrations/2_b.sql; if there is really nothing to undo, say so with a statement that does nothing (e.g. \`SELECT 1;\` under a comment explaining why). Nothing was reverted.`,
    );
    const to3 = await failure(down(engineOpts(db.url, dir), { to: '3' }));
    expect([to3.exitCode, to3.message, to3.hint]).toEqual([
      2,
      '--to 3: there is no migration with version 3',
      'Applied versions: 1, 2; --to 0 reverts them all.',
    ]);
    const baselined = await database();
    await baseline(engineOpts(baselined.url, dir), '1');
    const below = await failure(down(engineOpts(baselined.url, dir), { to: '0' }));
    expect([below.exitCode, below.message, below.hint]).toEqual([
      4,
      '--to 0: the history starts at the baseline 1: the migrations up to it were never run by schemagate and have no history rows to revert',
      '`schemagate db down --to 1` reverts everything above the baseline; below it, change the database by hand (or `schemagate db reset` in development). Nothing was reverted.',
    ]);
    expect(await tables(db.admin)).toEqual(['a', 'b', 'schemagate_migrations']);
  });

  it('one that runs outside a transaction and stops part-way is half-reverted, and the next db down finishes it', async ({
    expect,
  }) => {
    const db = await database();
    const broken =
      '-- schemagate:no-transaction\nDROP INDEX CONCURRENTLY b_x;\nDROP INDEX CONCURRENTLY b_nope;\nDROP INDEX CONCURRENTLY b_y;\n';
    const dir = project({
      'migrations/1_b.sql': 'CREATE TABLE b (x int, y int);\n',
      'migrations/2_idx.sql': 'CREATE INDEX b_x ON b (x);\nCREATE INDEX b_y ON b (y);\n',
      'migrations/2_idx.down.sql': broken,
    });
    await migrate(engineOpts(db.url, dir));
    const err = await failure(down(engineOpts(db.url, dir)));
    expect(err.exitCode).toBe(6);
    expect(err.message).toMatch(/\/migrations\/2_idx\.down\.sql:3:1: index "b_nope" does not exist \(SQLSTATE 42704\)/);
    // The command line shows the state with the command that continues (that is what `db status` prints).
    const s = await status(engineOpts(db.url, dir));
    expect(statusExitCode(s)).toBe(4);
    const printed = print(s);
    expect(printed).toContain(
      `its down script stopped after statement 1 of 3: ${dir}/migrations/2_idx.down.sql:3:1: index "b_nope" does not exist (SQLSTATE 42704)`,
    );
    expect(printed).toContain('fix: schemagate db down (finishes reverting it)');
    writeFileSync(join(dir, 'migrations/2_idx.down.sql'), broken.replace('b_nope', 'IF EXISTS b_nope'));
    const lines: string[] = [];
    await down(engineOpts(db.url, dir, { log: (l) => lines.push(l) }));
    expect(lines[0]).toBe(`${dir}/migrations/2_idx.down.sql: resuming at statement 2 of 3 (line 3)`);
    expect(await rows(db.admin, `SELECT version FROM schemagate_migrations`)).toEqual([{ version: '1' }]);
    expect(await rows(db.admin, `SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'b'`)).toEqual([{ n: 0 }]);
  });
});

/** What `db status` prints for a report, as text. */
function print(report: Awaited<ReturnType<typeof status>>): string {
  const lines: string[] = [];
  const out = { result: (l: string) => lines.push(l), paint: (_s: string, t: string) => t } as unknown as Output;
  printStatus(out, report);
  return lines.join('\n');
}

describe.concurrent('SQL that psql would run', () => {
  it('COPY ... FROM STDIN with its data lines runs, in a transaction and outside one', async ({ expect }) => {
    const db = await database();
    const dir = project({
      'migrations/1_items.sql':
        "CREATE TABLE items (id int PRIMARY KEY, name text);\nCOPY items (id, name) FROM stdin;\n1\tone; with a semicolon\n2\t\\N\n\\.\nINSERT INTO items VALUES (3, 'three');\n",
      'migrations/2_more.sql':
        '-- schemagate:no-transaction\nCOPY items FROM stdin WITH (FORMAT csv);\n4,"four, quoted"\n\\.\nVACUUM items;\n',
    });
    await migrate(engineOpts(db.url, dir));
    expect(await rows(db.admin, 'SELECT id, name FROM items ORDER BY id')).toEqual([
      { id: 1, name: 'one; with a semicolon' },
      { id: 2, name: null },
      { id: 3, name: 'three' },
      { id: 4, name: 'four, quoted' },
    ]);
  });

  it('a bad COPY data line is located at its line in the file', async ({ expect }) => {
    const db = await database();
    const dir = project({
      'migrations/1_items.sql': 'CREATE TABLE items (id int);\nCOPY items FROM stdin;\n1\nx\n\\.\n',
    });
    const err = await failure(migrate(engineOpts(db.url, dir)));
    expect(err.exitCode).toBe(6);
    expect(err.message).toMatch(
      /\/migrations\/1_items\.sql:4:1: invalid input syntax for type integer: "x" \(SQLSTATE 22P02\)/,
    );
    expect(err.message).toContain('  where: COPY items, line 2, column id: "x"');
    expect(await tables(db.admin)).toEqual([]);
  });

  it('a psql meta-command is refused before any migration runs (exit 4)', async ({ expect }) => {
    const db = await database();
    const dir = project({ 'migrations/1_users.sql': USERS, 'migrations/2_set.sql': "\\set n 3\nSELECT :'n';\n" });
    const err = await failure(migrate(engineOpts(db.url, dir)));
    expect([err.exitCode, err.message, err.hint]).toEqual([
      4,
      `${dir}/migrations/2_set.sql:1:1: \\set is a psql meta-command: schemagate sends SQL to the server and does not run psql commands`,
      'Instead, write the value into the SQL itself (psql variables are not expanded). Nothing was run.',
    ]);
    expect(await tables(db.admin)).toEqual([]);
  });
});

describe.concurrent('what PostgreSQL says while a migration runs', () => {
  const RAISE =
    "CREATE TABLE t (id int);\nDO $$ BEGIN RAISE WARNING 'careful: % rows', 3; RAISE NOTICE 'just so you know'; END $$;\n";

  it('warnings are shown with their migration and line, even with --quiet; notices only with --verbose', async ({
    expect,
  }) => {
    const db = await database();
    const dir = project({ 'migrations/1_raise.sql': RAISE });
    const quiet = await run(dir, ['db', 'migrate', '--quiet'], db.url);
    expect(quiet.exitCode).toBe(0);
    expect(quiet.stderr).toBe('warning: migrations/1_raise.sql:2: WARNING: careful: 3 rows');
    const db2 = await database();
    const verbose = await run(dir, ['db', 'migrate', '--verbose'], db2.url);
    expect(verbose.stderr).toContain('warning: migrations/1_raise.sql:2: WARNING: careful: 3 rows');
    expect(verbose.stderr).toContain('migrations/1_raise.sql:2: NOTICE: just so you know');
  });
});

describe.concurrent('smaller ones', () => {
  it('--wait-for-db names itself in its hint (not --timeout, which db migrate does not take)', async ({ expect }) => {
    const dir = project({ 'migrations/1_users.sql': USERS });
    const r = await run(dir, ['db', 'migrate', '--wait-for-db', '300ms'], `postgres://u:${PASSWORD}@127.0.0.1:1/db`);
    expect(r.exitCode).toBe(5);
    expect(r.stderr.split('\n').at(-1)).toMatch(/ If it is still starting, wait longer with --wait-for-db\.$/);
    noSecrets(expect, r);
  });

  it('db status says a half-applied run was stopped, rather than an empty reason', async ({ expect }) => {
    const db = await database();
    const dir = project({
      'migrations/1_a.sql':
        '-- schemagate:no-transaction\nCREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_i ON a (id);\n',
    });
    await migrate(engineOpts(db.url, dir));
    await rows(
      db.admin,
      `UPDATE schemagate_migrations SET success = false, statements_applied = 1, statements_total = 2, statement_checksums = ARRAY['x'], error = NULL`,
    );
    const s = await status(engineOpts(db.url, dir));
    expect(statusExitCode(s)).toBe(4);
    expect(print(s)).toContain('stopped after statement 1 of 2 (the run was stopped)');
  });
});
