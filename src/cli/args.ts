import { parseArgs, type ParseArgsConfig } from 'node:util';
import { scrubUrls } from '../config/found.js';
import { UsageError } from '../errors.js';
import { didYouMean } from '../util/did-you-mean.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & { description: string; value?: string };
export type Options = Record<string, OptionSpec>;

/** Flags every `db` command takes. */
export const dbOptions = {
  'database-url': {
    type: 'string',
    description: 'PostgreSQL URL (default: $DATABASE_URL, then database.url)',
    value: 'URL',
  },
  migrations: { type: 'string', description: 'migrations folder (default: migrations.dir)', value: 'DIR' },
  seeds: { type: 'string', description: 'seeds folder (default: seeds.dir)', value: 'DIR' },
  'lock-wait': {
    type: 'string',
    description: "how long to wait for another runner's lock (default: migrations.lockWait)",
    value: 'DURATION',
  },
  'allow-empty': {
    type: 'boolean',
    description: 'a migrations folder with no migrations is not an error (a new project)',
  },
  bundle: {
    type: 'string',
    description: 'first unpack this file bundle (what a Job mounts from its ConfigMap) and run in it',
    value: 'FILE',
  },
  'wait-for-db': {
    type: 'string',
    description: 'first wait up to this long for PostgreSQL to accept connections (what Jobs do)',
    value: 'DURATION',
  },
} satisfies Options;

/** Where the embedded PostgreSQL is: its folder and port. */
export const localPlaceOptions = {
  'data-dir': {
    type: 'string',
    description: "with --local: the embedded PostgreSQL's folder (default: local.dataDir)",
    value: 'DIR',
  },
  port: { type: 'string', description: 'with --local: its port (default: local.port)', value: 'PORT' },
} satisfies Options;

/** Flags of every command that can run on the embedded PostgreSQL (`--local`). */
export const localOptions: Options = {
  local: {
    type: 'boolean',
    description:
      'use the embedded PostgreSQL (the one `schemagate local start` keeps running, else one for this command)',
  },
  ...localPlaceOptions,
};

/** Flags every command takes. */
export const commonOptions: Options = {
  config: { type: 'string', description: 'configuration file (default: schemagate.yaml)', value: 'FILE' },
  json: { type: 'boolean', description: 'print one JSON document on stdout and nothing else' },
  quiet: { type: 'boolean', short: 'q', description: 'print only the result and errors' },
  verbose: { type: 'boolean', short: 'v', description: 'print more detail' },
  help: { type: 'boolean', short: 'h', description: 'show help for the command' },
};

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** parseArgs with our errors: unknown flags get a "did you mean", missing values say which flag. */
export function parse(argv: string[], options: Options, command: string, maxPositionals: number): Parsed {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    const extra = positionals[maxPositionals];
    if (extra !== undefined) {
      // A database URL given without its flag must not be echoed with its password.
      const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(extra);
      throw new UsageError(
        `${command}: unexpected argument "${scrubUrls(extra)}"`,
        isUrl
          ? 'Give the database URL with --database-url URL, or set DATABASE_URL.'
          : `See \`schemagate ${command} --help\`.`,
      );
    }
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const msg = (e as Error).message;
    const flag = /Unknown option '(-{1,2}[^']+)'/.exec(msg)?.[1];
    if (flag) {
      const guess = didYouMean(flag.replace(/^-+/, ''), Object.keys(options));
      throw new UsageError(
        `${command}: unknown flag ${flag}${guess ? ` (did you mean --${guess}?)` : ''}`,
        `See \`schemagate ${command} --help\`.`,
      );
    }
    // Node names the flag as '-t, --to <value>': keep only the long name.
    const f = /Option '(?:-\w, )?(--?[^' ]+)[^']*' argument (?:missing|is ambiguous)/.exec(msg)?.[1];
    if (f) {
      throw new UsageError(
        `${command}: ${f} needs a value`,
        `Write ${f} VALUE (or ${f}=VALUE when the value starts with "-"); see \`schemagate ${command} --help\`.`,
      );
    }
    const noValue = /Option '(?:-\w, )?(--?[^' ]+)[^']*' does not take an argument/.exec(msg);
    if (noValue)
      throw new UsageError(
        `${command}: ${noValue[1]} does not take a value`,
        `Write ${noValue[1]} alone; see \`schemagate ${command} --help\`.`,
      );
    throw new UsageError(`${command}: ${scrubUrls(msg)}`, `See \`schemagate ${command} --help\`.`);
  }
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function list(p: Parsed, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** The flags as help lists them: `-q, --quiet`, `    --to VERSION`, each with its description. */
export function optionRows(options: Options): string[] {
  return Object.entries(options).map(([name, o]) => {
    const left = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    return `  ${left.padEnd(30)} ${o.description}`;
  });
}
