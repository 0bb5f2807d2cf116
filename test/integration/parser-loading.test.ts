import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, project, repoRoot } from '../support/cli.js';
import { freshDatabase } from '../support/pg.js';

const HOOK = join(repoRoot, 'test/support/record-imports.mjs');

/** Runs the CLI with a resolve hook that writes down every libpg-query module it loads. */
async function loaded(
  args: string[],
  dir: string,
  url: string,
): Promise<{ exitCode: number; parser: string[]; all: string }> {
  const record = join(dir, `imports-${args.join('-').replace(/\W+/g, '_')}.txt`);
  const r = await cli(args, {
    cwd: dir,
    env: { DATABASE_URL: url, SCHEMAGATE_RECORD_FILE: record, SCHEMAGATE_RECORD_MATCH: '/libpg-query/' },
    nodeArgs: ['--import', HOOK],
  });
  const parser = existsSync(record) ? readFileSync(record, 'utf8').split('\n').filter(Boolean) : [];
  return { exitCode: r.exitCode, parser, all: r.all };
}

describe("PostgreSQL's parser is loaded only where it is used", () => {
  it('db migrate and every command a pod runs never load libpg-query; check and db plan do', async () => {
    const url = await freshDatabase();
    const dir = project({
      'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n',
      'migrations/001_users.down.sql': 'DROP TABLE users;\n',
      'migrations/002_posts.sql': 'CREATE TABLE posts (id int PRIMARY KEY);\n',
      'migrations/002_posts.down.sql': 'DROP TABLE posts;\n',
      'seeds/001_users.sql': 'INSERT INTO users VALUES (1);\n',
    });
    // What `db plan` needs the parser for: a migration still pending.
    const plan = await loaded(['db', 'plan'], dir, url);
    expect(plan.exitCode, plan.all).toBe(7);
    expect(plan.parser).toEqual([expect.stringMatching(/node_modules\/libpg-query\//)]);

    for (const args of [
      ['db', 'wait'],
      ['db', 'migrate'],
      ['db', 'status'],
      ['db', 'verify'],
      ['db', 'seed'],
      ['db', 'down', '--to', '1'],
      ['db', 'migrate', '--wait-for-db', '5s'],
    ]) {
      const r = await loaded(args, dir, url);
      expect(r.exitCode, `${args.join(' ')}: ${r.all}`).toBe(0);
      expect(r.parser, args.join(' ')).toEqual([]);
    }

    const check = await loaded(['check'], dir, url);
    expect(check.exitCode, check.all).toBe(0);
    expect(check.parser).toEqual([expect.stringMatching(/node_modules\/libpg-query\//)]);
  });
});
