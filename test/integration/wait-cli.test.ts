import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliPath, project } from '../support/cli.js';
import { loadsOf } from '../support/loads.js';
import { freePort } from '../support/net.js';
import { type Listening, listening } from '../support/servers.js';
import { adminUrl } from '../support/pg.js';
import { redisServerBinary, type RedisServer, startRedis } from '../support/redis.js';

/**
 * `schemagate wait` and `backend --local` as whole processes (the built CLI),
 * as an init container or a developer runs them: what goes to stdout and
 * stderr, --json, exit codes, signals, passwords, TLS, and what is loaded.
 */
const PASSWORD = 'cli-R3dis-Pa55/word';
const NEEDLES = [PASSWORD, encodeURIComponent(PASSWORD), 'Pa55', 'wrong-S3cret'];

function expectNoSecrets(r: { stdout: string; stderr: string }): void {
  for (const n of NEEDLES) {
    expect(r.stdout).not.toContain(n);
    expect(r.stderr).not.toContain(n);
  }
}

let redis: RedisServer | undefined;
let httpPort: number;
let silentServer: NetServer;
let silentPort: number;
let held = 0;
let closedPort: number;
const servers: Listening[] = [];

const hasRedis = Boolean(redisServerBinary) || Boolean(process.env.CI);

beforeAll(async () => {
  if (hasRedis) redis = await startRedis({ args: ['--requirepass', PASSWORD] });
  const http = await listening(createHttpServer((_req, res) => res.end('ok')));
  httpPort = http.port;
  silentServer = createNetServer((s) => {
    held++;
    s.on('error', () => undefined);
  });
  const silent = await listening(silentServer);
  silentPort = silent.port;
  servers.push(http, silent);
  closedPort = await freePort();
});

afterAll(async () => {
  await Promise.all([redis?.stop(), ...servers.map((s) => s.close())]);
});

