import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaitError, waitForTargets, type WaitOptions, progressLine } from '../../src/wait/run.js';
import { resolvePasswords } from '../../src/wait/password.js';
import { parseTarget } from '../../src/config/wait-target.js';
import { freePort } from '../support/net.js';
import { type Listening, listening } from '../support/servers.js';
import { adminUrl } from '../support/pg.js';
import { redisServerBinary, type RedisServer, startRedis } from '../support/redis.js';

/**
 * The probes against real servers: Redis (Debian's redis-server, one per
 * file), an HTTP server, a TCP port that accepts and never answers, and the
 * run's PostgreSQL. Time is an injected clock advanced by the injected delay
 * function; only a per-attempt timeout is real, and short.
 */
function fakeTime(onSleep?: (count: number) => Promise<void> | void) {
  let now = 0;
  const sleeps: number[] = [];
  return {
    clock: { now: () => now },
    sleeps,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
      await onSleep?.(sleeps.length);
    },
  };
}

async function wait(texts: string[], opts: Partial<WaitOptions> & { env?: NodeJS.ProcessEnv } = {}) {
  const lines: string[] = [];
  const targets = resolvePasswords(texts.map(parseTarget), { env: opts.env ?? {} });
  const results = await waitForTargets(targets, {
    timeoutMs: 60_000,
    ...opts,
    onProgress: (p) => lines.push(progressLine(p)),
  });
  return { results, lines };
}

async function failed(
  texts: string[],
  opts: Partial<WaitOptions> & { env?: NodeJS.ProcessEnv } = {},
): Promise<WaitError> {
  const e = await wait(texts, opts).catch((err: unknown) => err);
  if (!(e instanceof WaitError)) throw new Error(`expected a WaitError, got ${String(e)}`);
  return e;
}

/** A port that accepts connections and never says a word. */
let silent: Listening;
let silentPort: number;
let accepted = 0;

beforeAll(async () => {
  silent = await listening(
    createNetServer((s) => {
      accepted++;
      s.on('error', () => undefined);
    }),
  );
  silentPort = silent.port;
});

afterAll(async () => {
  await silent.close();
});

describe.skipIf(!redisServerBinary && !process.env.CI)('a Redis target (a real redis-server)', () => {
  const PASSWORD = 'r3dis-Pa55word/x';
  let open: RedisServer | undefined;
  let locked: RedisServer | undefined;

  beforeAll(async () => {
    [open, locked] = await Promise.all([
      startRedis(),
      startRedis({ args: ['--requirepass', PASSWORD, '--user', 'alice', 'on', '>alice-Pa55', '~*', '+@all'] }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([open?.stop(), locked?.stop()]);
  });

  it('is ready when PING is answered PONG, at the first attempt', async () => {
    const t = fakeTime();
    const { results } = await wait([`redis://127.0.0.1:${open!.port}`], t);
    expect(results[0]).toMatchObject({ ok: true, attempts: 1, answer: 'PONG', action: 'PING' });
    expect(t.sleeps).toEqual([]);
  });

  it('waits for a Redis that is down, and ends as soon as it comes up', async () => {
    const port = await freePort();
    let late: RedisServer | undefined;
    const t = fakeTime(async (n) => {
      if (n === 3) late = await startRedis({ port });
    });
    try {
      const { results, lines } = await wait([`redis://127.0.0.1:${port}`], t);
      expect(results[0]).toMatchObject({ ok: true, attempts: 4, answer: 'PONG' });
      expect(t.sleeps).toEqual([100, 200, 400]);
      expect(lines).toEqual([
        `waiting for redis://127.0.0.1:${port} (attempt 1, 0ms): PING: connection refused`,
        `ready: redis://127.0.0.1:${port}: PONG (attempt 4, 700ms)`,
      ]);
    } finally {
      await late?.stop();
    }
  });

  it('authenticates with the password from the URL, from #password-env and from #password-file, and selects the database', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'schemagate-pw-')), 'password');
    writeFileSync(file, `${PASSWORD}\n`);
    const { results } = await wait(
      [
        `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${locked!.port}/3`,
        `redis://127.0.0.1:${locked!.port}/1#password-env=REDIS_PASSWORD`,
        `redis://127.0.0.1:${locked!.port}#password-file=${file}`,
        `redis://alice:alice-Pa55@127.0.0.1:${locked!.port}`,
      ],
      { ...fakeTime(), env: { REDIS_PASSWORD: PASSWORD } },
    );
    expect(results.map((r) => [r.action, r.answer])).toEqual([
      ['AUTH + SELECT 3 + PING', 'PONG'],
      ['AUTH + SELECT 1 + PING', 'PONG'],
      ['AUTH + PING', 'PONG'],
      ['AUTH + PING', 'PONG'],
    ]);
  });

  it('fails at once on a wrong password, with the server’s reason, not at the deadline', async () => {
    const t = fakeTime();
    const err = await failed([`redis://:wrong-Pa55word@127.0.0.1:${locked!.port}`], t);
    expect(err.code).toBe('wait.refused');
    expect(err.exitCode).toBe(5);
    expect(err.message).toBe(
      `redis://:***@127.0.0.1:${locked!.port}: AUTH + PING: WRONGPASS invalid username-password pair or user is disabled. (waiting cannot fix this: stopped at once)`,
    );
    expect(err.hint).toBe(
      'Check the user name and password: in the URL (redis://<user>:<password>@<host>), or in the variable or file named by #password-env / #password-file. Waiting cannot fix a wrong password.',
    );
    expect(err.results[0]).toMatchObject({ attempts: 1, permanent: true });
    expect(t.sleeps).toEqual([]);
  });

  it('fails at once when the server needs a password and none was given, or has none and one was', async () => {
    const noauth = await failed([`redis://127.0.0.1:${locked!.port}`], fakeTime());
    expect(noauth.message).toBe(
      `redis://127.0.0.1:${locked!.port}: PING: NOAUTH Authentication required. (waiting cannot fix this: stopped at once)`,
    );
    const needless = await failed([`redis://:some-Pa55word@127.0.0.1:${open!.port}`], fakeTime());
    expect(needless.results[0]!.error).toMatch(/^ERR AUTH <password> called without any password configured/);
    expect(needless.hint).toBe('The server has no password: leave it out of the target.');
  });

  it('fails at once on a database number the server does not have', async () => {
    const err = await failed([`redis://127.0.0.1:${open!.port}/99`], fakeTime());
    expect(err.results[0]).toMatchObject({ attempts: 1, error: 'ERR DB index is out of range', permanent: true });
  });
});

