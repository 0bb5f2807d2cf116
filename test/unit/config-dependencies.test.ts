import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { dependencyWait, localTargets } from '../../src/wait/dependencies.js';
import { thrown } from '../support/thrown.js';

const load = (yaml: string) => parseConfig(yaml, 'schemagate.yaml', '/app');

/** The problem lines of the ConfigError `yaml` is rejected with. */
function problems(yaml: string): string[] {
  const e = thrown(() => load(yaml));
  expect(e).toBeInstanceOf(ConfigError);
  expect(e.exitCode).toBe(3);
  return e.message.split('\n').slice(1);
}

const TARGET = 'a wait target (tcp://, http://, https://, redis://, rediss:// or postgres:// URL)';

describe('backend.dependencies in schemagate.yaml', () => {
  it('is empty by default, with a 2 minute wait', () => {
    expect(load('').backend).toEqual({ dependencies: [], waitTimeoutMs: 120_000 });
  });

  it('takes URLs and mappings with a local URL and a password from a Secret', () => {
    const c = load(
      [
        'backend:',
        '  waitTimeout: 45s',
        '  dependencies:',
        '    - tcp://rabbitmq:5672',
        '    - http://minio:9000/minio/health/live#expect=200-299',
        '    - url: redis://redis:6379/1',
        '      local: redis://localhost:6379',
        '      password: { env: REDIS_PASSWORD, secret: { name: redis, key: redis-password } }',
        '    - url: http://api:8080/health',
        '      local: false',
      ].join('\n'),
    );
    expect(c.backend).toEqual({
      waitTimeoutMs: 45_000,
      dependencies: [
        { url: 'tcp://rabbitmq:5672', local: 'tcp://rabbitmq:5672', password: undefined },
        {
          url: 'http://minio:9000/minio/health/live#expect=200-299',
          local: 'http://minio:9000/minio/health/live#expect=200-299',
          password: undefined,
        },
        {
          url: 'redis://redis:6379/1',
          local: 'redis://localhost:6379',
          password: { env: 'REDIS_PASSWORD', secret: { name: 'redis', key: 'redis-password' } },
        },
        { url: 'http://api:8080/health', local: false, password: undefined },
      ],
    });
  });

  it('reports every bad item with its key path, never echoing a password', () => {
    const lines = problems(
      [
        'backend:',
        '  waitTimeout: 0',
        '  dependencies:',
        '    - amqp://guest:T0p-s3cret@mq:5672',
        '    - url: tcp://db',
        '    - url: tcp://db:5432',
        '      password: { env: DB_PASSWORD }',
        '    - url: redis://:inline-S3cret@cache',
        '      password: { env: REDIS_PASSWORD, secret: { name: Redis } }',
        '    - { url: redis://cache, local: yes }',
        '    - { url: http://api/health, local: 5 }',
        '    - 42',
        '    - tcp://rabbitmq:5672',
        '    - tcp://rabbitmq:5672',
      ].join('\n'),
    );
    expect(lines).toEqual([
      '  - backend.waitTimeout: expected a duration greater than 0 (500ms, 10s, 5m, 1h, or an integer of milliseconds), found 0',
      `  - backend.dependencies[0]: expected ${TARGET}, found "amqp://***@mq:5672": the scheme amqp:// is not one schemagate can ask (tcp://HOST:PORT, http(s)://HOST[:PORT]/PATH, redis(s)://HOST[:PORT][/DB], postgres://HOST[:PORT]/DB); for another service, tcp://HOST:PORT waits until its port accepts connections`,
      `  - backend.dependencies[1].url: expected ${TARGET}, found "tcp://db": no port (expected tcp://db:PORT)`,
      '  - backend.dependencies[2].password: a tcp:// target takes no password (it only checks that the port accepts connections)',
      '  - backend.dependencies[3].password.secret.name: expected a DNS label (lowercase letters, digits and \'-\', at most 63 characters), found "Redis"',
      "  - backend.dependencies[3].password.secret.key: expected a Secret key (letters, digits, '-', '_' and '.', at most 253 characters), found nothing",
      `  - backend.dependencies[4].local: expected ${TARGET}, or false, found "yes": not a URL (expected one of tcp://HOST:PORT, http(s)://HOST[:PORT]/PATH, redis(s)://HOST[:PORT][/DB], postgres://HOST[:PORT]/DB)`,
      `  - backend.dependencies[5].local: expected ${TARGET}, or false, found a number (5)`,
      '  - backend.dependencies[6]: expected a wait target URL, or a mapping with url (and local, password), found a number (42)',
      '  - backend.dependencies[8]: "tcp://rabbitmq:5672" is listed twice (also at backend.dependencies[7])',
    ]);
    expect(lines.join('\n')).not.toMatch(/T0p-s3cret|inline-S3cret/);
  });

  it('refuses a password given twice: in the url and under password', () => {
    expect(
      problems(
        [
          'backend:',
          '  dependencies:',
          '    - url: redis://:inline-S3cret@cache',
          '      password: { env: REDIS_PASSWORD }',
          '    - url: redis://other#password-file=/run/pw',
          '      password: { env: OTHER_PASSWORD }',
        ].join('\n'),
      ),
    ).toEqual([
      '  - backend.dependencies[0].password: the url already has a password: keep one of the two',
      '  - backend.dependencies[1].password: the url already names one with #password-env / #password-file: keep one of the two',
    ]);
  });

  it('refuses one variable set from two different Secrets (the init container has one environment)', () => {
    expect(
      problems(
        [
          'backend:',
          '  dependencies:',
          '    - url: redis://a',
          '      password: { env: PW, secret: { name: a, key: pw } }',
          '    - url: redis://b',
          '      password: { env: PW, secret: { name: b, key: pw } }',
        ].join('\n'),
      ),
    ).toEqual([
      '  - backend.dependencies[1].password.env: PW is already set from Secret a/pw (backend.dependencies[0].password); give this password another variable',
    ]);
  });
});

