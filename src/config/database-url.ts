/**
 * The database URL: where it comes from (flag, environment, config) and
 * whether it is a PostgreSQL URL. The URL in use has its password registered
 * for redaction here (a URL in the config file already was, when the file was
 * read), and never appears in a message from here.
 */
import { isAbsolute, relative } from 'node:path';
import { ExitCode, SchemagateError } from '../errors.js';
import { registerUrlSecrets } from '../redact.js';
import { wrongType } from './found.js';
import { leaf, Problem, type Spec } from './spec.js';
import type { Config } from './types.js';

export interface DatabaseUrlSource {
  url: string;
  /** Where the URL came from: `--database-url`, the variable named by `database.urlEnv`, or `database.url`. */
  source: 'flag' | 'env' | 'config';
}

/** Why `url` is not a usable PostgreSQL URL (without echoing it), or undefined when it is. */
export function postgresUrlProblem(url: string): string | undefined {
  if (!URL.canParse(url))
    return 'found a string that is not a URL (percent-encode @ : / ? # in the user name and password)';
  const parsed = new URL(url);
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    return `found a URL with scheme "${parsed.protocol.slice(0, 20)}"`;
  }
  const sslmode = parsed.searchParams.get('sslmode');
  if (sslmode !== null && !SSL_MODES.includes(sslmode)) {
    return `found sslmode=${sslmode.slice(0, 20)}, which is not an SSL mode (${SSL_MODES.join(', ')})`;
  }
  return undefined;
}

/** The SSL modes the driver implements: libpq's (without allow), and pg's no-verify. */
const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

const EXPECTED_URL = 'a postgres:// or postgresql:// URL';

/** `database.url` in the config file. */
export function postgresUrl(): Spec<string> {
  return leaf(EXPECTED_URL, (v) => {
    if (typeof v !== 'string' || v.trim() === '') return new Problem(wrongType(EXPECTED_URL, v));
    const problem = postgresUrlProblem(v);
    return problem ? new Problem(`expected ${EXPECTED_URL}, ${problem}`) : v;
  });
}

/** The config file as a message names it: relative to the working directory when inside it. */
function configName(config: Config): string {
  if (!config.file) return 'schemagate.yaml';
  const rel = relative(process.cwd(), config.file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : config.file;
}

/**
 * The database URL to use: `--database-url`, then the environment variable
 * named by `database.urlEnv`, then `database.url`. An empty value counts as
 * unset. Registers the URL's password for redaction.
 */
export function resolveDatabaseUrl(
  config: Config,
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): DatabaseUrlSource {
  const envName = config.database.urlEnv;
  const candidates: Array<{
    url: string | undefined;
    source: DatabaseUrlSource['source'];
    where: string;
    key?: string;
  }> = [
    { url: flag, source: 'flag', where: '--database-url' },
    { url: env[envName], source: 'env', where: `the environment variable ${envName}` },
    { url: config.database.url, source: 'config', where: `database.url in ${configName(config)}`, key: 'database.url' },
  ];
  for (const c of candidates) {
    if (c.url === undefined || c.url.trim() === '') continue;
    const url = c.url.trim();
    registerUrlSecrets(url);
    const problem = postgresUrlProblem(url);
    if (problem) {
      throw new SchemagateError(
        'database-url-invalid',
        `The database URL from ${c.where} is not valid: expected ${EXPECTED_URL}, ${problem}.`,
        {
          exitCode: ExitCode.config,
          hint: 'Use the form postgres://<user>:<password>@<host>:5432/<database>, with special characters in the password percent-encoded.',
          context: c.key ? { key: c.key, ...(config.file ? { file: configName(config) } : {}) } : {},
        },
      );
    }
    return { url, source: c.source };
  }
  throw new SchemagateError(
    'database-url-missing',
    `No database URL: none was given with --database-url, the environment variable ${envName} is not set, and database.url is not set in ${configName(config)}.`,
    {
      exitCode: ExitCode.config,
      hint: `Set one, e.g. export ${envName}=postgres://<user>:<password>@localhost:5432/app`,
      context: { key: 'database.url', ...(config.file ? { file: configName(config) } : {}) },
    },
  );
}
