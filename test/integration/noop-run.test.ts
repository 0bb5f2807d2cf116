import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksum } from '../../src/engine/checksum.js';
import { readMigrationFolder, readMigrationFolderYielding } from '../../src/engine/files.js';
import { lockKey } from '../../src/engine/lock.js';
import { migrate } from '../../src/engine/migrate.js';
import { status } from '../../src/engine/status.js';
import { engineOpts, failure, migrationsDir } from '../support/engine.js';
import { freshDatabase } from '../support/pg.js';
import { pgProxy, type PgProxy } from '../support/pg-proxy.js';

/**
 * What a `db migrate` with nothing to apply does, and does not do: it reads
 * the files while its lock connection opens, decides under the lock on that
 * connection, and never opens the script connection. Connections are counted
 * by a proxy in front of the test's PostgreSQL.
 */
let relay: PgProxy;
let direct: string;

beforeAll(async () => {
  direct = await freshDatabase();
  relay = await pgProxy(direct);
});
afterAll(() => relay.cut());

const FILES = {
  '1_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n',
  '2_posts.sql': 'CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users (id));\n',
};

describe('a db migrate with nothing to apply', () => {
  it('opens one connection (the lock), where a run that applies opens two (lock and scripts)', async () => {
    const url = relay.urlOf(await freshDatabase());
    const dir = migrationsDir(FILES);
    const first = relay.opened;
    const applied = await migrate(engineOpts(url, dir));
    expect(applied.applied.map((a) => a.version)).toEqual(['1', '2']);
    await relay.allClosed();
    expect(relay.opened - first).toBe(2);

    const lines: string[] = [];
    const before = relay.opened;
    const again = await migrate(engineOpts(url, dir, { log: (l) => lines.push(l) }));
    await relay.allClosed();
    expect(again).toEqual({ applied: [], current: '2' });
    expect(lines).toEqual(['public.schemagate_migrations: up to date at version 2']);
    expect(relay.opened - before).toBe(1);
  });

  it('still refuses an edited migration, before any script connection opens', async () => {
    const url = relay.urlOf(await freshDatabase());
    const dir = migrationsDir(FILES);
    await migrate(engineOpts(url, dir));
    await relay.allClosed();
    const before = relay.opened;
    writeFileSync(join(dir, 'migrations', '1_users.sql'), 'CREATE TABLE users (id bigint PRIMARY KEY);\n');
    const e = await failure(migrate(engineOpts(url, dir)));
    expect(e.message).toMatch(
      /1_users\.sql was changed after it was applied \(version 1, applied \d{4}-\d\d-\d\dT[\d:.]+Z\)/,
    );
    await relay.allClosed();
    expect(relay.opened - before).toBe(1);
  });

  it('closes the connection it opened while reading when the folder is bad, and reports the folder', async () => {
    const url = relay.urlOf(await freshDatabase());
    const dir = migrationsDir({ ...FILES, 'users.sql': 'SELECT 1;\n' });
    const e = await failure(migrate(engineOpts(url, dir)));
    expect(e.message).toContain('users.sql');
    expect(e.message).toContain('not a migration file name');
    // The lock connection opened alongside the reading is closed, not left to the process's exit.
    await relay.allClosed();
  });

  it('reports a bad folder at once while another runner holds the lock, without waiting for it', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ ...FILES, 'users.sql': 'SELECT 1;\n' });
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [lockKey('public', 'schemagate_migrations').toString()]);
      const waits: number[] = [];
      const sleep = (ms: number) => {
        waits.push(ms);
        return Promise.resolve();
      };
      const e = await failure(migrate(engineOpts(url, dir, { lockWaitMs: 3_600_000, sleep })));
      expect(e.message).toContain('not a migration file name');
      expect(waits).toEqual([]);
    } finally {
      await holder.end();
    }
  });

  it("reports a bad folder, not the database's error, when both are wrong", async () => {
    const dir = migrationsDir({ ...FILES, 'users.sql': 'SELECT 1;\n' });
    const unreachable = relay.urlOf(direct).replace(/:\d+\//, ':1/');
    const e = await failure(migrate(engineOpts(unreachable, dir)));
    expect(e.message).toContain('not a migration file name');
  });
});

describe('reading a folder while a connection opens', () => {
  it('gives what the plain reader gives: the same files, checksums and order', async () => {
    const files: Record<string, string> = {};
    for (let i = 1; i <= 120; i++) files[`${i}_t${i}.sql`] = `CREATE TABLE t${i} (id int);\r\n`;
    const dir = join(migrationsDir(files), 'migrations');
    const plain = readMigrationFolder(dir);
    const yielding = await readMigrationFolderYielding(dir);
    expect(yielding).toEqual(plain);
    expect(yielding.files.map((f) => f.version.text)).toEqual(Object.keys(files).map((_, i) => String(i + 1)));
  });

  it('fails with the same problems, all named', async () => {
    const dir = join(migrationsDir({ ...FILES, 'users.sql': 'SELECT 1;\n' }), 'migrations');
    // Latin-1 é: not UTF-8; and a NUL byte.
    writeFileSync(join(dir, '3_bad.sql'), Buffer.from([0x53, 0xe9, 0x0a]));
    writeFileSync(join(dir, '4_nul.sql'), Buffer.from([0x53, 0x00, 0x0a]));
    const plain = (() => {
      try {
        readMigrationFolder(dir);
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    })();
    const yielding = await readMigrationFolderYielding(dir).then(
      () => 'no error',
      (e: unknown) => (e as Error).message,
    );
    expect(yielding).toBe(plain);
    expect(yielding).toContain('3_bad.sql');
    expect(yielding).toContain('4_nul.sql');
  });
});

describe('the history as the engine reads it', () => {
  it('gives each applied time to the millisecond, as PostgreSQL stores it (microseconds cut, not rounded)', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir(FILES);
    await migrate(engineOpts(url, dir));
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(
        "UPDATE schemagate_migrations SET applied_at = CASE version WHEN '1' THEN timestamptz '2024-02-29 23:59:59.999999+00' ELSE timestamptz '1969-07-20 20:17:40.0005+00' END",
      );
    } finally {
      await c.end();
    }
    const report = await status(engineOpts(url, dir));
    expect(report.migrations.map((m) => [m.version, m.appliedAt])).toEqual([
      ['1', '2024-02-29T23:59:59.999Z'],
      ['2', '1969-07-20T20:17:40.000Z'],
    ]);
  });
});

describe('checksums', () => {
  it("are SHA-256 of the text's UTF-8 bytes, as createHash computes them", () => {
    for (const text of ['', 'CREATE TABLE t (id int);\n', "INSERT INTO t VALUES ('é ✓ 🐘');\n"])
      expect(checksum(text)).toBe(createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex'));
  });
});
