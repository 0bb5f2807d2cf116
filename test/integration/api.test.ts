import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { check, migrate, render, SchemagateError, status, verify, version } from '../../src/index.js';
import { project, repoRoot } from '../support/cli.js';
import { freshDatabase, tables } from '../support/pg.js';

// The programmatic API (README "Programmatic API"), as a team calls it from its own scripts.
const MIGRATIONS = {
  'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY, name text);',
  'migrations/002_email.sql': 'ALTER TABLE users ADD COLUMN email text;',
};

function appProject(extra: Record<string, string> = {}): string {
  return project({ 'schemagate.yaml': 'verify:\n  tables: [users]\n', ...MIGRATIONS, ...extra });
}

/** The JavaScript block under "## Programmatic API" in the README. */
function readmeExample(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Programmatic API'));
  const block = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md: no ```js block under "## Programmatic API"');
  return block;
}

describe("the README's example", () => {
  it('runs as written, importing the built package by its name: migrates, reports, verifies', async () => {
    const dir = appProject();
    // `import ... from 'schemagate'` resolves as in an installed project: package.json's exports, dist/src/index.js.
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(repoRoot, join(dir, 'node_modules', 'schemagate'), 'dir');
    writeFileSync(join(dir, 'example.mjs'), readmeExample());
    const url = await freshDatabase();
    const run = (env: Record<string, string>) =>
      execa(process.execPath, ['example.mjs'], { cwd: dir, env: { ...env, CI: '1' }, extendEnv: false, reject: false });
    const first = await run({ DATABASE_URL: url });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout.split('\n')).toEqual(['applied 2 migrations, now at version 2', '2 applied, 0 pending']);
    expect(await tables(url)).toContain('users');
    const again = await run({ DATABASE_URL: url });
    expect(again.stdout.split('\n')[0]).toBe('applied 0 migrations, now at version 2');

    const broken = await run({ DATABASE_URL: 'mysql://nobody@db/app' });
    expect(broken.exitCode).toBe(3);
    expect(broken.stderr).toContain('The database URL from the environment variable DATABASE_URL is not valid');
  });

  it('is what package.json points at: main, types and exports exist once built', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      main: string;
      types: string;
      version: string;
    };
    expect(existsSync(join(repoRoot, pkg.main)), pkg.main).toBe(true);
    expect(existsSync(join(repoRoot, pkg.types)), pkg.types).toBe(true);
    expect(version()).toBe(pkg.version);
  });
});

describe('the API', () => {
  it('migrate, status and verify take the URL and folder as options, and return typed reports', async () => {
    const dir = appProject();
    const url = await freshDatabase();
    const lines: string[] = [];
    const r = await migrate({ cwd: dir, databaseUrl: url, log: (l) => lines.push(l), to: '1' });
    expect(r.applied.map((m) => m.version)).toEqual(['1']);
    expect(lines.some((l) => l.includes('001_users.sql'))).toBe(true);
    const s = await status({ cwd: dir, databaseUrl: url });
    expect(s.counts).toMatchObject({ applied: 1, pending: 1 });
    const v = await verify({ cwd: dir, databaseUrl: url });
    expect(v.ok).toBe(false);
    expect(v.problems.map((p) => p.kind)).toEqual(['pending']);
  });

  it('reads the URL from the variable named by database.urlEnv in the env it is given', async () => {
    const dir = appProject({ 'schemagate.yaml': 'database:\n  urlEnv: APP_DB_URL\n' });
    const url = await freshDatabase();
    expect((await migrate({ cwd: dir, env: { APP_DB_URL: url } })).current).toBe('2');
    const e = await migrate({ cwd: dir, env: {} }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(SchemagateError);
    expect((e as SchemagateError).exitCode).toBe(3);
    expect((e as SchemagateError).message).toContain('the environment variable APP_DB_URL is not set');
  });

  it('check and render need no database', async () => {
    const dir = appProject({ 'migrations/003_bad.sql': '' });
    const report = await check({ cwd: dir });
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === 'migrations')).toMatchObject({ ok: false });
    const objects = await render({ cwd: appProject(), image: 'app:1', namespace: 'team' });
    const jobs = objects.filter((o) => o.kind === 'Job');
    expect(jobs.map((j) => j.metadata?.name)).toEqual([
      expect.stringMatching(/^schemagate-migrate-/),
      expect.stringMatching(/^schemagate-seed-/),
    ]);
    expect(objects.every((o) => o.kind === 'Namespace' || o.metadata?.namespace === 'team')).toBe(true);
  });
});
