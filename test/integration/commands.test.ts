import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseline } from '../../src/engine/baseline.js';
import { down } from '../../src/engine/down.js';
import { migrate } from '../../src/engine/migrate.js';
import { repair } from '../../src/engine/repair.js';
import { reset } from '../../src/engine/reset.js';
import { seed } from '../../src/engine/seed.js';
import { verify } from '../../src/engine/verify.js';
import { waitForDatabase } from '../../src/engine/wait.js';
import { cli } from '../support/cli.js';
import { engineOpts, migrationsDir, write, failure } from '../support/engine.js';
import { freshDatabase, rows, tables } from '../support/pg.js';

const M = {
  '1_users.sql': 'CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL UNIQUE);',
  '1_users.down.sql': 'DROP TABLE users;',
  '2_posts.sql': 'CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users (id));',
  'rollback_2.sql': 'DROP TABLE posts;',
  '3_email.sql': 'ALTER TABLE users ADD COLUMN email text;',
  '3_email.down.sql': 'ALTER TABLE users DROP COLUMN email;',
};
const S = {
  '001_users.sql': `INSERT INTO users VALUES (1, 'ada'), (2, 'grace') ON CONFLICT DO NOTHING;`,
  '002_posts.sql': `INSERT INTO posts VALUES (1, 1) ON CONFLICT DO NOTHING;`,
};

describe('db seed', () => {
  it('runs each seed once, in name order, and records it with kind seed', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir(M, S);
    await migrate(engineOpts(url, dir));
    const first = await seed(engineOpts(url, dir));
    expect(first.applied.map((a) => a.name)).toEqual(['001_users.sql', '002_posts.sql']);
    const second = await seed(engineOpts(url, dir));
    expect(second).toMatchObject({ applied: [], unchanged: ['001_users.sql', '002_posts.sql'], changed: [] });
    expect(await rows(url, `SELECT version FROM schemagate_migrations WHERE kind = 'seed' ORDER BY version`)).toEqual([
      { version: '001_users.sql' },
      { version: '002_posts.sql' },
    ]);
  });

  it('runs a changed seed again only with --force', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir(M, S);
    await migrate(engineOpts(url, dir));
    await seed(engineOpts(url, dir));
    write(dir, 'seeds/001_users.sql', `INSERT INTO users VALUES (3, 'linus') ON CONFLICT DO NOTHING;`);
    const skipped = await seed(engineOpts(url, dir));
    expect(skipped.changed).toEqual(['001_users.sql']);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM users')).toEqual([{ n: 2 }]);
    const forced = await seed(engineOpts(url, dir), { force: true });
    expect(forced.applied.map((a) => a.name)).toEqual(['001_users.sql', '002_posts.sql']);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM users')).toEqual([{ n: 3 }]);
  });

  it('refuses while migrations are pending', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir(M, S);
    await migrate(engineOpts(url, dir), { to: '1' });
    await expect(seed(engineOpts(url, dir))).rejects.toThrow(
      'cannot seed: 2 migrations are not applied (2 pending, 3 pending)',
    );
  });
});

describe('db down', () => {
  it('reverts the last migration by default, and every one above --to, newest first', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir(M);
    await migrate(engineOpts(url, dir));
    const one = await down(engineOpts(url, dir));
    expect(one.reverted.map((r) => r.version)).toEqual(['3']);
    expect(one.current).toBe('2');
    const all = await down(engineOpts(url, dir), { to: '0' });
    expect(all.reverted.map((r) => r.version)).toEqual(['2', '1']);
    expect(await tables(url)).toEqual(['schemagate_migrations']);
    const again = await migrate(engineOpts(url, dir));
    expect(again.applied.map((a) => a.version)).toEqual(['1', '2', '3']);
  });

  it('checks that every down script exists before reverting anything', async () => {
    const url = await freshDatabase();
    const { '1_users.down.sql': _drop, ...withoutFirstDown } = M;
    const dir = migrationsDir(withoutFirstDown);
    await migrate(engineOpts(url, dir));
    await expect(down(engineOpts(url, dir), { steps: 3 })).rejects.toThrow(
      /cannot revert: no down script for .*1_users\.sql/,
    );
    expect(await tables(url)).toEqual(['posts', 'schemagate_migrations', 'users']);
  });
});

describe('db baseline', () => {
  it('adopts an existing database: versions up to the baseline are not run, later ones are', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir(M);
    await rows(url, M['1_users.sql']);
    await rows(url, M['2_posts.sql']);
    const b = await baseline(engineOpts(url, dir), '2');
    expect(b).toEqual({ version: '2', covered: 2 });
    const r = await migrate(engineOpts(url, dir));
    expect(r.applied.map((a) => a.version)).toEqual(['3']);
  });
});

