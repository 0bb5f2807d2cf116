/**
 * The scalar types of the configuration: each says what it expected and what
 * it found. Kubernetes quantities are in `quantity.ts`, URLs in `database-url.ts`.
 */
import { didYouMean } from '../util/did-you-mean.js';
import { parseDuration } from '../util/duration.js';
import { wrongType, wrongValue } from './found.js';
import { leaf, Problem, type Spec } from './spec.js';

/** PostgreSQL's NAMEDATALEN - 1: longer identifiers are silently truncated. */
const MAX_IDENTIFIER_BYTES = 63;
const INT32_MAX = 2_147_483_647;

export function text(type = 'a string', check?: (s: string) => Problem | undefined): Spec<string> {
  return leaf(type, (v) => {
    if (typeof v !== 'string') return new Problem(wrongType(type, v));
    if (v.trim() === '') return new Problem(wrongType(type === 'a string' ? 'a non-empty string' : type, v));
    return check?.(v) ?? v;
  });
}

export function boolean(): Spec<boolean> {
  return leaf('true or false', (v) => (typeof v === 'boolean' ? v : new Problem(wrongType('true or false', v))));
}

/** An integer in [min, max]; `max` defaults to a 32-bit int (what Kubernetes and PostgreSQL take). */
export function integer(min: number, max?: number): Spec<number> {
  const type = max === undefined ? `an integer >= ${min}` : `an integer between ${min} and ${max}`;
  return leaf(type, (v) => {
    if (typeof v !== 'number') return new Problem(wrongType(type, v));
    if (!Number.isInteger(v) || v < min) return new Problem(wrongValue(type, v));
    const upper = max ?? INT32_MAX;
    if (v > upper) return new Problem(wrongValue(`an integer between ${min} and ${upper}`, v));
    return v;
  });
}

export function oneOf<const V extends string>(values: readonly V[]): Spec<V> {
  const type = `one of ${values.join(', ')}`;
  return leaf(type, (v) => {
    if (typeof v !== 'string') return new Problem(wrongType(type, v));
    if ((values as readonly string[]).includes(v)) return v as V;
    const guess = didYouMean(v, values);
    return new Problem(wrongValue(type, v, guess ? `did you mean "${guess}"?` : undefined));
  });
}

const DURATION_FORMS = '500ms, 10s, 5m, 1h, or an integer of milliseconds';

/**
 * A duration in milliseconds. `positive`: 0 is refused (a wait must have a
 * deadline). `postgres`: at most what PostgreSQL's timeout settings accept.
 */
