import { describe, expect, it } from 'vitest';
import { redact } from '../../src/redact.js';
import { resolvePasswords } from '../../src/wait/password.js';
import { describeAttempt, parseTarget, readTarget, showExpect } from '../../src/config/wait-target.js';
import { thrown } from '../support/thrown.js';

const problem = (text: string) => {
  const t = readTarget(text);
  return 'problem' in t ? t.problem : undefined;
};

describe('wait targets', () => {
  it('reads tcp, http(s), redis(s) and postgres URLs with their default ports', () => {
    expect(parseTarget('tcp://db:5432')).toMatchObject({ kind: 'tcp', host: 'db', port: 5432 });
    expect(parseTarget('http://api/health?full=1')).toMatchObject({
      kind: 'http',
      tls: false,
      host: 'api',
      port: 80,
      path: '/health?full=1',
      expect: [{ from: 200, to: 299 }],
    });
    expect(parseTarget('https://api:8443')).toMatchObject({ kind: 'http', tls: true, port: 8443, path: '/' });
    expect(parseTarget('redis://cache')).toMatchObject({ kind: 'redis', tls: false, host: 'cache', port: 6379, db: 0 });
    expect(parseTarget('rediss://alice:pw-1234@cache:6380/3')).toMatchObject({
      kind: 'redis',
      tls: true,
      port: 6380,
      db: 3,
      user: 'alice',
      password: 'pw-1234',
    });
    expect(parseTarget('postgresql://u@db/app#password-env=PGPW')).toMatchObject({
      kind: 'postgres',
      port: 5432,
      url: 'postgresql://u@db/app',
      passwordFrom: { env: 'PGPW' },
    });
    expect(parseTarget('tcp://[::1]:6379')).toMatchObject({ host: '::1', port: 6379 });
  });

  it('shows a target with its password replaced, percent-encoded or not', () => {
    expect(parseTarget('redis://:s3cret%2Fpw@cache:6379/1').display).toBe('redis://:***@cache:6379/1');
    expect(parseTarget('https://bob:hunter2-pw@api/health').display).toBe('https://bob:***@api/health');
    expect(parseTarget('redis://cache#password-env=REDIS_PASSWORD').display).toBe(
      'redis://cache#password-env=REDIS_PASSWORD',
    );
    expect(redact('AUTH failed for s3cret/pw')).toBe('AUTH failed for ***');
  });

  it('reads the statuses an HTTP target expects: codes, ranges and classes', () => {
    const t = parseTarget('http://api/health#expect=200-204,401,3xx');
    expect(t.kind === 'http' && t.expect).toEqual([
      { from: 200, to: 204 },
      { from: 401, to: 401 },
      { from: 300, to: 399 },
    ]);
    expect(t.kind === 'http' && showExpect(t.expect)).toBe('200-204, 401, 3xx');
  });

  it('says what one attempt does, never with the password', () => {
    expect(describeAttempt(parseTarget('tcp://db:5432'))).toBe('connect');
    expect(describeAttempt(parseTarget('http://api:8080/ready'))).toBe('GET /ready');
    expect(describeAttempt(parseTarget('redis://cache'))).toBe('PING');
    expect(describeAttempt(parseTarget('redis://:pw-1234@cache/2'))).toBe('AUTH + SELECT 2 + PING');
    expect(describeAttempt(parseTarget('redis://cache#password-file=/run/pw'))).toBe('AUTH + PING');
    expect(describeAttempt(parseTarget('postgres://u:p@db/app'))).toBe('connect + SELECT 1');
  });

  it('says why a target is not one', () => {
    expect(problem('localhost:6379')).toBe(
      'not a URL: write tcp://localhost:6379 to wait until the port accepts connections',
    );
    expect(problem('amqp://mq:5672')).toBe(
      'the scheme amqp:// is not one schemagate can ask (tcp://HOST:PORT, http(s)://HOST[:PORT]/PATH, redis(s)://HOST[:PORT][/DB], postgres://HOST[:PORT]/DB); for another service, tcp://HOST:PORT waits until its port accepts connections',
    );
    expect(problem('tcp://db')).toBe('no port (expected tcp://db:PORT)');
    expect(problem('tcp://db:5432/x')).toBe('a tcp:// target takes no path (expected tcp://HOST:PORT)');
    expect(problem('tcp://u:p@db:5432')).toBe('a tcp:// target takes no user or password');
    expect(problem('redis://cache/abc')).toBe('"/abc" is not a database number (expected redis://HOST:PORT/0)');
    expect(problem('redis://cache?db=1')).toBe('a redis:// target takes no query ("?...")');
    expect(problem('redis://alice@cache')).toBe(
      'user "alice" without a password: write redis://:<password>@<host> for the default user, or redis://<user>:<password>@<host>',
    );
    expect(problem('http://api#expect=20x')).toBe(
      'expect=20x: expected HTTP statuses such as 200, 200-399, 2xx or 200,401',
    );
    expect(problem('http://api#expect=299-200')).toBe(
      'expect=299-200: expected HTTP statuses such as 200, 200-399, 2xx or 200,401',
    );
    expect(problem('redis://cache#expect=200')).toBe('#expect does not apply to a redis:// target');
    expect(problem('tcp://db:1#password-env=X')).toBe('#password-env does not apply to a tcp:// target');
    expect(problem('redis://cache#timeout=5s')).toBe(
      'unknown option #timeout (known: expect, password-env, password-file)',
    );
    expect(problem('redis://cache#password-env=A&password-file=/b')).toBe(
      'give #password-env or #password-file, not both',
    );
    expect(problem('redis://cache#password-env=1X')).toBe('#password-env=1X: not a variable name');
    expect(problem('redis://:pw-1234@cache#password-env=X')).toBe(
      'a password in the URL and in #password-env / #password-file: keep one',
    );
  });

  it('refuses a bad command-line target with exit 2, never echoing its password', () => {
    const err = thrown(() => parseTarget('mysql://root:T0p-s3cret@db:3306'));
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/^target "mysql:\/\/root:\*\*\*@db:3306": the scheme mysql:\/\/ is not one/);
    expect(err.hint).toBe(
      'Targets are tcp://HOST:PORT, http(s)://HOST[:PORT]/PATH, redis(s)://HOST[:PORT][/DB], postgres://HOST[:PORT]/DB; see `schemagate wait --help`.',
    );
    const unparsable = thrown(() => parseTarget('redis://:p@ss/w0rd@cache'));
    expect(unparsable.message).toBe(
      'target "redis://:***@cache": an "@" after the host (percent-encode @ : / ? # in the user name and password; in a path, write %40)',
    );
    expect(unparsable.message).not.toContain('w0rd');
    expect(unparsable.message).not.toContain('p@ss');
  });
});

