import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, project, repoRoot } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { freshDatabase, rows } from '../support/pg.js';

/**
 * `schemagate lint`: the real CLI running the real Squawk (npm squawk-cli) on
 * files as schemagate runs them, against a real PostgreSQL where it says
 * what is pending. Rule names are Squawk's, documented at
 * https://squawkhq.com/docs/rules (sbdchd/squawk docs/docs/<rule>.md):
 * adding-field-with-default, require-concurrent-index-creation,
 * adding-not-nullable-field, changing-column-type,
 * constraint-missing-not-valid, adding-foreign-key-constraint,
 * require-lock-timeout, require-statement-timeout.
 */
interface Finding {
  file: string;
  version: string;
  line: number;
  column: number;
  rule: string;
  severity: 'error' | 'warning';
  message: string;
  help?: string;
  note?: string;
}
interface Report {
  ok: boolean;
  scope: { kind: string; since?: string; from?: string; database?: string; current?: string };
  pgVersion?: { version: string; from: string };
  files: Array<{ file: string; version: string; transactional: boolean; satisfiedBySchemagate: string[] }>;
  findings: Finding[];
  errors: number;
  warnings: number;
  linted: number;
}

async function lint(dir: string, args: string[] = [], env: Record<string, string | undefined> = {}) {
  const r = await cli(['lint', '--json', ...args], { cwd: dir, env });
  // Every test here reads the report: without one, the output says why.
  if (!r.stdout.trim().startsWith('{'))
    throw new Error(`lint --json printed no report (exit ${r.exitCode}):\n${r.all}`);
  return { ...r, report: JSON.parse(r.stdout) as Report };
}

/** Where `needle` starts in `text`: `line:column`, 1-based, the column in code points (as an editor shows it). */
function pos(text: string, needle: string): string {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`${needle} not in the text`);
  const before = text
    .replace(/^\uFEFF/, '')
    .slice(0, text.replace(/^\uFEFF/, '').indexOf(needle))
    .split(/\r?\n/);
  return `${before.length}:${Array.from(before.at(-1)!).length + 1}`;
}

/** The findings of one rule, as `file:line:column severity`. */
const at = (r: Report, rule: string) =>
  r.findings.filter((f) => f.rule === rule).map((f) => `${f.file}:${f.line}:${f.column} ${f.severity}`);

const TABLES = 'CREATE TABLE users (id bigint PRIMARY KEY, email text, name text, org_id bigint);\n';