describe('db repair', () => {
  it('accepts the checksum of an edited migration only when named', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir(M);
    await migrate(engineOpts(url, dir));
    write(dir, 'migrations/2_posts.sql', `-- posts belong to users\n${M['2_posts.sql']}`);
    const report = await repair(engineOpts(url, dir), {});
    expect(report.done).toEqual([]);
    expect(report.remaining).toMatchObject([
      { version: '2', state: 'changed', fix: 'schemagate db repair --accept 2' },
    ]);
    const fixed = await repair(engineOpts(url, dir), { accept: ['2'] });
    expect(fixed.done.map((d) => [d.action, d.version])).toEqual([['accept', '2']]);
    expect((await migrate(engineOpts(url, dir))).applied).toEqual([]);
  });

  it('forgets an applied version whose file was deleted on purpose', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir(M);
    await migrate(engineOpts(url, dir));
    rmSync(join(dir, 'migrations/3_email.sql'));
    rmSync(join(dir, 'migrations/3_email.down.sql'));
    await expect(migrate(engineOpts(url, dir))).rejects.toThrow(/db repair --forget 3/);
    await repair(engineOpts(url, dir), { forget: ['3'] });
    expect((await migrate(engineOpts(url, dir))).applied).toEqual([]);
  });
});

describe('db verify', () => {
  it('passes when everything is applied and the required tables and columns exist', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir(M);
    await migrate(engineOpts(url, dir));
    const r = await verify(engineOpts(url, dir), [
      { name: 'users', columns: ['id', 'name', 'email'] },
      { name: 'public.posts', columns: [] },
    ]);
    expect(r).toEqual({ ok: true, current: '3', known: '3', newer: [], problems: [] });
  });

  it('lists what is missing: pending migrations, tables and columns', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir(M);
    await migrate(engineOpts(url, dir), { to: '2' });
    const r = await verify(engineOpts(url, dir), [
      { name: 'users', columns: ['email'] },
      { name: 'comments', columns: [] },
    ]);
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^migration .*3_email\.sql \(version 3\) is not applied$/),
      'column public.users.email does not exist',
      'table public.comments does not exist',
    ]);
  });

  it('is what the CLI exits 8 on, with the problems on stderr', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir(M);
    write(dir, 'schemagate.yaml', 'verify:\n  tables:\n    - users\n');
    const r = await cli(['db', 'verify'], { cwd: dir, env: { DATABASE_URL: url } });
    expect(r.exitCode).toBe(8);
    expect(r.stderr).toContain('table public.users does not exist');
  });
});

describe('db status', () => {
  it('exits 7 while migrations are pending and 0 once applied, with --json for programs', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir(M);
    const pending = await cli(['db', 'status', '--json'], { cwd: dir, env: { DATABASE_URL: url } });
    expect(pending.exitCode).toBe(7);
    const report = JSON.parse(pending.stdout) as { counts: Record<string, number>; database: string };
    expect(report.counts).toMatchObject({ applied: 0, pending: 3 });
    expect(report.database).not.toContain(new URL(url).password);
    await migrate(engineOpts(url, dir));
    const done = await cli(['db', 'status'], { cwd: dir, env: { DATABASE_URL: url } });
    expect(done.exitCode).toBe(0);
    expect(done.stdout).toMatch(/3 applied, 0 pending/);
  });
});

describe('db wait', () => {
  it('returns as soon as PostgreSQL answers', async () => {
    const url = await freshDatabase();
    const r = await waitForDatabase({ url, applicationName: 'test' }, { timeoutMs: 5000 });
    expect(r.attempts).toBe(1);
  });

  it('gives up at the deadline on a closed port, saying what it waited for', async () => {
    const started = Date.now();
    const err = await failure(
      waitForDatabase({ url: 'postgres://u:pw-xyz@127.0.0.1:1/db', applicationName: 'test' }, { timeoutMs: 700 }),
    );
    expect(err.message).toMatch(
      /^PostgreSQL did not accept connections within 700ms \(\d+ attempts\); last error: could not connect to PostgreSQL at 127\.0\.0\.1:1: connection refused$/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('db reset', () => {
  it('drops and recreates the managed schema with the history, only with --yes', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir(M);
    await migrate(engineOpts(url, dir));
    await expect(reset(engineOpts(url, dir), { yes: false })).rejects.toThrow(/refusing without --yes/);
    expect(await tables(url)).toHaveLength(3);
    await reset(engineOpts(url, dir), { yes: true });
    expect(await tables(url)).toEqual([]);
    expect((await migrate(engineOpts(url, dir))).applied).toHaveLength(3);
  });
});
