import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { parseConfig, resolveDatabaseUrl } from '../../src/config/load.js';
import { redact } from '../../src/redact.js';
import { thrown } from '../support/thrown.js';

const config = (yaml = '') => parseConfig(yaml, 'schemagate.yaml', '/app');

describe('resolveDatabaseUrl', () => {
  const fromConfig = config('database: { url: "postgres://cfg@db/app" }');

  it('prefers the --database-url flag over the environment and the file', () => {
    expect(resolveDatabaseUrl(fromConfig, 'postgres://flag@db/app', { DATABASE_URL: 'postgres://env@db/app' })).toEqual(
      {
        url: 'postgres://flag@db/app',
        source: 'flag',
      },
    );
  });

  it('prefers the environment variable over the file', () => {
    expect(resolveDatabaseUrl(fromConfig, undefined, { DATABASE_URL: 'postgresql://env@db/app' })).toEqual({
      url: 'postgresql://env@db/app',
      source: 'env',
    });
  });

  it('falls back to database.url in the file', () => {
    expect(resolveDatabaseUrl(fromConfig, undefined, {})).toEqual({ url: 'postgres://cfg@db/app', source: 'config' });
  });

  it('reads the variable named by database.urlEnv, not DATABASE_URL', () => {
    const c = config('database: { urlEnv: APP_DB }');
    expect(
      resolveDatabaseUrl(c, undefined, { APP_DB: 'postgres://a@db/x', DATABASE_URL: 'postgres://b@db/y' }).url,
    ).toBe('postgres://a@db/x');
  });

  it('treats an empty flag or variable as unset', () => {
    expect(resolveDatabaseUrl(fromConfig, '', { DATABASE_URL: ' ' })).toEqual({
      url: 'postgres://cfg@db/app',
      source: 'config',
    });
  });

  it('names all three places when no URL is set', () => {
    const e = thrown(() => resolveDatabaseUrl(config('database: { urlEnv: APP_DB }'), undefined, {}));
    expect(e.exitCode).toBe(ExitCode.config);
    expect(e.code).toBe('database-url-missing');
    expect(e.message).toBe(
      'No database URL: none was given with --database-url, the environment variable APP_DB is not set, and database.url is not set in schemagate.yaml.',
    );
    expect(e.hint).toBe('Set one, e.g. export APP_DB=postgres://<user>:<password>@localhost:5432/app');
  });

  it('refuses a URL of another scheme, naming where it came from, without its password', () => {
    const e = thrown(() =>
      resolveDatabaseUrl(config(), undefined, { DATABASE_URL: 'mysql://app:Hunter2-mysql@db/app' }),
    );
    expect(e.exitCode).toBe(ExitCode.config);
    expect(e.message).toBe(
      'The database URL from the environment variable DATABASE_URL is not valid: expected a postgres:// or postgresql:// URL, found a URL with scheme "mysql:".',
    );
    expect(JSON.stringify(e)).not.toContain('Hunter2-mysql');
  });

  it('refuses an sslmode that is not one, naming the modes there are', () => {
    const e = thrown(() =>
      resolveDatabaseUrl(config(), undefined, { DATABASE_URL: 'postgres://u:sslmode-pw@db/app?sslmode=bogus' }),
    );
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe(
      'The database URL from the environment variable DATABASE_URL is not valid: expected a postgres:// or postgresql:// URL, found sslmode=bogus, which is not an SSL mode (disable, prefer, require, verify-ca, verify-full, no-verify).',
    );
    expect(e.message).not.toContain('sslmode-pw');
    expect(resolveDatabaseUrl(config(), undefined, { DATABASE_URL: 'postgres://db/app?sslmode=require' }).url).toBe(
      'postgres://db/app?sslmode=require',
    );
  });

  it('refuses a URL that cannot be parsed, and still keeps its password out of every later message', () => {
    const e = thrown(() => resolveDatabaseUrl(config(), 'postgres://app:pa/ss#Word9@db/app', {}));
    expect(e.message).toBe(
      'The database URL from --database-url is not valid: expected a postgres:// or postgresql:// URL, found a string that is not a URL (percent-encode @ : / ? # in the user name and password).',
    );
    expect(redact('connecting with pa/ss#Word9 failed')).toBe('connecting with *** failed');
  });

  it('registers the password of the URL it returns, so redact() removes it anywhere', () => {
    resolveDatabaseUrl(config(), undefined, { DATABASE_URL: 'postgres://app:Tr0ub4dor-env@db/app' });
    expect(redact('password authentication failed: Tr0ub4dor-env')).toBe('password authentication failed: ***');
  });
});

describe('a password in database.url', () => {
  // Each case puts a fresh password somewhere a message could echo it.
  const cases: Array<[string, (pw: string) => string]> = [
    ['next to an unrelated problem', (pw) => `database: { url: "postgres://app:${pw}@db/app" }\nlocal: { port: 0 }`],
    ['in a URL of the wrong scheme', (pw) => `database: { url: "mysql://app:${pw}@db/app" }`],
    ['in a URL that cannot be parsed', (pw) => `database: { url: "postgres://app:a/${pw}@db/app" }`],
    ['pasted into urlEnv', (pw) => `database: { urlEnv: "postgres://app:${pw}@db/app" }`],
    ['pasted into a key that echoes its value', (pw) => `kubernetes: { namespace: "postgres://app:x/${pw}@db/app" }`],
    ['under a misspelt key', (pw) => `database: { uri: "postgres://app:${pw}@db/app", urlEnv: 1 }`],
    ['used as a key', (pw) => `database: { "postgres://app:${pw}@db/app": 1 }`],
    ['on a line with a YAML syntax error', (pw) => `database:\n  url: postgres://app:${pw}@db/app\n   bad: 1\n`],
    ['in a file with an unclosed quote', (pw) => `database:\n  url: "postgres://app:${pw}@db/app\n`],
  ];

  it.each(cases)('never appears in the error when it is %s', (_where, yaml) => {
    const pw = `Pw${Math.random().toString(36).slice(2, 10)}Q`;
    const e = thrown(() => config(yaml(pw)));
    expect(e.exitCode).toBe(ExitCode.config);
    expect(`${e.message}\n${e.hint ?? ''}\n${JSON.stringify(e)}`).not.toContain(pw);
  });

  it('never appears in the database URL errors either', () => {
    const pw = 'Sw0rdfish-cfg';
    const c = config(`database: { url: "postgres://app:${pw}@db/app", urlEnv: APP_DB }`);
    const e = thrown(() => resolveDatabaseUrl(c, undefined, { APP_DB: `postgres://app:${pw}@:bad` }));
    expect(`${e.message}\n${e.hint ?? ''}`).not.toContain(pw);
  });
});
