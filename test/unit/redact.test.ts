import { describe, expect, it } from 'vitest';
import { displayUrl, redact, redactDeep, registerSecret, registerUrlSecrets } from '../../src/redact.js';

// Registered secrets live for the whole process: every test uses its own values.

describe('redact: connection URLs', () => {
  it('replaces the password of a URL and keeps the rest', () => {
    expect(redact('postgres://app:hunter2-url@db:5432/app')).toBe('postgres://app:***@db:5432/app');
  });

  it('replaces the password of every URL in a text, whatever the scheme', () => {
    expect(redact('from postgresql://a:one-pw@h1/x to redis://:two-pw@h2:6379 and mysql://u:three-pw@h3/db')).toBe(
      'from postgresql://a:***@h1/x to redis://:***@h2:6379 and mysql://u:***@h3/db',
    );
  });

  it('keeps a URL without a password as it is', () => {
    expect(redact('postgres://app@db:5432/app and https://example.com:8443/x')).toBe(
      'postgres://app@db:5432/app and https://example.com:8443/x',
    );
  });

  it('replaces a percent-encoded password', () => {
    expect(redact('postgres://app:p%40ss%2Fword@db/app')).toBe('postgres://app:***@db/app');
  });
});

describe('redact: password parameters', () => {
  it('replaces password= in a query string and keeps the parameters before it', () => {
    expect(redact('postgres://db/app?user=app&password=query-pw')).toBe('postgres://db/app?user=app&password=***');
    expect(redact('postgres://db/app?password=first-pw')).toBe('postgres://db/app?password=***');
    expect(redact('postgres://db/app?password=mid-pw&sslmode=require')).toBe(
      'postgres://db/app?password=***&sslmode=require',
    );
  });

  it('replaces sslpassword= (the passphrase of the SSL key) too', () => {
    expect(redact('postgres://db/app?sslkey=/k.pem&sslpassword=key-pass&sslmode=require')).toBe(
      'postgres://db/app?sslkey=/k.pem&sslpassword=***&sslmode=require',
    );
    expect(displayUrl('postgres://u@db/app?sslpassword=key-pass-2&password=pw-2')).toBe(
      'postgres://u@db/app?sslpassword=***&password=***',
    );
  });

  it('never swallows the quote, bracket or punctuation after a password value', () => {
    expect(redact('{"url": "postgres://db/app?password=q-pw"}')).toBe('{"url": "postgres://db/app?password=***"}');
    expect(redact('(postgres://db/app?password=p-pw).')).toBe('(postgres://db/app?password=***).');
    expect(redact("password='x y', next")).toBe('password=***, next');
  });

  it('replaces password= in a keyword/value connection string', () => {
    expect(redact('host=db port=5432 password=kw-secret user=app')).toBe('host=db port=5432 password=*** user=app');
  });

  it('replaces a quoted keyword password with spaces in it, and spaces around =', () => {
    expect(redact("host=db password = 'two words' user=app")).toBe('host=db password = *** user=app');
  });

  it('ignores the case of the keyword', () => {
    expect(redact('PASSWORD=Upper-pw Password=Mixed-pw')).toBe('PASSWORD=*** Password=***');
  });
});

describe('redact: registered secrets', () => {
  it('removes a registered value wherever it appears', () => {
    registerSecret('tok-4f9a1c');
    expect(redact('Authorization: Bearer tok-4f9a1c; again tok-4f9a1c.')).toBe('Authorization: Bearer ***; again ***.');
  });

  it('does not register values shorter than 4 characters (they would redact ordinary words)', () => {
    registerSecret('abc');
    registerSecret('');
    registerSecret(undefined);
    registerSecret(null);
    expect(redact('abc def')).toBe('abc def');
  });

  it('registers the raw and the decoded password of a URL', () => {
    registerUrlSecrets('postgres://app:dec%40ded-pw@db/app');
    expect(redact('raw dec%40ded-pw, decoded dec@ded-pw')).toBe('raw ***, decoded ***');
  });

  it('registers a password given as a query parameter', () => {
    registerUrlSecrets('postgres://db/app?password=param-pw-77');
    expect(redact('the server said: param-pw-77 is wrong')).toBe('the server said: *** is wrong');
  });

  it('ignores what is not a URL, or has no password', () => {
    expect(() => registerUrlSecrets('not a url')).not.toThrow();
    expect(() => registerUrlSecrets(undefined)).not.toThrow();
    registerUrlSecrets('postgres://nopass-user@db/app');
    expect(redact('nopass-user')).toBe('nopass-user');
  });
});

describe('displayUrl', () => {
  it('shows a URL with its password and password parameter replaced', () => {
    expect(displayUrl('postgres://app:disp-pw@db:5432/app')).toBe('postgres://app:***@db:5432/app');
    expect(displayUrl('postgres://db/app?password=disp-q&sslmode=require')).toBe(
      'postgres://db/app?password=***&sslmode=require',
    );
  });

  it('keeps a URL without a password as it is', () => {
    expect(displayUrl('postgres://app@db:5432/app')).toBe('postgres://app@db:5432/app');
  });

  it('falls back to redact() for what new URL() cannot parse', () => {
    expect(displayUrl('postgres://app:fallback-pw@db:notaport/app')).toBe('postgres://app:***@db:notaport/app');
  });
});

describe('redact: examples in hints', () => {
  it('leaves the <password> placeholder of an example URL, and still removes a real password', () => {
    expect(redact('e.g. postgres://<user>:<password>@<host>:5432/<db>')).toBe(
      'e.g. postgres://<user>:<password>@<host>:5432/<db>',
    );
    expect(redact('postgres://app:<password>x@db/app')).toBe('postgres://app:***@db/app');
    expect(redact('postgres://app:p@ss/w@db/app and more')).toBe('postgres://app:***@db/app and more');
  });
});

describe('redactDeep: structured values before they are serialised', () => {
  it('redacts every string of a value and keeps its shape, so the JSON stays valid', () => {
    registerUrlSecrets('postgres://u:deep-secret-1@h/db?sslpassword=deep-secret-2');
    const value = {
      url: 'postgres://u:deep-secret-1@h/db?sslpassword=deep-secret-2',
      nested: [{ hint: 'the passphrase deep-secret-2 was rejected' }, 3, null, true],
    };
    const out = redactDeep(value);
    expect(out).toEqual({
      url: 'postgres://u:***@h/db?sslpassword=***',
      nested: [{ hint: 'the passphrase *** was rejected' }, 3, null, true],
    });
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
    expect(value.url).toContain('deep-secret-1');
  });
});