describe('schemagate wait', () => {
  it('prints a line per target on stderr while waiting, and the results on stdout', async () => {
    const r = await cli([
      'wait',
      `http://127.0.0.1:${httpPort}/health`,
      `tcp://127.0.0.1:${closedPort}`,
      '--timeout',
      '400ms',
    ]);
    expect(r.exitCode).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(`^ready: http://127\\.0\\.0\\.1:${httpPort}/health: 200 OK \\(attempt 1, \\d+ms\\)$`, 'm'),
    );
    expect(r.stderr).toMatch(
      new RegExp(
        `^waiting for tcp://127\\.0\\.0\\.1:${closedPort} \\(attempt 1, \\d+ms\\): connect: connection refused$`,
        'm',
      ),
    );
    expect(r.stderr).toMatch(
      new RegExp(
        [
          '^error: 1 of 2 targets did not answer within 400ms:',
          `  ready: http://127\\.0\\.0\\.1:${httpPort}/health`,
          `  tcp://127\\.0\\.0\\.1:${closedPort} \\(\\d+ attempts\\): connect: connection refused`,
          'hint: Check that each is running and reachable from here \\(host, port, Service name\\)\\. If it is still starting, give it longer with --timeout\\.$',
        ].join('\\n'),
        'm',
      ),
    );
    const ok = await cli(['wait', `http://127.0.0.1:${httpPort}/health`, `tcp://127.0.0.1:${httpPort}`]);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout.split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(`^ready  http://127\\.0\\.0\\.1:${httpPort}/health: 200 OK \\(1 attempt, \\d+\\.\\ds\\)$`),
      ),
      expect.stringMatching(
        new RegExp(`^ready  tcp://127\\.0\\.0\\.1:${httpPort}: connected \\(1 attempt, \\d+\\.\\ds\\)$`),
      ),
    ]);
  });

  it('--json: one document on stdout with every target, whether it succeeds or fails', async () => {
    const ok = await cli(['wait', `tcp://127.0.0.1:${httpPort}`, '--json']);
    expect(ok.exitCode).toBe(0);
    expect(ok.stderr).toBe('');
    expect(JSON.parse(ok.stdout)).toEqual({
      ok: true,
      targets: [
        {
          target: `tcp://127.0.0.1:${httpPort}`,
          kind: 'tcp',
          action: 'connect',
          ok: true,
          attempts: 1,
          waitedMs: expect.any(Number) as unknown,
          answer: 'connected',
        },
      ],
    });
    const bad = await cli(['wait', `tcp://127.0.0.1:${closedPort}`, '--timeout', '300ms', '--json']);
    expect(bad.exitCode).toBe(5);
    expect(bad.stderr).toBe('');
    const failed = JSON.parse(bad.stdout) as { targets: { attempts: number }[] };
    expect(failed).toEqual({
      ok: false,
      error: 'wait.timeout',
      message: `1 of 1 target did not answer within 300ms:\n  tcp://127.0.0.1:${closedPort} (${failed.targets[0]!.attempts} attempts): connect: connection refused`,
      hint: 'Check that each is running and reachable from here (host, port, Service name). If it is still starting, give it longer with --timeout.',
      object: `tcp://127.0.0.1:${closedPort}`,
      exitCode: 5,
      targets: [
        {
          target: `tcp://127.0.0.1:${closedPort}`,
          kind: 'tcp',
          action: 'connect',
          ok: false,
          attempts: expect.any(Number) as unknown,
          waitedMs: expect.any(Number) as unknown,
          error: 'connection refused',
        },
      ],
    });
  });

  it('refuses a bad command line with exit 2, an unreadable password source with exit 3', async () => {
    const none = await cli(['wait']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toBe(
      'error: wait needs at least one target\nhint: Targets are tcp://HOST:PORT, http(s)://HOST[:PORT]/PATH, redis(s)://HOST[:PORT][/DB], postgres://HOST[:PORT]/DB. Example: schemagate wait tcp://localhost:5432 redis://localhost:6379 --timeout 60s',
    );
    const bad = await cli(['wait', 'localhost:6379']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe(
      'error: target "localhost:6379": not a URL: write tcp://localhost:6379 to wait until the port accepts connections',
    );
    const zero = await cli(['wait', 'tcp://db:1', '--timeout', '0']);
    expect(zero.exitCode).toBe(2);
    expect(zero.stderr).toBe('error: --timeout 0: expected a duration above 0 (e.g. 500ms, 30s, 5m)');
    const unset = await cli(['wait', 'redis://cache#password-env=SCHEMAGATE_TEST_UNSET_PW']);
    expect(unset.exitCode).toBe(3);
    expect(unset.stderr.split('\n')[0]).toBe(
      'error: redis://cache#password-env=SCHEMAGATE_TEST_UNSET_PW: the environment variable SCHEMAGATE_TEST_UNSET_PW (#password-env) is not set',
    );
  });

  it.skipIf(!hasRedis)('never prints a password: not from the URL, not from #password-env, not in --json', async () => {
    const url = `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${redis!.port}`;
    const runs = await Promise.all([
      cli(['wait', url]),
      cli(['wait', url, '--json']),
      cli(['wait', `redis://:wrong-S3cret@127.0.0.1:${redis!.port}`]),
      cli(['wait', `redis://:wrong-S3cret@127.0.0.1:${redis!.port}`, '--json']),
      cli(['wait', `redis://127.0.0.1:${redis!.port}#password-env=REDIS_PW`], { env: { REDIS_PW: PASSWORD } }),
      cli(['wait', `redis://127.0.0.1:${redis!.port}#password-env=REDIS_PW`, '--json'], {
        env: { REDIS_PW: 'wrong-S3cret' },
      }),
      cli(['wait', `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${closedPort}`, '--timeout', '200ms']),
      cli(['wait', `mysql://root:${PASSWORD}@db:3306`]),
    ]);
    expect(runs.map((r) => r.exitCode)).toEqual([0, 0, 5, 5, 0, 5, 5, 2]);
    for (const r of runs) expectNoSecrets(r);
    expect(runs[0].stdout).toMatch(new RegExp(`^ready  redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redis!.port}: PONG`));
    expect(runs[2].stderr.split('\n')[0]).toBe(
      `error: redis://:***@127.0.0.1:${redis!.port}: AUTH + PING: WRONGPASS invalid username-password pair or user is disabled. (waiting cannot fix this: stopped at once)`,
    );
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s stops it between attempts or in the middle of one, with exit 130',
    async (signal) => {
      for (const target of [`tcp://127.0.0.1:${closedPort}`, `redis://127.0.0.1:${silentPort}`]) {
        const before = held;
        const child = execa(
          process.execPath,
          [cliPath, 'wait', target, '--timeout', '60s', '--attempt-timeout', '50s'],
          {
            env: { NO_COLOR: '1' },
            reject: false,
          },
        );
        // Between attempts: after the first failure's line. In one: once the silent port has the connection.
        await new Promise<void>((resolve) => {
          let err = '';
          child.stderr.on('data', (d: Buffer) => {
            err += d.toString();
            if (/waiting for/.test(err)) resolve();
          });
          silentServer.on('connection', function seen() {
            if (held > before) {
              silentServer.off('connection', seen);
              resolve();
            }
          });
        });
        child.kill(signal);
        const r = await child;
        expect(r.exitCode).toBe(130);
        expect(r.stderr).toMatch(new RegExp(`received ${signal}: stopping`));
        expect(r.stderr).toMatch(new RegExp(`^error: interrupted by ${signal}$`, 'm'));
      }
    },
    // Below the 50 s attempt timeout: only the signal can end these runs in time.
    20_000,
  );

  it('loads neither @kubernetes/client-node nor listr2, pg only for a postgres:// target, and no probe in db commands', async () => {
    // Bundled, a chunk stands for the files esbuild put into it (test/support/loads.ts): the same paths as unbundled.
    const loaded = async (...args: string[]) => {
      const r = await loadsOf(args);
      expect(r.exitCode, r.stderr).toBe(0);
      return r.modules.join('\n');
    };
    const tcp = await loaded('wait', `tcp://127.0.0.1:${httpPort}`);
    expect(tcp).toContain('/dist/src/wait/tcp.js');
    expect(tcp).not.toMatch(/client-node|listr2|\/node_modules\/pg\//);
    const pg = await loaded('wait', adminUrl());
    expect(pg).toMatch(/\/node_modules\/pg\//);
    expect(pg).not.toMatch(/client-node|listr2/);
    // The engine's own commands load no probe: only the target grammar, which the configuration validates backend.dependencies with.
    const db = await loaded('db', 'wait', '--database-url', adminUrl());
    expect(db).toContain('/dist/src/engine/wait.js');
    expect(db).toContain('/dist/src/config/wait-target.js');
    expect(db.match(/\/dist\/src\/wait\/[\w-]+\.js/g)).toBeNull();
  });
});

describe.skipIf(!hasRedis)('a rediss:// target (Redis with TLS)', () => {
  let tls: RedisServer | undefined;
  let ca: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'schemagate-tls-'));
    ca = join(dir, 'cert.pem');
    // A self-signed certificate for 127.0.0.1, made here: openssl comes with Debian.
    await execa('openssl', [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', ca],
    ]);
    tls = await startRedis({ tls: { cert: ca, key: join(dir, 'key.pem') }, args: ['--requirepass', PASSWORD] });
  });

  afterAll(async () => {
    await tls?.stop();
  });

  it('answers PONG over TLS when its CA is trusted (NODE_EXTRA_CA_CERTS)', async () => {
    const r = await cli(['wait', `rediss://127.0.0.1:${tls!.port}#password-env=REDIS_PW`], {
      env: { REDIS_PW: PASSWORD, NODE_EXTRA_CA_CERTS: ca },
    });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/: PONG \(1 attempt/);
  });

  it('fails at once on a certificate it cannot trust, saying how to trust it', async () => {
    const r = await cli(['wait', `rediss://127.0.0.1:${tls!.port}#password-env=REDIS_PW`], {
      env: { REDIS_PW: PASSWORD },
    });
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toMatch(
      /^error: rediss:\/\/127\.0\.0\.1:\d+#password-env=REDIS_PW: AUTH \+ PING: its TLS certificate is not trusted: self[- ]signed certificate \(waiting cannot fix this: stopped at once\)$/m,
    );
    expect(r.stderr).toMatch(/^hint: Give Node\.js the CA that signed it \(NODE_EXTRA_CA_CERTS=/m);
  });

  it('names what a plain redis:// target gets from a TLS port, until the deadline', async () => {
    const r = await cli(['wait', `redis://127.0.0.1:${tls!.port}`, '--timeout', '300ms']);
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toMatch(
      /^ {2}redis:\/\/127\.0\.0\.1:\d+ \(\d+ attempts\): PING: (connection reset by the server|the server closed the connection before answering PING)$/m,
    );
  });
});