export function duration(opts: { positive?: boolean; postgres?: boolean } = {}): Spec<number> {
  const type = opts.positive ? 'a duration greater than 0' : 'a duration';
  const expected = `${type} (${DURATION_FORMS})`;
  return leaf(type, (v) => {
    let ms: number | undefined;
    if (typeof v === 'number') ms = Number.isSafeInteger(v) && v >= 0 ? v : undefined;
    else if (typeof v === 'string') ms = parseDuration(v);
    else return new Problem(wrongType(expected, v));
    if (ms === undefined || (opts.positive && ms === 0)) return new Problem(wrongValue(expected, v));
    if (opts.postgres && ms > INT32_MAX) {
      return new Problem(wrongValue(`a duration of at most ${INT32_MAX}ms (PostgreSQL's limit, about 24 days)`, v));
    }
    return ms;
  });
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function labelWhy(s: string): string | undefined {
  if (s.length > 63) return `${s.length} characters`;
  if (/^[-]|[-]$/.test(s) && /^[-a-z0-9]+$/.test(s)) return 'it must start and end with a letter or digit';
  return undefined;
}

/** An RFC 1123 DNS label: namespaces, Secrets, Deployments. */
export function dnsLabel(): Spec<string> {
  const type = "a DNS label (lowercase letters, digits and '-', at most 63 characters)";
  return text(type, (s) =>
    s.length <= 63 && DNS_LABEL.test(s) ? undefined : new Problem(wrongValue(type, s, labelWhy(s))),
  );
}

/** An RFC 1035 label (a DNS label that starts with a letter): what a Service name must be. */
export function serviceName(): Spec<string> {
  const type = "a DNS label starting with a letter (lowercase letters, digits and '-', at most 63 characters)";
  return text(type, (s) =>
    s.length <= 63 && DNS_LABEL.test(s) && /^[a-z]/.test(s) ? undefined : new Problem(wrongValue(type, s, labelWhy(s))),
  );
}

// The grammar of github.com/distribution/reference (IPv6 registries left out).
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const IMAGE = new RegExp(`^(${NAME})(?::${TAG})?(?:@${DIGEST})?$`);

/** A container image reference: `schemagate:dev`, `ghcr.io/team/app:1.2@sha256:...`. */
export function imageRef(): Spec<string> {
  const type = 'an image reference (e.g. schemagate:dev or registry.example.com/team/app:1.2)';
  return text(type, (s) => {
    const m = IMAGE.exec(s);
    if (m && (m[1] ?? '').length <= 255) return undefined;
    const why = /\s/.test(s)
      ? 'it contains whitespace'
      : /[A-Z]/.test(s.split(/[:@]/)[0] ?? '')
        ? 'repository names must be lowercase'
        : undefined;
    return new Problem(wrongValue(type, s, why));
  });
}

function identifierProblem(type: string, s: string): Problem | undefined {
  const bytes = Buffer.byteLength(s, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES) return new Problem(wrongValue(type, s, `${bytes} bytes`));
  if (s.includes('\0')) return new Problem(wrongValue(type, s, 'it contains a NUL character'));
  return undefined;
}

/** A PostgreSQL identifier (schema, table, column, database): non-empty, at most 63 bytes. */
export function identifier(what: string): Spec<string> {
  const type = `${what} (at most ${MAX_IDENTIFIER_BYTES} bytes)`;
  return text(type, (s) => identifierProblem(type, s));
}

/** `table` or `schema.table`. */
export function tableName(): Spec<string> {
  const type = `a table name (table or schema.table, each at most ${MAX_IDENTIFIER_BYTES} bytes)`;
  return text(type, (s) => {
    const parts = s.split('.');
    if (parts.length > 2 || parts.some((p) => p === '')) return new Problem(wrongValue(type, s));
    for (const p of parts)
      if (identifierProblem(type, p)) return new Problem(wrongValue(type, s, `"${p}" is too long`));
    return undefined;
  });
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The name of an environment variable (not its value: a URL here is a common slip). */
export function envVarName(): Spec<string> {
  const type = "an environment variable name (letters, digits and '_', not starting with a digit)";
  return text(type, (s) => {
    if (ENV_NAME.test(s)) return undefined;
    if (s.includes('://')) {
      // Never echo it: it is likely a connection URL with a password.
      return new Problem(
        `expected ${type}, found a URL (this key names the variable that holds the URL; put the URL itself in database.url or in that variable)`,
      );
    }
    return new Problem(wrongValue(type, s));
  });
}

/** A key in a Secret's data. */
export function secretKey(): Spec<string> {
  const type = "a Secret key (letters, digits, '-', '_' and '.', at most 253 characters)";
  return text(type, (s) =>
    s.length <= 253 && /^[-._a-zA-Z0-9]+$/.test(s) ? undefined : new Problem(wrongValue(type, s)),
  );
}

/** `application_name`: PostgreSQL keeps 63 bytes of printable ASCII. */
export function applicationName(): Spec<string> {
  const type = 'an application name (printable ASCII, at most 63 characters)';
  return text(type, (s) => (s.length <= 63 && /^[\x20-\x7e]+$/.test(s) ? undefined : new Problem(wrongValue(type, s))));
}

/**
 * A version written as text or as a whole number (`4`, `"1.2"`, `20240101120000`).
 * A YAML float is refused: `1.10` would silently become `1.1`.
 */
export function versionText(type: string, pattern: RegExp): Spec<string> {
  return leaf(type, (v) => {
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v) && v >= 0) return String(v);
      return new Problem(
        wrongValue(type, v, 'YAML read a number: write the version in quotes, e.g. "1.10", which unquoted is 1.1'),
      );
    }
    if (typeof v !== 'string') return new Problem(wrongType(type, v));
    return pattern.test(v) ? v : new Problem(wrongValue(type, v));
  });
}

/** A Squawk rule name (`require-concurrent-index-creation`); whether Squawk knows it is checked when lint runs. */
export function ruleName(): Spec<string> {
  const type = 'a Squawk rule name (lowercase words joined by "-", e.g. require-concurrent-index-creation)';
  return text(type, (s) => (/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(s) ? undefined : new Problem(wrongValue(type, s))));
}