describe('what waits for backend.dependencies', () => {
  const config = load(
    [
      'backend:',
      '  waitTimeout: 90s',
      '  dependencies:',
      '    - tcp://rabbitmq:5672',
      '    - url: http://api:8080/health#expect=200,401',
      '      password: { env: API_PASSWORD, secret: { name: api, key: password } }',
      '    - url: redis://redis:6379',
      '      local: redis://localhost:6379',
      '      password: { env: REDIS_PASSWORD, secret: { name: redis, key: redis-password } }',
      '    - url: redis://sessions:6379',
      '      local: false',
      '      password: { env: REDIS_PASSWORD, secret: { name: redis, key: redis-password } }',
    ].join('\n'),
  );

  it('in a cluster: one `schemagate wait` with every url, passwords through variables set from Secrets', () => {
    expect(dependencyWait(config)).toEqual({
      args: [
        'wait',
        '--timeout',
        '90s',
        'tcp://rabbitmq:5672',
        'http://api:8080/health#expect=200,401&password-env=API_PASSWORD',
        'redis://redis:6379#password-env=REDIS_PASSWORD',
        'redis://sessions:6379#password-env=REDIS_PASSWORD',
      ],
      env: [
        { name: 'API_PASSWORD', secret: { name: 'api', key: 'password' } },
        { name: 'REDIS_PASSWORD', secret: { name: 'redis', key: 'redis-password' } },
      ],
    });
    expect(dependencyWait(load(''))).toBeUndefined();
  });

  it('in a cluster: refuses a password without the Secret it comes from, naming the key', () => {
    const err = thrown(() =>
      dependencyWait(
        load(
          ['backend:', '  dependencies:', '    - url: redis://redis', '      password: { env: REDIS_PW }'].join('\n'),
        ),
      ),
    );
    expect(err.exitCode).toBe(3);
    expect(err.message).toBe(
      "schemagate.yaml: 1 problem in the configuration:\n  - backend.dependencies[0].password.secret: expected the Secret (name and key) that REDIS_PW comes from in the backend's pods, found nothing (a cluster has no shell environment to read it from)",
    );
  });

  it('with --local: each local URL as written, the url with its password variable, and not the ones marked false', () => {
    expect(localTargets(config.backend.dependencies)).toEqual([
      'tcp://rabbitmq:5672',
      'http://api:8080/health#expect=200,401&password-env=API_PASSWORD',
      'redis://localhost:6379',
    ]);
  });
});