describe('a closed port', () => {
  // One target per wait: each has its own injected clock (a shared one would add up both targets' delays).
  it.each([
    ['redis', 'PING'],
    ['http', 'GET /'],
    ['tcp', 'connect'],
  ])('is retried until the deadline; the %s failure names the target and its last error', async (scheme, action) => {
    const port = await freePort();
    const t = fakeTime();
    const err = await failed([`${scheme}://127.0.0.1:${port}`], { ...t, timeoutMs: 5000 });
    expect(err.code).toBe('wait.timeout');
    expect(err.message).toBe(
      `1 of 1 target did not answer within 5.0s:\n  ${scheme}://127.0.0.1:${port} (8 attempts): ${action}: connection refused`,
    );
    expect(t.sleeps).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 500]);
  });
});

describe('a port that accepts connections and never answers', () => {
  it.each([
    ['redis', 'PING'],
    ['http', 'GET /'],
    ['postgres', 'connect + SELECT 1'],
  ])('bounds each %s attempt by the attempt timeout, and the wait by its deadline', async (scheme, action) => {
    const before = accepted;
    const t = fakeTime();
    const target =
      scheme === 'postgres' ? `postgres://u:p@127.0.0.1:${silentPort}/db` : `${scheme}://127.0.0.1:${silentPort}`;
    const err = await failed([target], { ...t, timeoutMs: 1000, attemptTimeoutMs: 150 });
    expect(err.results[0]).toMatchObject({ ok: false, attempts: 4, action });
    expect(err.results[0]!.error).toBe('no answer within 150ms');
    expect(t.sleeps).toEqual([100, 200, 400, 300]);
    expect(accepted - before).toBe(4);
  });

  it('gives an attempt no more than what is left of the wait (real clock)', async () => {
    const err = await failed([`redis://127.0.0.1:${silentPort}`], { timeoutMs: 300 });
    expect(err.results[0]!.attempts).toBe(1);
    expect(err.results[0]!.error).toMatch(/^no answer within (\d+)ms$/);
    expect(Number(/(\d+)ms$/.exec(err.results[0]!.error!)![1])).toBeLessThanOrEqual(300);
  });

  it('a tcp:// target is up as soon as the port accepts (that is all it checks)', async () => {
    const { results } = await wait([`tcp://127.0.0.1:${silentPort}`], fakeTime());
    expect(results[0]).toMatchObject({ ok: true, answer: 'connected', attempts: 1 });
  });
});

