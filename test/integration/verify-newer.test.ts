import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/engine/migrate.js';
import { verify } from '../../src/engine/verify.js';
import { cli } from '../support/cli.js';
import { engineOpts, failure, migrationsDir } from '../support/engine.js';
import { freshDatabase } from '../support/pg.js';

/**
 * `db verify` during a rolling release: the old image's pods (its
 * migrations 1-3) keep serving while the new release applies 4. What they
 * need is their own migrations applied unchanged; newer versions are
 * reported, not problems. Against a real PostgreSQL.
 */
const OLD = {
  '1_users.sql': 'CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);',
  '2_posts.sql': 'CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users (id));',
  '3_email.sql': 'ALTER TABLE users ADD COLUMN email text;',
};
const NEXT = { ...OLD, '4_nickname.sql': 'ALTER TABLE users ADD COLUMN nickname text;' };
const tables = [{ name: 'users', columns: ['id', 'email'] }];

describe('db verify with versions a later release applied', () => {
  it("passes for the old image, reporting the newer version, when all of the image's own migrations are applied", async () => {
    const url = await freshDatabase();
    await migrate(engineOpts(url, migrationsDir(NEXT)));
    const r = await verify(engineOpts(url, migrationsDir(OLD)), tables);
    expect(r).toEqual({
      ok: true,
      current: '4',
      known: '3',
      newer: [
        {
          version: '4',
          description: 'nickname',
          script: expect.stringMatching(/migrations\/4_nickname\.sql$/) as unknown,
          success: true,
        },
      ],
      problems: [],
    });
  });

  it('reports a newer migration that stopped part-way without failing the old image on it', async () => {
    const url = await freshDatabase();
    const broken = {
      ...OLD,
      '4_split.sql': '-- schemagate:no-transaction\nCREATE TABLE split_a (id int);\nSELECT 1/0;\n',
    };
    await failure(migrate(engineOpts(url, migrationsDir(broken))));
    const r = await verify(engineOpts(url, migrationsDir(OLD)), tables);
    expect(r.ok).toBe(true);
    expect(r.newer).toMatchObject([{ version: '4', description: 'split', success: false }]);
  });

  it("still fails on one of the image's own migrations not applied, even when a newer one is", async () => {
    const url = await freshDatabase();
    const withoutThree = migrationsDir({
      '1_users.sql': OLD['1_users.sql'],
      '2_posts.sql': OLD['2_posts.sql'],
      '4_nickname.sql': NEXT['4_nickname.sql'],
    });
    await migrate(engineOpts(url, withoutThree));
    const r = await verify(engineOpts(url, migrationsDir(OLD)), []);
    expect(r.ok).toBe(false);
    expect(r.newer.map((v) => v.version)).toEqual(['4']);
    expect(r.problems.map((p) => [p.kind, p.subject])).toEqual([['pending', '3']]);
  });

  it('still fails on an applied version older than the newest file here whose file is gone', async () => {
    const url = await freshDatabase();
    await migrate(engineOpts(url, migrationsDir(OLD)));
    const { '2_posts.sql': _gone, ...rest } = OLD;
    const r = await verify(engineOpts(url, migrationsDir(rest)), []);
    expect(r.newer).toEqual([]);
    expect(r.problems.map((p) => [p.kind, p.subject])).toEqual([['missing-file', '2']]);
  });

  it('says so in the CLI output and --json, and exits 0', async () => {
    const url = await freshDatabase();
    // As the new release's Job runs it: from its own folder, so the history shows the file's relative path.
    const next = await cli(['db', 'migrate'], { cwd: migrationsDir(NEXT), env: { DATABASE_URL: url } });
    expect(next.exitCode, next.all).toBe(0);
    const old = migrationsDir(OLD);
    const text = await cli(['db', 'verify'], { cwd: old, env: { DATABASE_URL: url } });
    expect(text.exitCode, text.all).toBe(0);
    expect(text.stdout.trim()).toBe(
      'schema verified: version 4, 0 required tables present; this image knows up to version 3, and 1 newer version is applied by a later release: 4 (migrations/4_nickname.sql)',
    );
    const json = await cli(['db', 'verify', '--json'], { cwd: old, env: { DATABASE_URL: url } });
    expect(json.exitCode, json.all).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, known: '3', newer: [{ version: '4' }] });
  });
});