describe('passwords kept out of the URL', () => {
  it('come from the variable or the file the target names, without the file’s final newline', () => {
    const [a, b] = resolvePasswords(
      [parseTarget('redis://cache#password-env=REDIS_PW'), parseTarget('redis://cache#password-file=/run/redis/pw')],
      { env: { REDIS_PW: 'from-env-1' }, readFile: (p) => (p === '/run/redis/pw' ? 'from-file-2\n' : '') },
    );
    expect(a!.password).toBe('from-env-1');
    expect(b!.password).toBe('from-file-2');
    // Registered for redaction as soon as they are read.
    expect(redact('from-env-1 and from-file-2')).toBe('*** and ***');
  });

  it('refuse an unset variable and an unreadable file with exit 3, naming them', () => {
    const unset = thrown(() => resolvePasswords([parseTarget('redis://cache#password-env=REDIS_PW')], { env: {} }));
    expect(unset.exitCode).toBe(3);
    expect(unset.message).toBe(
      'redis://cache#password-env=REDIS_PW: the environment variable REDIS_PW (#password-env) is not set',
    );
    expect(unset.hint).toBe(
      'Set REDIS_PW to the password (in a pod: env[].valueFrom.secretKeyRef from the Secret that holds it), or leave #password-env out if the server needs no password.',
    );
    const file = thrown(() =>
      resolvePasswords([parseTarget('redis://cache#password-file=/nonexistent/pw')], { env: {} }),
    );
    expect(file.exitCode).toBe(3);
    expect(file.message).toBe(
      'redis://cache#password-file=/nonexistent/pw: cannot read the password file /nonexistent/pw (#password-file): ENOENT',
    );
  });
});