describe('a port that speaks another protocol (an SSH banner)', () => {
  let ssh: Listening;
  let port: number;

  beforeAll(async () => {
    ssh = await listening(
      createNetServer((s) => {
        s.on('error', () => undefined);
        s.end('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n');
      }),
    );
    port = ssh.port;
  });

  afterAll(async () => {
    await ssh.close();
  });

  it('fails at once for redis:// and http://, saying what answered and to check the port', async () => {
    const redis = await failed([`redis://127.0.0.1:${port}`], fakeTime());
    expect(redis.results[0]).toMatchObject({
      attempts: 1,
      permanent: true,
      error: 'answered something that is not Redis: "SSH-2.0-OpenSSH_9.2p1 Debian-2\\r\\n"',
    });
    expect(redis.hint).toBe(
      'Check the port: is it the Redis one? (rediss:// for a TLS port, redis:// for a plain one)',
    );
    const http = await failed([`http://127.0.0.1:${port}/`], fakeTime());
    expect(http.results[0]).toMatchObject({ attempts: 1, permanent: true });
    expect(http.results[0]!.error).toMatch(/^answered something that is not HTTP \(Parse Error: /);
  });
});

describe('an HTTP target (a node:http server)', () => {
  let server: Listening;
  let port: number;
  let respond: (res: ServerResponse, auth: string | undefined) => void = (res) => res.end('ok');

  beforeAll(async () => {
    server = await listening(createHttpServer((req, res) => respond(res, req.headers.authorization)));
    port = server.port;
  });

  afterAll(async () => {
    await server.close();
  });

  it('is ready on a 2xx', async () => {
    respond = (res) => res.writeHead(204).end();
    const { results } = await wait([`http://127.0.0.1:${port}/health`], fakeTime());
    expect(results[0]).toMatchObject({ ok: true, attempts: 1, answer: '204 No Content' });
  });

  it('waits through 503s until it answers 200', async () => {
    let status = 503;
    respond = (res) => res.writeHead(status).end();
    const t = fakeTime((n) => {
      if (n === 2) status = 200;
    });
    const { results, lines } = await wait([`http://127.0.0.1:${port}/health`], t);
    expect(results[0]).toMatchObject({ ok: true, attempts: 3, answer: '200 OK' });
    expect(lines[0]).toBe(
      `waiting for http://127.0.0.1:${port}/health (attempt 1, 0ms): GET /health: answered 503 Service Unavailable (expected 2xx)`,
    );
  });

  it('waits for a server that is not listening yet, and ends when it listens', async () => {
    const latePort = await freePort();
    let late: Listening | undefined;
    const t = fakeTime(async (n) => {
      if (n === 2)
        late = await listening(
          createHttpServer((_req, res) => res.end('up')),
          latePort,
        );
    });
    try {
      const { results } = await wait([`http://127.0.0.1:${latePort}/`], t);
      expect(results[0]).toMatchObject({ ok: true, attempts: 3, answer: '200 OK' });
    } finally {
      await late?.close();
    }
  });

  it('fails at once on 401, and takes it as up when #expect says so', async () => {
    respond = (res) => res.writeHead(401).end();
    const err = await failed([`http://127.0.0.1:${port}/admin`], fakeTime());
    expect(err.message).toBe(
      `http://127.0.0.1:${port}/admin: GET /admin: answered 401 Unauthorized (expected 2xx) (waiting cannot fix this: stopped at once)`,
    );
    expect(err.hint).toBe(
      'The endpoint needs credentials; if 401 is its answer when it is up, add #expect=401 to the target.',
    );
    const { results } = await wait([`http://127.0.0.1:${port}/admin#expect=200,401`], fakeTime());
    expect(results[0]).toMatchObject({ ok: true, answer: '401 Unauthorized' });
  });

  it('sends basic auth from the URL or #password-env, and a wrong password fails at once', async () => {
    const good = `Basic ${Buffer.from('bob:http-Pa55word').toString('base64')}`;
    respond = (res, auth) => res.writeHead(auth === good ? 200 : 401).end();
    const { results } = await wait(
      [`http://bob:http-Pa55word@127.0.0.1:${port}/`, `http://bob@127.0.0.1:${port}/#password-env=HTTP_PW`],
      { ...fakeTime(), env: { HTTP_PW: 'http-Pa55word' } },
    );
    expect(results.map((r) => r.answer)).toEqual(['200 OK', '200 OK']);
    const err = await failed([`http://bob:wrong-Pa55word@127.0.0.1:${port}/`], fakeTime());
    expect(err.results[0]).toMatchObject({ attempts: 1, permanent: true });
    expect(err.hint).toMatch(/^Check the user name and password; /);
  });

  it('does not follow a redirect: it names the status and where it points, until the deadline', async () => {
    respond = (res) => res.writeHead(302, { location: '/login' }).end();
    const err = await failed([`http://127.0.0.1:${port}/`], { ...fakeTime(), timeoutMs: 300 });
    expect(err.results[0]!.error).toBe('answered 302 Found to /login (expected 2xx)');
    expect(err.hint).toBe(
      'If 302 is its answer when it is up, add #expect=302 to the target. If it is still starting, give it longer with --timeout.',
    );
  });
});

describe('a postgres:// target (what db wait does)', () => {
  it('is ready when the database answers SELECT 1', async () => {
    const { results } = await wait([adminUrl()], fakeTime());
    expect(results[0]).toMatchObject({ ok: true, attempts: 1, kind: 'postgres' });
  });

  it('takes the password from #password-env', async () => {
    const u = new URL(adminUrl());
    const password = decodeURIComponent(u.password);
    u.password = '';
    const { results } = await wait([`${u.toString()}#password-env=PGPW`], { ...fakeTime(), env: { PGPW: password } });
    expect(results[0]).toMatchObject({ ok: true });
  });

  it('fails at once on a wrong password, with PostgreSQL’s reason', async () => {
    const u = new URL(adminUrl());
    u.password = 'wrong-Pa55word';
    const t = fakeTime();
    const err = await failed([u.toString()], t);
    expect(err.results[0]).toMatchObject({ attempts: 1, permanent: true });
    expect(err.results[0]!.error).toBe(
      `password authentication failed for user "${u.username}" at 127.0.0.1:${u.port}`,
    );
    expect(t.sleeps).toEqual([]);
  });
});
