import { chmodSync, cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, project, repoRoot } from '../support/cli.js';
import { freePort } from '../support/net.js';

describe('schemagate up --local (the main job on a machine with nothing but Node.js)', () => {
  it('starts an embedded PostgreSQL, migrates, seeds, verifies and prints the status; a second run reuses the data and does nothing', async () => {
    const port = await freePort();
    const dir = project({
      'schemagate.yaml': `local:\n  port: ${port}\n  dataDir: .schemagate\nverify:\n  tables:\n    - name: users\n      columns: [id, username, email]\n    - user_profiles\n`,
    });
    // A project folder others can enter, like a checkout under /home (as root, postgres runs as its own user).
    chmodSync(dir, 0o755);
    cpSync(join(repoRoot, 'migrations'), join(dir, 'migrations'), { recursive: true });
    cpSync(join(repoRoot, 'seeds'), join(dir, 'seeds'), { recursive: true });

    const first = await cli(['up', '--local'], { cwd: dir, timeout: 90_000 });
    expect(first.exitCode, first.all).toBe(0);
    expect(first.all).toMatch(/Embedded PostgreSQL created on port \d+/);
    expect(first.all).toMatch(/Applied 4 migrations/);
    expect(first.all).toMatch(/Seeds: 2 run, 0 unchanged/);
    expect(first.all).toMatch(/Schema verified \(version 4, 2 required tables\)/);
    expect(first.stdout).toMatch(/4 applied, 0 pending/);
    expect(existsSync(join(dir, '.schemagate/data/PG_VERSION'))).toBe(true);
    // The generated password is kept out of the output.
    expect(first.all).toMatch(/postgres:\*\*\*@127\.0\.0\.1/);

    const second = await cli(['up', '--local', '--json'], { cwd: dir, timeout: 90_000 });
    expect(second.exitCode, second.all).toBe(0);
    const report = JSON.parse(second.stdout) as { summary: string[]; counts: { applied: number } };
    expect(report.summary).toEqual([
      'Migrations up to date (version 4)',
      'Seeds: 0 run, 2 unchanged',
      'Schema verified (version 4, 2 required tables)',
    ]);
    expect(report.counts.applied).toBe(4);

    const status = await cli(['status', '--local', '--json'], { cwd: dir, timeout: 90_000 });
    expect(status.exitCode).toBe(0);
    expect((JSON.parse(status.stdout) as { seeds: { state: string }[] }).seeds.map((s) => s.state)).toEqual([
      'applied',
      'applied',
    ]);

    const fresh = await cli(['up', '--local', '--fresh'], { cwd: dir, timeout: 90_000 });
    expect(fresh.exitCode, fresh.all).toBe(0);
    expect(fresh.all).toMatch(/Embedded PostgreSQL created/);
    expect(fresh.all).toMatch(/Applied 4 migrations/);
  }, 180_000);

  it("exits with the failure's code when a migration fails on the embedded PostgreSQL", async () => {
    const port = await freePort();
    const dir = project({
      'schemagate.yaml': `local:\n  port: ${port}\n`,
      'migrations/001_bad.sql': 'CREATE TABLEE x (id int);\n',
    });
    chmodSync(dir, 0o755);
    const r = await cli(['migrate', '--local'], { cwd: dir, timeout: 90_000 });
    expect(r.exitCode).toBe(6);
    expect(r.stderr).toMatch(/migrations\/001_bad\.sql:1:8: syntax error at or near "TABLEE"/);
  }, 120_000);
});