describe.skipIf(!hasRedis)('backend --local waits for backend.dependencies first', () => {
  const dummyDb = 'postgres://app:db-Pa55@127.0.0.1:1/app';

  it('fails naming the dependency that never came up, and never listens', async () => {
    const dir = project({
      'schemagate.yaml': `backend:\n  waitTimeout: 300ms\n  dependencies:\n    - tcp://127.0.0.1:${closedPort}\n`,
    });
    const r = await cli(['backend', '--local'], { cwd: dir, env: { DATABASE_URL: dummyDb, PORT: '0' } });
    expect(r.exitCode).toBe(5);
    expect(r.stdout).not.toMatch(/listening/);
    expect(r.stderr).toMatch(/^waiting up to 300ms for 1 dependency of the backend \(backend\.dependencies\)$/m);
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: 1 of 1 target did not answer within 300ms:\\n  tcp://127\\.0\\.0\\.1:${closedPort} \\(\\d+ attempts\\): connect: connection refused\\nhint: Check that each is running and reachable from here \\(host, port, Service name\\)\\. If it is still starting, give it longer with backend\\.waitTimeout in schemagate\\.yaml\\.$`,
        'm',
      ),
    );
  });

  it('starts once they answer, using the local URL and the password from the environment', async () => {
    const dir = project({
      'schemagate.yaml': [
        'backend:',
        '  dependencies:',
        '    - url: redis://redis:6379',
        `      local: redis://127.0.0.1:${redis!.port}#password-env=REDIS_PASSWORD`,
        '      password: { env: REDIS_PASSWORD, secret: { name: redis, key: password } }',
        `    - url: http://api:8080/health`,
        '      local: false',
        '',
      ].join('\n'),
    });
    const child = execa(process.execPath, [cliPath, 'backend', '--local'], {
      cwd: dir,
      env: { DATABASE_URL: dummyDb, PORT: '0', NO_COLOR: '1', REDIS_PASSWORD: PASSWORD },
      reject: false,
    });
    await new Promise<void>((resolve) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/listening on http/.test(out)) resolve();
      });
      void child.then(() => resolve());
    });
    child.kill('SIGTERM');
    const r = await child;
    expect(r.stdout).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/m);
    expect(r.stderr).toMatch(
      new RegExp(
        `^ready: redis://127\\.0\\.0\\.1:${redis!.port}#password-env=REDIS_PASSWORD: PONG \\(attempt 1, \\d+ms\\)$`,
        'm',
      ),
    );
    expect(r.stderr).not.toMatch(/api:8080/);
    expect(r.exitCode).toBe(0);
    expectNoSecrets({ stdout: r.stdout, stderr: r.stderr });
  });
});
