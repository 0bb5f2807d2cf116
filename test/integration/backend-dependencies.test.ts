import { execa, type ResultPromise } from 'execa';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliPath, project, repoRoot } from '../support/cli.js';
import { listeningAddress } from '../support/backend-process.js';
import { freePort } from '../support/net.js';
import { freshDatabase } from '../support/pg.js';
import { redisServerBinary, type RedisServer, startRedis } from '../support/redis.js';

/**
 * The sample backend's /health reports backend.dependencies, through the same
 * probes as `schemagate wait` (Redis: AUTH + PING), against a real
 * redis-server and a real PostgreSQL. Reported, not judged: readiness (the
 * status) stays about the schema; /livez stays the process only.
 */
const hasRedis = Boolean(redisServerBinary) || Boolean(process.env['CI']);
const PASSWORD = 'health-R3dis-Pa55';

let redis: RedisServer | undefined;
let closedPort: number;
beforeAll(async () => {
  if (!redisServerBinary) return;
  redis = await startRedis({ args: ['--requirepass', PASSWORD] });
  closedPort = await freePort();
});
afterAll(async () => {
  await redis?.stop();
});
const running: ResultPromise[] = [];
afterEach(() => {
  for (const c of running.splice(0)) c.kill('SIGKILL');
});

interface Dependency {
  target: string;
  kind: string;
  ok: boolean;
  answer?: string;
  error?: string;
}

async function healthOf(
  base: string,
): Promise<{ status: number; body: { status: string; dependencies: Dependency[] } }> {
  const res = await fetch(`${base}/health`);
  return { status: res.status, body: (await res.json()) as { status: string; dependencies: Dependency[] } };
}

/** /health reuses a look for about 2 s: ask until `until` holds, or fail after `ms`. */
async function healthUntil(base: string, until: (d: Dependency[]) => boolean, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const h = await healthOf(base);
    if (until(h.body.dependencies)) return h;
    if (Date.now() > deadline) throw new Error(`/health stayed ${JSON.stringify(h.body)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(!hasRedis)("the backend's /health reports its dependencies", () => {
  it("PONG from Redis (AUTH with the Secret variable), a closed port by name, Redis down then up again; the status stays the schema's", async () => {
    const url = await freshDatabase();
    const migrate = await cli(['db', 'migrate'], { env: { DATABASE_URL: url } });
    expect(migrate.exitCode, migrate.all).toBe(0);
    const dir = project({
      'schemagate.yaml': [
        `migrations: { dir: ${JSON.stringify(join(repoRoot, 'migrations'))} }`,
        'backend:',
        '  dependencies:',
        `    - url: redis://127.0.0.1:${redis!.port}`,
        '      password: { env: REDIS_PASSWORD, secret: { name: redis, key: password } }',
        `    - tcp://127.0.0.1:${closedPort}`,
        '',
      ].join('\n'),
    });
    const child = execa(process.execPath, [cliPath, 'backend'], {
      cwd: dir,
      env: { DATABASE_URL: url, PORT: '0', NO_COLOR: '1', CI: '1', REDIS_PASSWORD: PASSWORD },
      reject: false,
    });
    running.push(child);
    const base = await listeningAddress(child.stdout, child);

    const first = await healthOf(base);
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('ok');
    expect(first.body.dependencies).toEqual([
      // As `schemagate wait` shows it: where the password comes from, never the password.
      {
        target: `redis://127.0.0.1:${redis!.port}#password-env=REDIS_PASSWORD`,
        kind: 'redis',
        ok: true,
        answer: 'PONG',
      },
      { target: `tcp://127.0.0.1:${closedPort}`, kind: 'tcp', ok: false, error: 'connection refused' },
    ]);

    // Redis goes away: reported at once (one attempt), while readiness stays the schema's.
    const port = redis!.port;
    await redis!.stop();
    const down = await healthUntil(base, (d) => d[0]?.ok === false);
    expect(down.status).toBe(200);
    expect(down.body.dependencies[0]).toEqual({
      target: `redis://127.0.0.1:${port}#password-env=REDIS_PASSWORD`,
      kind: 'redis',
      ok: false,
      error: 'connection refused',
    });
    expect((await fetch(`${base}/livez`)).status).toBe(200);

    redis = await startRedis({ port, args: ['--requirepass', PASSWORD] });
    const up = await healthUntil(base, (d) => d[0]?.ok === true);
    expect(up.body.dependencies[0]).toMatchObject({ ok: true, answer: 'PONG' });

    child.kill('SIGTERM');
    const r = await child;
    // Told once per change, never with the password.
    expect(r.stderr).toMatch(
      /health: dependencies not answering: redis:\/\/127\.0\.0\.1:\d+#password-env=REDIS_PASSWORD: connection refused; tcp:/,
    );
    expect(r.stderr + r.stdout).not.toContain(PASSWORD);
  }, 60_000);

  it('a password variable the backend lacks is reported on the dependency, and the backend still serves', async () => {
    const url = await freshDatabase();
    const dir = project({
      'schemagate.yaml': [
        'backend:',
        '  dependencies:',
        `    - url: redis://127.0.0.1:${redis!.port}`,
        '      password: { env: REDIS_PASSWORD, secret: { name: redis, key: password } }',
        '',
      ].join('\n'),
    });
    const child = execa(process.execPath, [cliPath, 'backend'], {
      cwd: dir,
      env: { DATABASE_URL: url, PORT: '0', NO_COLOR: '1', CI: '1', REDIS_PASSWORD: undefined },
      reject: false,
      extendEnv: true,
    });
    running.push(child);
    const base = await listeningAddress(child.stdout, child);
    const h = await healthOf(base);
    expect(h.body.dependencies).toEqual([
      {
        target: `redis://127.0.0.1:${redis!.port}#password-env=REDIS_PASSWORD`,
        kind: 'redis',
        ok: false,
        error: expect.stringContaining('the environment variable REDIS_PASSWORD (#password-env) is not set') as unknown,
      },
    ]);
  }, 60_000);
});