describe('schemagate lint: the dangers of a migration for a live database', () => {
  it('reports each danger at its file:line:column, as an error, and exits 12', async () => {
    const files = {
      'migrations/001_users.sql': TABLES,
      // A volatile default rewrites the table.
      'migrations/002_rewrite.sql':
        '-- an id for every row\n\nALTER TABLE users ADD COLUMN uid uuid DEFAULT gen_random_uuid();\n',
      'migrations/003_index.sql': '-- lookups by email\n  CREATE INDEX users_email ON users (email);\n',
      'migrations/004_not_null.sql': 'SELECT 1;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n',
      'migrations/005_type.sql': "-- é😀\nSELECT '😀'; ALTER TABLE users ALTER COLUMN org_id TYPE text;\n",
      'migrations/006_check.sql': 'ALTER TABLE users ADD CONSTRAINT users_id_positive CHECK (id > 0);\n',
      'migrations/007_fk.sql':
        'CREATE TABLE orgs (id bigint PRIMARY KEY);\nALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id);\n',
    };
    const where = (file: keyof typeof files, needle: string) => `${file}:${pos(files[file], needle)} error`;
    const { exitCode, report } = await lint(project(files));
    expect(exitCode).toBe(12);
    expect(report.ok).toBe(false);
    expect(report.scope).toEqual({ kind: 'all' });
    expect(at(report, 'adding-field-with-default')).toEqual([where('migrations/002_rewrite.sql', 'gen_random_uuid()')]);
    expect(at(report, 'require-concurrent-index-creation')).toEqual([
      where('migrations/003_index.sql', 'CREATE INDEX'),
    ]);
    expect(at(report, 'adding-not-nullable-field')).toEqual([where('migrations/004_not_null.sql', 'SET NOT NULL')]);
    expect(at(report, 'changing-column-type')).toEqual([where('migrations/005_type.sql', 'TYPE text')]);
    expect(at(report, 'constraint-missing-not-valid')).toEqual([
      where('migrations/006_check.sql', 'ADD CONSTRAINT'),
      where('migrations/007_fk.sql', 'ADD CONSTRAINT'),
    ]);
    expect(at(report, 'adding-foreign-key-constraint')).toEqual([
      where('migrations/007_fk.sql', 'CONSTRAINT users_org_fk'),
    ]);
    // The positions, spelled out once: an emoji before the statement counts as one column.
    expect(where('migrations/005_type.sql', 'TYPE text')).toBe('migrations/005_type.sql:2:51 error');
    const index = report.findings.find((f) => f.rule === 'require-concurrent-index-creation')!;
    expect(index).toMatchObject({
      version: '3',
      message: 'During normal index creation, table updates are blocked, but reads are still allowed.',
      help: 'Use `concurrently` to avoid blocking writes.',
    });
  });

  it('prints file:line:column, the rule, the message, a code frame and Squawk help', async () => {
    const dir = project({
      'migrations/001_index.sql': '-- lookups by email\n  CREATE INDEX users_email ON users (email);\n',
    });
    const r = await cli(['lint'], { cwd: dir });
    expect(r.exitCode).toBe(12);
    expect(r.stdout).toContain(
      [
        'migrations/001_index.sql:2:3: error require-concurrent-index-creation: During normal index creation, table updates are blocked, but reads are still allowed.',
        ' > 2 |   CREATE INDEX users_email ON users (email);',
        '     |   ^',
        '  help: Use `concurrently` to avoid blocking writes.',
        '  see: https://squawkhq.com/docs/require-concurrent-index-creation',
      ].join('\n'),
    );
    expect(r.stdout).toMatch(
      /^lint: all 1 migration \(no database given\); PostgreSQL version not given \(Squawk's default: a current one\); Squawk 2\.\d+\.\d+\n1 error, 1 warning in 1 file$/m,
    );
  });

  it('passes a migration written to be safe on a live database', async () => {
    const dir = project({
      // With a statement_timeout set by schemagate too, not even a warning is left.
      'schemagate.yaml': 'migrations:\n  statementTimeout: 10m\n',
      'migrations/001_users.sql': TABLES,
      'migrations/002_add.sql':
        'ALTER TABLE users ADD COLUMN IF NOT EXISTS nickname text;\nALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;\n',
      'migrations/003_validate.sql': 'ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\n',
      'migrations/004_index.sql': 'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);\n',
    });
    const { exitCode, report, stderr } = await lint(dir, [], {});
    expect(report.findings, stderr).toEqual([]);
    expect(exitCode).toBe(0);
    expect(report.linted).toBe(4);
    expect((await cli(['lint'], { cwd: dir })).stdout).toMatch(/^no findings in 4 migrations$/m);
  });

  it('lints a transaction-wrapped migration as such: NOT VALID and VALIDATE in one transaction block reads', async () => {
    const sql =
      'ALTER TABLE users ADD CONSTRAINT users_id_positive CHECK (id > 0) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_id_positive;\n';
    const dir = project({ 'migrations/001_users.sql': TABLES, 'migrations/002_check.sql': sql });
    const { report } = await lint(dir);
    expect(report.files.map((f) => [f.version, f.transactional])).toEqual([
      ['1', true],
      ['2', true],
    ]);
    expect(at(report, 'constraint-missing-not-valid')).toEqual(['migrations/002_check.sql:2:19 error']);
    expect(report.findings.find((f) => f.rule === 'constraint-missing-not-valid')?.message).toBe(
      'Using `NOT VALID` and `VALIDATE CONSTRAINT` in the same transaction will block all reads while the constraint is validated.',
    );
  });

  it('lints a no-transaction migration without --assume-in-transaction: each statement commits on its own', async () => {
    const dir = project({
      'migrations/001_users.sql': TABLES,
      'migrations/002_check.sql':
        '-- schemagate:no-transaction\nALTER TABLE users ADD CONSTRAINT users_id_positive CHECK (id > 0) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_id_positive;\n',
      // Detected: CONCURRENTLY cannot run in a transaction, so it is not linted as if it did.
      'migrations/003_index.sql': 'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);\n',
    });
    const { report } = await lint(dir);
    expect(report.files.map((f) => [f.version, f.transactional])).toEqual([
      ['1', true],
      ['2', false],
      ['3', false],
    ]);
    expect(at(report, 'constraint-missing-not-valid')).toEqual([]);
    expect(at(report, 'ban-concurrent-index-creation-in-transaction')).toEqual([]);
  });

  it('does not report a missing lock_timeout: schemagate sets it before each migration', async () => {
    const sql = 'ALTER TABLE users ADD COLUMN IF NOT EXISTS nickname text;\n';
    const dir = project({ 'migrations/001_users.sql': TABLES, 'migrations/002_add.sql': sql });
    const set = (await lint(dir)).report;
    expect(at(set, 'require-lock-timeout')).toEqual([]);
    expect(set.files[1]!.satisfiedBySchemagate).toEqual(['require-lock-timeout']);

    // With migrations.lockTimeout 0 schemagate sets none, and Squawk's rule speaks.
    writeFileSync(join(dir, 'schemagate.yaml'), 'migrations:\n  lockTimeout: 0\n');
    const unset = (await lint(dir)).report;
    expect(unset.files[1]!.satisfiedBySchemagate).toEqual([]);
    expect(at(unset, 'require-lock-timeout')).toEqual(['migrations/002_add.sql:1:1 error']);
    expect(unset.findings.find((f) => f.rule === 'require-lock-timeout')?.note).toMatch(
      /^schemagate sets lock_timeout before each migration when migrations\.lockTimeout \(or `-- schemagate:lock-timeout 5s` at the top of the file\) is above 0; it is 0 for this file\.$/,
    );

    // A file's own directive counts as well; both timeouts set also satisfy Squawk's older combined rule.
    writeFileSync(
      join(dir, 'migrations/002_add.sql'),
      `-- schemagate:lock-timeout 2s\n-- schemagate:statement-timeout 1m\n${sql}`,
    );
    const directive = (await lint(dir)).report;
    expect(directive.files[1]!.satisfiedBySchemagate).toEqual([
      'require-lock-timeout',
      'require-statement-timeout',
      'require-timeout-settings',
    ]);
    expect(directive.findings.filter((f) => f.file === 'migrations/002_add.sql')).toEqual([]);
  });

  it('maps positions in a dbmate file to the file, and does not lint its down section', async () => {
    const index =
      "\uFEFF-- migrate:up\r\n-- ünïcödé 😀\r\nSELECT 'é';  CREATE INDEX users_email ON users (email);\r\n\r\n-- migrate:down\r\nDROP INDEX users_email;\r\n";
    const dir = project({
      'migrations/20240101000000_users.sql': `-- migrate:up\r\n${TABLES.trimEnd()}\r\n\r\n-- migrate:down\r\nDROP TABLE users;\r\n`,
      'migrations/20240102000000_index.sql': index,
    });
    const { report } = await lint(dir);
    expect(pos(index, 'CREATE INDEX')).toBe('3:14');
    expect(at(report, 'require-concurrent-index-creation')).toEqual(['migrations/20240102000000_index.sql:3:14 error']);
    expect(report.findings.filter((f) => /ban-drop|require-concurrent-index-deletion/.test(f.rule))).toEqual([]);
  });
});

// Each layout is read as its tool reads it (src/engine/formats): lint sees the text that runs, at the file's positions.
describe("schemagate lint: other tools' layouts", () => {
  const CHECK =
    'ALTER TABLE users ADD CONSTRAINT users_id_positive CHECK (id > 0) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_id_positive;\n';

  // goose: https://github.com/pressly/goose#sql-migrations (Up/Down sections, StatementBegin/End, NO TRANSACTION)
  it('maps positions in a goose file to the file (its Up section, blocks included), and never lints the Down section', async () => {
    const index =
      "-- +goose Up\r\n-- +goose StatementBegin\r\nCREATE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1';\r\n-- +goose StatementEnd\r\n-- ünïcödé 😀\r\nSELECT 'é';  CREATE INDEX users_email ON users (email);\r\n\r\n-- +goose Down\r\nDROP INDEX users_email;\r\nDROP FUNCTION one();\r\n";
    const dir = project({
      'migrations/20240101000000_users.sql': `-- +goose Up\n${TABLES}\n-- +goose Down\nDROP TABLE users;\n`,
      'migrations/20240102000000_index.sql': index,
    });
    const { report, stderr } = await lint(dir);
    expect(report, stderr).toBeDefined();
    expect(report.files.map((f) => [f.file, f.version, f.transactional])).toEqual([
      ['migrations/20240101000000_users.sql', '20240101000000', true],
      ['migrations/20240102000000_index.sql', '20240102000000', true],
    ]);
    expect(pos(index, 'CREATE INDEX')).toBe('6:14');
    expect(at(report, 'require-concurrent-index-creation')).toEqual(['migrations/20240102000000_index.sql:6:14 error']);
    // The Down sections drop a table and a non-concurrent index: linted, they would be findings.
    expect(report.findings.filter((f) => /ban-drop|require-concurrent-index-deletion/.test(f.rule))).toEqual([]);
  });

  it('lints a goose NO TRANSACTION file without --assume-in-transaction, and the same file without the marker in one', async () => {
    const dir = project({
      'migrations/00001_users.sql': `-- +goose Up\n${TABLES}`,
      'migrations/00002_check.sql': `-- +goose NO TRANSACTION\n-- +goose Up\n${CHECK}-- +goose Down\nALTER TABLE users DROP CONSTRAINT users_id_positive;\n`,
    });
    const outside = (await lint(dir)).report;
    expect(outside.files.map((f) => [f.version, f.transactional])).toEqual([
      ['1', true],
      ['2', false],
    ]);
    expect(at(outside, 'constraint-missing-not-valid')).toEqual([]);

    writeFileSync(
      join(dir, 'migrations/00002_check.sql'),
      `-- +goose Up\n-- (no marker: goose runs it in a transaction)\n${CHECK}-- +goose Down\nALTER TABLE users DROP CONSTRAINT users_id_positive;\n`,
    );
    const inside = (await lint(dir)).report;
    expect(inside.files.map((f) => [f.version, f.transactional])).toEqual([
      ['1', true],
      ['2', true],
    ]);
    expect(at(inside, 'constraint-missing-not-valid')).toEqual(['migrations/00002_check.sql:4:19 error']);
  });

  // diesel: https://diesel.rs/guides/getting-started (folders) and diesel_migrations src/file_based_migrations.rs (metadata.toml)
  it("maps positions in a diesel folder to its up.sql, with diesel's versions, and follows run_in_transaction = false", async () => {
    const index = "-- ünïcödé 😀\nSELECT 'é';  CREATE INDEX users_email ON users (email);\n";
    const dir = project({
      'migrations/2019-02-26-002946_create_users/up.sql': TABLES,
      'migrations/2019-02-26-002946_create_users/down.sql': 'DROP TABLE users;\n',
      'migrations/2019-02-27-101010_index_email/up.sql': index,
      'migrations/2019-02-27-101010_index_email/down.sql': 'DROP INDEX users_email;\n',
      'migrations/2019-02-28-000000_check_id/up.sql': CHECK,
      'migrations/2019-02-28-000000_check_id/down.sql': 'ALTER TABLE users DROP CONSTRAINT users_id_positive;\n',
      'migrations/2019-02-28-000000_check_id/metadata.toml': 'run_in_transaction = false\n',
    });
    const { report } = await lint(dir);
    expect(report.files.map((f) => [f.file, f.version, f.transactional])).toEqual([
      ['migrations/2019-02-26-002946_create_users/up.sql', '20190226002946', true],
      ['migrations/2019-02-27-101010_index_email/up.sql', '20190227101010', true],
      ['migrations/2019-02-28-000000_check_id/up.sql', '20190228000000', false],
    ]);
    expect(pos(index, 'CREATE INDEX')).toBe('2:14');
    expect(at(report, 'require-concurrent-index-creation')).toEqual([
      'migrations/2019-02-27-101010_index_email/up.sql:2:14 error',
    ]);
    expect(at(report, 'constraint-missing-not-valid')).toEqual([]);

    // Without metadata.toml diesel runs up.sql in a transaction, and Squawk is told so.
    rmSync(join(dir, 'migrations/2019-02-28-000000_check_id/metadata.toml'));
    const tx = (await lint(dir)).report;
    expect(tx.files[2]).toMatchObject({ version: '20190228000000', transactional: true });
    expect(at(tx, 'constraint-missing-not-valid')).toEqual(['migrations/2019-02-28-000000_check_id/up.sql:2:19 error']);
  });

  it('lints a file wrapped in BEGIN ... COMMIT as the one transaction it runs in: no transaction-nesting, positions kept', async () => {
    const wrapped = `BEGIN;\n${CHECK.trimEnd()} COMMIT;\n`;
    const dir = project({
      'migrations/001_users.up.sql': TABLES,
      'migrations/001_users.down.sql': 'DROP TABLE users;\n',
      'migrations/002_check.up.sql': wrapped,
      'migrations/002_check.down.sql': 'ALTER TABLE users DROP CONSTRAINT users_id_positive;\n',
    });
    const { report } = await lint(dir);
    expect(report.files.map((f) => [f.version, f.transactional])).toEqual([
      ['1', true],
      ['2', true],
    ]);
    expect(pos(wrapped, 'VALIDATE CONSTRAINT')).toBe('3:19');
    expect(at(report, 'constraint-missing-not-valid')).toEqual(['migrations/002_check.up.sql:3:19 error']);
    expect(at(report, 'transaction-nesting')).toEqual([]);
  });

  it('lints sql-migrate, Prisma and drizzle folders at the positions of their files, sql-migrate notransaction outside a transaction', async () => {
    const sqlMigrate = project({
      'migrations/1_users.sql': `-- +migrate Up\n${TABLES}-- +migrate Down\nDROP TABLE users;\n`,
      'migrations/2_index.sql':
        '-- +migrate Up notransaction\nCREATE INDEX users_email ON users (email);\n-- +migrate Down\nDROP INDEX users_email;\n',
    });
    const a = (await lint(sqlMigrate)).report;
    expect(a.files.map((f) => [f.version, f.transactional])).toEqual([
      ['1_users.sql', true],
      ['2_index.sql', false],
    ]);
    expect(at(a, 'require-concurrent-index-creation')).toEqual(['migrations/2_index.sql:2:1 error']);

    const prisma = project({
      'migrations/migration_lock.toml': 'provider = "postgresql"\n',
      'migrations/20210101000000_init/migration.sql': `-- CreateTable\n${TABLES}`,
      'migrations/20210201000000_email/migration.sql':
        '-- CreateIndex\nCREATE INDEX "users_email" ON "users"("email");\n',
    });
    expect(at((await lint(prisma)).report, 'require-concurrent-index-creation')).toEqual([
      'migrations/20210201000000_email/migration.sql:2:1 error',
    ]);

    const drizzle = project({
      'migrations/meta/_journal.json': JSON.stringify({
        version: '7',
        dialect: 'postgresql',
        entries: [
          { idx: 0, version: '7', when: 1700000000000, tag: '0000_users', breakpoints: true },
          { idx: 1, version: '7', when: 1700000001000, tag: '0001_email', breakpoints: true },
        ],
      }),
      'migrations/0000_users.sql': TABLES,
      'migrations/0001_email.sql':
        'ALTER TABLE "users" ADD COLUMN "nick" text;--> statement-breakpoint\nCREATE INDEX "users_email" ON "users" ("email");',
      // Not in the journal: drizzle does not run it, so it is not linted either.
      'migrations/0002_stray.sql': 'CREATE INDEX "users_name" ON "users" ("name");',
    });
    const d = (await lint(drizzle)).report;
    expect(d.files.map((f) => f.file)).toEqual(['migrations/0000_users.sql', 'migrations/0001_email.sql']);
    expect(at(d, 'require-concurrent-index-creation')).toEqual(['migrations/0001_email.sql:2:1 error']);
  });
});

describe('schemagate lint: which migrations', () => {
  it('against a database, lints only what is pending there, for its server version', async () => {
    const url = await freshDatabase();
    const dir = project({
      'migrations/001_users.sql': TABLES,
      'migrations/002_index.sql': 'CREATE INDEX users_email ON users (email);\n',
      'migrations/003_type.sql': 'ALTER TABLE users ALTER COLUMN name TYPE text;\n',
    });
    expect((await cli(['db', 'migrate', '--to', '2'], { cwd: dir, env: { DATABASE_URL: url } })).exitCode).toBe(0);
    // The server's own version string (e.g. "17.10" or "16.4 (Debian 16.4-1)"), read independently of schemagate.
    const [server] = await rows<{ v: string }>(url, `SELECT current_setting('server_version') AS v`);
    const expected = server!.v.split(' ')[0];

    const { exitCode, report, all } = await lint(dir, [], { DATABASE_URL: url });
    expect(exitCode, all).toBe(12);
    expect(report.scope).toMatchObject({ kind: 'pending', current: '2' });
    expect(report.pgVersion).toEqual({ version: expected, from: 'the server' });
    expect(report.files.map((f) => f.file)).toEqual(['migrations/003_type.sql']);
    expect(at(report, 'changing-column-type')).toEqual(['migrations/003_type.sql:1:37 error']);
    expect(at(report, 'require-concurrent-index-creation')).toEqual([]);
    // The password of the URL is never shown.
    const password = new URL(url).password;
    if (password) expect(all).not.toContain(password);

    // Everything applied: nothing to lint. --pg-version wins over the server's.
    expect((await cli(['db', 'migrate'], { cwd: dir, env: { DATABASE_URL: url } })).exitCode).toBe(0);
    const done = await lint(dir, ['--database-url', url, '--pg-version', '10']);
    expect(done.exitCode).toBe(0);
    expect(done.report).toMatchObject({ linted: 0, findings: [], pgVersion: { version: '10', from: '--pg-version' } });
    expect((await cli(['lint', '--database-url', url], { cwd: dir })).stdout).toMatch(/^nothing to lint$/m);
  });

  it('without a database: all migrations, those after lint.since, or after --since; --all ignores lint.since', async () => {
    const dir = project({
      'schemagate.yaml': 'lint:\n  since: 1\n',
      'migrations/001_users.sql': TABLES,
      'migrations/002_index.sql': 'CREATE INDEX users_email ON users (email);\n',
      'migrations/003_type.sql': 'ALTER TABLE users ALTER COLUMN name TYPE text;\n',
    });
    const offline = (await lint(dir)).report;
    expect(offline.scope).toEqual({ kind: 'since', since: '1', from: 'lint.since' });
    expect(offline.files.map((f) => f.version)).toEqual(['2', '3']);
    const since = (await lint(dir, ['--since', '2'])).report;
    expect(since.scope).toEqual({ kind: 'since', since: '2', from: '--since' });
    expect(since.files.map((f) => f.version)).toEqual(['3']);
    expect((await lint(dir, ['--all'])).report.files.map((f) => f.version)).toEqual(['1', '2', '3']);
    // --offline: DATABASE_URL is not used.
    const off = await lint(dir, ['--offline'], { DATABASE_URL: 'postgres://nobody:secret@127.0.0.1:1/none' });
    expect(off.report.scope.kind).toBe('since');
  });

  it('--local: what is pending on the embedded PostgreSQL, for its version', async () => {
    const port = await freePort();
    const dir = project({ 'schemagate.yaml': `local:\n  port: ${port}\n`, 'migrations/001_users.sql': TABLES });
    // As root, the embedded server runs as the postgres user, which must be able to enter the project.
    chmodSync(dir, 0o755);
    const migrated = await cli(['migrate', '--local'], { cwd: dir, timeout: 90_000 });
    expect(migrated.exitCode, migrated.all).toBe(0);
    writeFileSync(join(dir, 'migrations/002_index.sql'), 'CREATE INDEX users_email ON users (email);\n');
    const { report, all } = await lint(dir, ['--local']);
    expect(report.scope, all).toMatchObject({ kind: 'pending', current: '1' });
    expect(report.files.map((f) => f.version)).toEqual(['2']);
    expect(report.pgVersion?.from).toBe('the server');
    expect(at(report, 'require-concurrent-index-creation')).toEqual(['migrations/002_index.sql:1:1 error']);
  }, 120_000);

  it('--local without an embedded database yet: every migration is pending there', async () => {
    const dir = project({ 'migrations/001_users.sql': TABLES });
    const r = await lint(dir, ['--local']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.report.scope).toEqual({ kind: 'all' });
  });

  it('--pg-version 10 reports a constant default as a table rewrite (PostgreSQL before 11 rewrote the table)', async () => {
    const dir = project({
      'migrations/001_users.sql': TABLES,
      'migrations/002_flag.sql': 'ALTER TABLE users ADD COLUMN IF NOT EXISTS active boolean DEFAULT true;\n',
    });
    expect(at((await lint(dir)).report, 'adding-field-with-default')).toEqual([]);
    const old = (await lint(dir, ['--pg-version', '10'])).report;
    expect(old.pgVersion).toEqual({ version: '10', from: '--pg-version' });
    expect(at(old, 'adding-field-with-default')).toEqual(['migrations/002_flag.sql:1:67 error']);
    writeFileSync(join(dir, 'schemagate.yaml'), 'lint:\n  pgVersion: 10\n');
    expect((await lint(dir)).report.pgVersion).toEqual({ version: '10', from: 'lint.pgVersion' });
  });

  it('refuses flags that contradict each other, and a bad --since or --pg-version', async () => {
    const dir = project({ 'migrations/001_users.sql': TABLES });
    const both = await cli(['lint', '--all', '--since', '3'], { cwd: dir });
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('error: lint: --all and --since cannot be combined');
    const since = await cli(['lint', '--since', 'v3'], { cwd: dir });
    expect(since.exitCode).toBe(2);
    expect(since.stderr).toContain('error: --since v3: not a version (expected digits, e.g. 4, 1.2 or 20240101120000)');
    const pg = await cli(['lint', '--pg-version', 'banana'], { cwd: dir });
    expect(pg.exitCode).toBe(2);
    expect(pg.stderr).toContain('error: --pg-version banana: not a PostgreSQL version (expected e.g. 16 or 15.4)');
  });
});

describe('schemagate lint: configuration', () => {
  const INDEX = {
    'migrations/001_users.sql': TABLES,
    'migrations/002_index.sql': 'CREATE INDEX users_email ON users (email);\n',
  };

  it('lint.exclude leaves a rule out; lint.warn makes it a warning that does not fail', async () => {
    const excluded = project({
      ...INDEX,
      'schemagate.yaml': 'lint:\n  exclude: [require-concurrent-index-creation]\n',
    });
    const e = await lint(excluded);
    expect(e.exitCode).toBe(0);
    expect(at(e.report, 'require-concurrent-index-creation')).toEqual([]);

    const warned = project({
      ...INDEX,
      'schemagate.yaml': 'lint:\n  warn: [require-concurrent-index-creation, require-statement-timeout]\n',
    });
    const w = await lint(warned);
    expect(w.exitCode).toBe(0);
    expect(at(w.report, 'require-concurrent-index-creation')).toEqual(['migrations/002_index.sql:1:1 warning']);

    // Setting warn replaces the default list: require-statement-timeout is an error now.
    const replaced = project({ ...INDEX, 'schemagate.yaml': 'lint:\n  warn: [require-concurrent-index-creation]\n' });
    const r = await lint(replaced);
    expect(r.exitCode).toBe(12);
    expect(at(r.report, 'require-statement-timeout')).toEqual(['migrations/002_index.sql:1:1 error']);
  });

  it('--exit-zero shows the errors and exits 0', async () => {
    const r = await cli(['lint', '--exit-zero'], { cwd: project(INDEX) });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('migrations/002_index.sql:1:1: error require-concurrent-index-creation');
  });

  it('names the key of a rule Squawk does not know, and of a rule both excluded and a warning', async () => {
    const unknown = await cli(['lint'], {
      cwd: project({
        ...INDEX,
        'schemagate.yaml': 'lint:\n  exclude: [require-concurrent-index-creation, ban-everything]\n',
      }),
    });
    expect(unknown.exitCode).toBe(3);
    expect(unknown.stderr).toMatch(
      /^error: \S*schemagate\.yaml: 1 problem in the configuration:\n {2}- lint\.exclude\[1\]: Squawk 2\.\d+\.\d+ has no rule "ban-everything"\nhint: Rule names are listed at https:\/\/squawkhq\.com\/docs\/rules/m,
    );
    const both = await cli(['lint'], {
      cwd: project({ ...INDEX, 'schemagate.yaml': 'lint:\n  exclude: [ban-drop-column]\n  warn: [ban-drop-column]\n' }),
    });
    expect(both.exitCode).toBe(3);
    expect(both.stderr).toContain(
      '- lint.warn[0]: "ban-drop-column" is also in lint.exclude[0]: an excluded rule is not checked at all; keep it in one of the two lists',
    );
  });

  it('reports a Squawk comment that contradicts how schemagate runs the file', async () => {
    const dir = project({
      'migrations/001_users.sql': TABLES,
      'migrations/002_add.sql':
        '-- squawk-disable-assume-in-transaction\nALTER TABLE users ADD COLUMN IF NOT EXISTS nickname text;\n',
    });
    const { report } = await lint(dir);
    expect(at(report, 'squawk-transaction-comment')).toEqual(['migrations/002_add.sql:1:1 error']);
    expect(report.findings.find((f) => f.rule === 'squawk-transaction-comment')?.message).toMatch(
      /^this comment makes Squawk lint the file as if it ran without a transaction, but schemagate runs it in one/,
    );
  });
});

describe('schemagate lint: the squawk binary', () => {
  const dir = () => project({ 'migrations/001_users.sql': TABLES });

  function fake(script: string): string {
    const file = join(mkdtempSync(join(tmpdir(), 'fake-squawk-')), 'squawk');
    writeFileSync(file, `#!/bin/sh\n${script}\n`);
    chmodSync(file, 0o755);
    return file;
  }

  it('says how to install it when it is missing', async () => {
    const r = await cli(['lint'], { cwd: dir(), env: { SCHEMAGATE_SQUAWK: '/nonexistent/squawk' } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('error: cannot run squawk /nonexistent/squawk (from SCHEMAGATE_SQUAWK): no such file');
    expect(r.stderr).toMatch(/hint: Install it with `npm install --include=optional` in the project/);
  });

  it('refuses a binary that does not answer with the JSON report, showing what it said', async () => {
    const broken = fake(
      'case "$1" in --version) echo "squawk 2.66.0" ;; *) echo "thread main panicked" >&2; exit 101 ;; esac',
    );
    const r = await cli(['lint'], { cwd: dir(), env: { SCHEMAGATE_SQUAWK: broken } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain(
      `error: squawk ${broken} (from SCHEMAGATE_SQUAWK) exited with code 101 instead of linting:\nthread main panicked`,
    );

    const garbage = fake('case "$1" in --version) echo "squawk 2.66.0" ;; *) echo "all good" ;; esac');
    const g = await cli(['lint'], { cwd: dir(), env: { SCHEMAGATE_SQUAWK: garbage } });
    expect(g.exitCode).toBe(3);
    expect(g.stderr).toContain(
      `error: squawk ${garbage} (from SCHEMAGATE_SQUAWK) exited with code 0 without the JSON report it was asked for`,
    );
  });
});

describe('schemagate check: the lint line', () => {
  it('fails check on an error finding (exit 12) and shows warnings under a passing line', async () => {
    const dir = project({
      'migrations/001_users.sql': TABLES,
      'migrations/002_index.sql': 'CREATE INDEX users_email ON users (email);\n',
    });
    const r = await cli(['check'], { cwd: dir });
    expect(r.exitCode).toBe(12);
    expect(r.stdout).toMatch(/^FAIL {2}lint: 1 error, 1 warning in 1 file: all 2 migrations \(no database given\);/m);
    expect(r.stdout).toContain(
      '        migrations/002_index.sql:1:1: error require-concurrent-index-creation: During normal index creation, table updates are blocked, but reads are still allowed.',
    );

    writeFileSync(join(dir, 'schemagate.yaml'), 'lint:\n  since: 1\n  exclude: [require-concurrent-index-creation]\n');
    const ok = await cli(['check'], { cwd: dir });
    expect(ok.exitCode, ok.all).toBe(0);
    expect(ok.stdout).toMatch(/^ok {4}lint: 1 warning in 1 file: 1 migration after version 1 \(lint\.since\);/m);
    expect(ok.stdout).toContain('        migrations/002_index.sql:1:1: warning require-statement-timeout:');

    writeFileSync(join(dir, 'schemagate.yaml'), 'lint:\n  enabled: false\n');
    const off = await cli(['check', '--json'], { cwd: dir });
    expect((JSON.parse(off.stdout) as { checks: { name: string }[] }).checks.map((c) => c.name)).not.toContain('lint');
  });
});

describe("the README's lint example", () => {
  it('is what lint prints for a new index on the sample application, pending on a database at version 4', async () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const block = /```text\n\$ schemagate lint --database-url "\$PRODUCTION_URL"\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const url = await freshDatabase();
    const dir = project({ 'migrations/.keep': '' });
    cpSync(join(repoRoot, 'migrations'), join(dir, 'migrations'), { recursive: true });
    expect((await cli(['db', 'migrate'], { cwd: dir, env: { DATABASE_URL: url } })).exitCode).toBe(0);
    writeFileSync(
      join(dir, 'migrations/005_users_by_email.sql'),
      '-- lookups by email\nCREATE INDEX users_email_idx ON users (email);\n',
    );
    writeFileSync(join(dir, 'schemagate.yaml'), 'migrations:\n  statementTimeout: 1m\n');
    const r = await cli(['lint', '--database-url', url], { cwd: dir });
    expect(r.exitCode).toBe(12);
    // The scope line names the database, its server version and Squawk's version: the rest is verbatim.
    const scope =
      /^lint: 1 migration pending on \S+ \(at version 4\); PostgreSQL [\d.]+ \(from the server\); Squawk [\d.]+$/m;
    expect(r.stdout).toMatch(scope);
    expect(block!).toMatch(scope);
    expect(`${r.stdout}\n`.replace(scope, '<scope>')).toBe(block!.replace(scope, '<scope>'));
  });
});
