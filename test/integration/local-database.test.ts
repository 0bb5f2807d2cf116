import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliPath, project, repoRoot } from '../support/cli.js';
import { listeningAddress } from '../support/backend-process.js';
import { freePort } from '../support/net.js';
import { withDb } from '../support/pg.js';

/** A copy of the sample application, in a folder the postgres user can enter (as root it runs as that user). */
function sampleProject(): string {
  const dir = project({
    'schemagate.yaml': 'verify:\n  tables:\n    - name: users\n      columns: [id, username, email]\n',
  });
  chmodSync(dir, 0o755);
  cpSync(join(repoRoot, 'migrations'), join(dir, 'migrations'), { recursive: true });
  cpSync(join(repoRoot, 'seeds'), join(dir, 'seeds'), { recursive: true });
  return dir;
}

const started: string[] = [];
afterAll(async () => {
  // Whatever a failed test left running.
  for (const dir of started) await cli(['local', 'stop', '--force'], { cwd: dir });
});

const psqlInstalled = (() => {
  try {
    execFileSync('psql', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('schemagate local: a database you keep', () => {
  it('local start leaves it running for every --local command, psql and other tools, until local stop', async () => {
    const dir = sampleProject();
    const port = await freePort();
    started.push(dir);
    const start = await cli(['local', 'start', '--port', String(port)], { cwd: dir });
    expect(start.exitCode, start.all).toBe(0);
    expect(start.stdout).toContain(
      `started the embedded PostgreSQL on port ${port}; it keeps running until \`schemagate local stop\``,
    );
    expect(start.stdout).toContain(`url       postgres://postgres:***@127.0.0.1:${port}/schemagate`);
    expect(start.stdout).toContain(`password  ${join(dir, '.schemagate/password')} (user postgres)`);
    const password = readFileSync(join(dir, '.schemagate/password'), 'utf8').trim();
    expect(start.all).not.toContain(password);

    // Commands find it on its own port, whatever local.port says.
    const status = await cli(['local', 'status'], { cwd: dir });
    expect([status.exitCode, status.stdout.split('\n')[0]]).toEqual([0, `running on port ${port}`]);
    const again = await cli(['local', 'start'], { cwd: dir });
    expect(again.stdout.split('\n')[0]).toBe(`the embedded PostgreSQL is already running on port ${port}`);

    const url = await cli(['local', 'url', '--show-password'], { cwd: dir });
    expect(url.stdout.trim()).toBe(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/schemagate`);
    expect(
      await withDb(url.stdout.trim(), async (c) => (await c.query<{ one: number }>('SELECT 1 AS one')).rows),
    ).toEqual([{ one: 1 }]);
    expect((await cli(['local', 'url'], { cwd: dir })).stdout.trim()).toBe(
      `postgres://postgres:***@127.0.0.1:${port}/schemagate`,
    );

    const migrate = await cli(['db', 'migrate', '--local'], { cwd: dir });
    expect(migrate.exitCode, migrate.all).toBe(0);
    expect(migrate.stdout.trim()).toBe('applied 4 migrations; now at version 4');
    expect(migrate.stderr).toContain(`the embedded PostgreSQL is already running on port ${port}: using that`);
    const dbStatus = await cli(['db', 'status', '--local', '--json'], { cwd: dir });
    expect((JSON.parse(dbStatus.stdout) as { counts: { applied: number } }).counts.applied).toBe(4);
    expect((await cli(['db', 'plan', '--local'], { cwd: dir })).exitCode).toBe(0);
    const rollback = await cli(['db', 'rollback', '--local'], { cwd: dir });
    expect([rollback.exitCode, rollback.stdout.trim()]).toEqual([0, 'reverted 1 migration; now at version 3']);
    // An edited migration: the error's repair command reaches the same database.
    appendFileSync(join(dir, 'migrations/003_add_indexes.sql'), '-- reviewed\n');
    const drift = await cli(['migrate', '--local'], { cwd: dir });
    expect(drift.exitCode).toBe(4);
    expect(drift.stderr).toContain('accept it with `schemagate db repair --accept 3 --local`');
    const repair = await cli(['db', 'repair', '--accept', '3', '--local'], { cwd: dir });
    expect(repair.exitCode, repair.all).toBe(0);
    const structured = await cli(['migrate', '--local', '--json'], { cwd: dir });
    expect(JSON.parse(structured.stdout)).toMatchObject({
      applied: [{ version: '4', file: 'migrations/004_add_user_email.sql' }],
      current: '4',
      local: { port, leftRunning: true },
    });

    if (psqlInstalled) {
      const psql = await cli(['local', 'psql', '-c', 'SELECT count(*) AS migrations FROM schemagate_migrations'], {
        cwd: dir,
      });
      expect(psql.exitCode, psql.all).toBe(0);
      expect(psql.stdout).toMatch(/migrations\s*\n-+\s*\n\s*4\s*\n\(1 row\)/);
      const bad = await cli(['local', 'psql', '--', '-v', 'ON_ERROR_STOP=1', '-c', 'SELEC 1'], { cwd: dir });
      expect(bad.exitCode).toBe(1);
    } else {
      const psql = await cli(['local', 'psql', '-c', 'SELECT 1'], { cwd: dir, env: { PATH: '/nonexistent' } });
      expect([psql.exitCode, psql.stderr.split('\n').at(-2)]).toEqual([
        3,
        'error: psql is not installed (or not on the PATH)',
      ]);
    }

    const fresh = await cli(['local', 'start', '--fresh'], { cwd: dir });
    expect(fresh.exitCode).toBe(11);
    expect(fresh.stderr).toContain('hint: Stop it first with `schemagate local stop`, then run again with --fresh.');

    const stop = await cli(['local', 'stop'], { cwd: dir });
    expect(stop.exitCode, stop.all).toBe(0);
    expect(stop.stdout.trim()).toBe(
      `stopped the embedded PostgreSQL on port ${port}; its data stays in ${join(dir, '.schemagate/data')}`,
    );
    expect(existsSync(join(dir, '.schemagate/data/postmaster.pid'))).toBe(false);
    const after = await cli(['local', 'status', '--json'], { cwd: dir });
    expect([after.exitCode, (JSON.parse(after.stdout) as { running: boolean }).running]).toEqual([5, false]);
  });

  it('up --local --keep leaves it running and says how to reach it; a --local command without one starts its own and stops it', async () => {
    const dir = sampleProject();
    const port = await freePort();
    started.push(dir);
    const own = await cli(['db', 'status', '--local', '--port', String(port)], { cwd: dir });
    expect(own.exitCode, own.all).toBe(7);
    expect(own.stderr).toContain(`started the embedded PostgreSQL on port ${port} for this command`);
    expect((await cli(['local', 'status'], { cwd: dir })).exitCode).toBe(5);

    const up = await cli(['up', '--local', '--keep', '--port', String(port)], { cwd: dir });
    expect(up.exitCode, up.all).toBe(0);
    expect(up.stdout).toContain(`the embedded PostgreSQL is running on port ${port}:`);
    expect(up.stdout).toContain('schemagate local psql');
    expect((await cli(['local', 'status'], { cwd: dir })).exitCode).toBe(0);
    expect((await cli(['db', 'verify', '--local'], { cwd: dir })).exitCode).toBe(0);
    expect((await cli(['local', 'stop'], { cwd: dir })).exitCode).toBe(0);
  });

  it('reset --local drops the schema only with --yes (or a yes in a terminal)', async () => {
    const dir = sampleProject();
    const port = String(await freePort());
    const refused = await cli(['reset', '--local', '--port', port], { cwd: dir });
    expect(refused.exitCode).toBe(11);
    expect(refused.stderr).toBe(
      [
        'error: reset --local drops public with everything in it and the migration history; refusing without --yes',
        'hint: Run it again with --yes if that is what you want.',
      ].join('\n'),
    );
    const done = await cli(['reset', '--local', '--yes', '--port', port], { cwd: dir });
    expect(done.exitCode, done.all).toBe(0);
    expect(done.stdout).toContain('Applied 4 migrations');
  });

  it('backend --local serves from the embedded PostgreSQL; local stop leaves it alone unless --force', async () => {
    const dir = sampleProject();
    const port = String(await freePort());
    expect((await cli(['db', 'migrate', '--local', '--port', port], { cwd: dir })).exitCode).toBe(0);
    const backend = execa(process.execPath, [cliPath, 'backend', '--local', '--port', port], {
      cwd: dir,
      env: { NO_COLOR: '1', PORT: '0' },
      reject: false,
    });
    const listening = await listeningAddress(backend.stdout, backend);
    const health = await fetch(`${listening}/health`);
    expect(health.status).toBe(200);

    const stop = await cli(['local', 'stop'], { cwd: dir });
    expect(stop.exitCode).toBe(11);
    expect(stop.stderr).toMatch(
      /^error: the embedded PostgreSQL on port \d+ is in use by another schemagate command \(pid \d+\); it stops when that command ends$/m,
    );
    expect((await fetch(`${listening}/health`)).status).toBe(200);

    backend.kill('SIGTERM');
    expect((await backend).exitCode).toBe(0);
    // It stopped with the command that started it.
    expect((await cli(['local', 'status'], { cwd: dir })).exitCode).toBe(5);
  });

  it('names the port in use and every way to pick another', async () => {
    const dir = sampleProject();
    const busy = createServer();
    const port = await new Promise<number>((resolve) =>
      busy.listen(0, '127.0.0.1', () => resolve((busy.address() as { port: number }).port)),
    );
    try {
      const r = await cli(['db', 'status', '--local', '--port', String(port)], { cwd: dir });
      expect(r.exitCode).toBe(5);
      expect(r.stderr).toContain(`error: the embedded PostgreSQL did not start on port ${port}: the port is in use`);
      expect(r.stderr).toContain(
        `hint: Is another server using port ${port}? Pick another with --port N, or set local.port in schemagate.yaml (every --local command then uses it).`,
      );
    } finally {
      busy.close();
    }
  });

  it('refuses --local together with --database-url', async () => {
    const r = await cli(['db', 'status', '--local', '--database-url', 'postgres://a:secret@localhost/x']);
    expect([r.exitCode, r.stderr]).toEqual([
      2,
      'error: --local and --database-url name two different databases\nhint: Give one of them: --local for the embedded PostgreSQL, --database-url URL for another server.',
    ]);
  });
});
