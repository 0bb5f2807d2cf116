import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cliPath } from '../support/cli.js';
import { migrationsDir } from '../support/engine.js';
import { freshDatabase, rows, tables } from '../support/pg.js';

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('SIGTERM (what Kubernetes sends a pod)', () => {
  it('cancels the running statement, rolls the migration back, releases the lock and exits 130', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({
      '1_fast.sql': 'CREATE TABLE fast (id int);',
      '2_slow.sql': 'CREATE TABLE slow (id int);\nSELECT pg_sleep(60);\n',
    });
    const child = execa(process.execPath, [cliPath, 'db', 'migrate', '--migrations', `${dir}/migrations`], {
      env: { DATABASE_URL: url, NO_COLOR: '1' },
      reject: false,
    });
    const db = new URL(url).pathname.slice(1);
    await until('the slow migration to run', async () => {
      const r = await rows<{ n: string }>(
        url,
        `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep(60)%' AND state = 'active' AND pid <> pg_backend_pid()`,
        [db],
      );
      return r[0]!.n === '1' ? true : undefined;
    });
    const sent = Date.now();
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(String(r.stderr)).toMatch(
      /received SIGTERM: stopping \(a running statement is cancelled and its transaction rolled back\)/,
    );
    expect(String(r.stderr)).toMatch(/interrupted/);
    expect(await tables(url)).toEqual(['fast', 'schemagate_migrations']);
    expect(await rows(url, `SELECT version FROM schemagate_migrations`)).toEqual([{ version: '1' }]);
    expect(await rows(url, `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`)).toEqual([{ n: 0 }]);
    expect(
      await rows(
        url,
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [db],
      ),
    ).toEqual([{ n: 0 }]);
  }, 60_000);
});
