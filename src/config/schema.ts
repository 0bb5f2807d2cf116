/**
 * The key table of `schemagate.yaml` (user-facing names, every default) and
 * the step from the validated YAML shape to `Config`. docs/configuration.md
 * documents exactly these keys; a unit test keeps the two in step.
 */
import { resolve } from 'node:path';
import { postgresUrl } from './database-url.js';
import { dependency, type RawDependency } from './dependency.js';
import { cpuQuantity, memoryQuantity, quantityValue, type QuantityKind } from './quantity.js';
import {
  field,
  list,
  mapping,
  optional,
  report,
  required,
  section,
  type Issues,
  type Spec,
  type SpecValue,
} from './spec.js';
import { wrongType } from './found.js';
import type { Config, Dependency, JobConfig, RequiredTable } from './types.js';
import { MigrationFormat, MigrationMode, MigrationSource } from './types.js';
import {
  applicationName,
  boolean,
  dnsLabel,
  duration,
  envVarName,
  identifier,
  imageRef,
  integer,
  oneOf,
  ruleName,
  secretKey,
  serviceName,
  tableName,
  text,
  versionText,
} from './validators.js';

const DEFAULT_MIGRATOR_SECRET = 'schemagate-migrator';
const DEFAULT_APP_SECRET = 'schemagate-app';

const database = mapping({
  url: optional(postgresUrl()),
  urlEnv: field(envVarName(), 'DATABASE_URL'),
  applicationName: field(applicationName(), 'schemagate'),
  connectTimeout: field(duration({ positive: true }), 10_000, '10s'),
});

const migrations = mapping({
  dir: field(text('a directory path'), 'migrations'),
  format: field(oneOf(Object.values(MigrationFormat)), MigrationFormat.auto),
  schema: field(identifier('a schema name'), 'public'),
  table: field(identifier('a table name'), 'schemagate_migrations'),
  // Its default depends on `schema`: filled in by toConfig.
  managedSchemas: optional(list(identifier('a schema name'), { unique: (s) => s }), '[schema]'),
  lockTimeout: field(duration({ postgres: true }), 5_000, '5s'),
  lockRetries: field(integer(0), 3),
  statementTimeout: field(duration({ postgres: true }), 0, '0 (none)'),
  lockWait: field(duration(), 120_000, '2m'),
  outOfOrder: field(boolean(), false),
});

const seeds = mapping({
  dir: field(text('a directory path'), 'seeds'),
});

const tableMapping = mapping({
  name: required(tableName(), ''),
  columns: field(list(identifier('a column name'), { unique: (c) => c }), [] as string[]),
});

/** A required table: `users`, or `{ name: users, columns: [id, email] }`. */
const REQUIRED_TABLE = 'a table name or a mapping with name and columns';
const requiredTable: Spec<RequiredTable> = {
  type: REQUIRED_TABLE,
  fields: tableMapping.fields,
  read(value, at, issues) {
    if (typeof value === 'string') {
      const name = tableName().read(value, at, issues);
      return name === undefined ? undefined : { name, columns: [] };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      report(issues, at, wrongType(REQUIRED_TABLE, value));
      return undefined;
    }
    return tableMapping.read(value, at, issues);
  },
};

const verify = mapping({
  tables: field(
    list(requiredTable, { type: 'list of table names or mappings', unique: (t) => t.name }),
    [] as RequiredTable[],
  ),
});

/**
 * Squawk rules reported as warnings unless `lint.warn` says otherwise: advice
 * on types and re-runnability, and statement_timeout (schemagate sets none by
 * default). Every other rule is about locks, rewrites or breaking clients.
 */
export const DEFAULT_LINT_WARN = [
  'prefer-robust-stmts',
  'prefer-bigint-over-int',
  'prefer-bigint-over-smallint',
  'prefer-identity',
  'prefer-text-field',
  'prefer-timestamptz',
  'ban-char-field',
  'require-statement-timeout',
];

const rules = () => list(ruleName(), { unique: (r) => r });

const lint = mapping({
  enabled: field(boolean(), true),
  since: optional(versionText('a migration version (e.g. 4, "1.2" or 20240101120000)', /^\d+(?:[._]\d+)*$/)),
  pgVersion: optional(versionText('a PostgreSQL version (e.g. 16 or "15.4")', /^\d+(?:\.\d+){0,2}$/)),
  exclude: field(rules(), [] as string[]),
  include: field(rules(), [] as string[]),
  warn: field(rules(), DEFAULT_LINT_WARN),
});

const local = mapping({
  dataDir: field(text('a directory path'), '.schemagate'),
  port: field(integer(1, 65535), 54329),
  database: field(identifier('a database name'), 'schemagate'),
});

const backend = mapping({
  dependencies: field(
    list(dependency, { type: 'list of wait targets or mappings', unique: (d) => d.url }),
    [] as RawDependency[],
  ),
  waitTimeout: field(duration({ positive: true }), 120_000, '2m'),
});

const resources = mapping({
  requests: section(
    mapping({
      cpu: field(cpuQuantity(), '100m'),
      memory: field(memoryQuantity(), '128Mi'),
    }),
  ),
  limits: section(
    mapping({
      cpu: optional(cpuQuantity()),
      memory: field(memoryQuantity(), '256Mi'),
    }),
  ),
});

function secret(defaultName: string) {
  return mapping({
    name: field(dnsLabel(), defaultName),
    key: field(secretKey(), 'DATABASE_URL'),
  });
}

function jobFields(backoffLimit: number) {
  return {
    backoffLimit: field(integer(0), backoffLimit),
    ttlSecondsAfterFinished: field(integer(0), 86_400),
    activeDeadlineSeconds: field(integer(1), 600),
    waitForDatabase: field(duration({ positive: true }), 120_000, '2m'),
    resources: section(resources),
    secret: section(secret(DEFAULT_MIGRATOR_SECRET)),
  };
}

const kubernetes = mapping({
  namespace: field(dnsLabel(), 'schemagate'),
  context: optional(text('a kubeconfig context name'), 'the current context'),
  image: field(imageRef(), 'schemagate:dev'),
  imagePullPolicy: field(oneOf(['Always', 'IfNotPresent', 'Never'] as const), 'IfNotPresent'),
  allowedContexts: field(list(text('a kubeconfig context name'), { unique: (c) => c }), [] as string[]),
  manifests: field(text('a directory path'), 'k8s'),
  timeout: optional(
    duration({ positive: true }),
    "each wait's own: activeDeadlineSeconds (progressDeadlineSeconds) + the pod's grace period + 1m",
  ),
  schedulingTimeout: field(duration({ positive: true }), 60_000, '60s'),
  migration: section(
    mapping({
      mode: field(oneOf(Object.values(MigrationMode)), MigrationMode.job),
      source: field(oneOf(Object.values(MigrationSource)), MigrationSource.configMap),
      ...jobFields(3),
    }),
  ),
  seed: section(mapping(jobFields(1))),
  backend: section(
    mapping({
      deployment: field(dnsLabel(), 'backend'),
      replicas: field(integer(0), 1),
      port: field(integer(1, 65535), 8080),
      secret: section(secret(DEFAULT_APP_SECRET)),
    }),
  ),
  postgres: section(
    mapping({
      name: field(serviceName(), 'postgres'),
      port: field(integer(1, 65535), 5432),
    }),
  ),
});

/** The whole file. */
export const configSpec = mapping({
  database: section(database),
  migrations: section(migrations),
  seeds: section(seeds),
  verify: section(verify),
  lint: section(lint),
  local: section(local),
  backend: section(backend),
  kubernetes: section(kubernetes),
});

/** The file as validated, with the user-facing key names (not yet `Config`). */
export type RawConfig = SpecValue<typeof configSpec>;
type RawJob = RawConfig['kubernetes']['seed'];

/** Checks that need more than one key: a request above its limit, a lint rule both excluded and a warning, one variable set from two Secrets. */
export function crossCheck(raw: RawConfig, issues: Issues): void {
  const excluded = new Map(raw.lint.exclude.map((r, i) => [r, i]));
  raw.lint.warn.forEach((r, i) => {
    const at = excluded.get(r);
    if (at !== undefined)
      report(
        issues,
        `lint.warn[${i}]`,
        `"${r}" is also in lint.exclude[${at}]: an excluded rule is not checked at all; keep it in one of the two lists`,
      );
  });
  // The init container has one environment: a variable can hold only one Secret's value.
  const firstSource = new Map<string, { at: string; from: string }>();
  // A rejected item is left out of the list: the indexes below would no longer be the file's.
  const depsOk = !issues.some((i) => i.key.startsWith('backend.dependencies'));
  raw.backend.dependencies.forEach((d, i) => {
    if (!depsOk) return;
    if (!d.password?.secret) return;
    const at = `backend.dependencies[${i}].password`;
    const from = `${d.password.secret.name}/${d.password.secret.key}`;
    const first = firstSource.get(d.password.env);
    if (!first) firstSource.set(d.password.env, { at, from });
    else if (first.from !== from) {
      report(
        issues,
        `${at}.env`,
        `${d.password.env} is already set from Secret ${first.from} (${first.at}); give this password another variable`,
      );
    }
  });
  for (const job of ['migration', 'seed'] as const) {
    const { requests, limits } = raw.kubernetes[job].resources;
    const at = `kubernetes.${job}.resources`;
    // A rejected value was replaced by its default: comparing with that would mislead.
    if (issues.some((i) => i.key.startsWith(at))) continue;
    for (const kind of ['cpu', 'memory'] as const satisfies readonly QuantityKind[]) {
      const request = requests[kind];
      const limit = limits[kind];
      if (limit === undefined) continue;
      if (quantityValue(kind, request) > quantityValue(kind, limit)) {
        report(
          issues,
          `${at}.requests.${kind}`,
          `expected at most the limit ${limit} (${at}.limits.${kind}), found "${request}" (Kubernetes refuses a request above its limit)`,
        );
      }
    }
  }
}

/** Leaves out unset quantities, so that no `cpu: null` reaches a manifest. */
function quantities(q: { cpu?: string | undefined; memory?: string | undefined }): { cpu?: string; memory?: string } {
  return { ...(q.cpu === undefined ? {} : { cpu: q.cpu }), ...(q.memory === undefined ? {} : { memory: q.memory }) };
}

function job(raw: RawJob): JobConfig {
  return {
    backoffLimit: raw.backoffLimit,
    ttlSecondsAfterFinished: raw.ttlSecondsAfterFinished,
    activeDeadlineSeconds: raw.activeDeadlineSeconds,
    waitForDatabaseMs: raw.waitForDatabase,
    resources: { requests: quantities(raw.resources.requests), limits: quantities(raw.resources.limits) },
    secret: { ...raw.secret },
  };
}

function dependencyOf(d: RawDependency): Dependency {
  return {
    url: d.url,
    local: d.local ?? d.url,
    password: d.password
      ? { env: d.password.env, secret: d.password.secret ? { ...d.password.secret } : undefined }
      : undefined,
  };
}

/** Maps the validated file onto `Config`: renamed keys, and directories resolved against `root`. */
export function toConfig(raw: RawConfig, file: string | undefined, root: string): Config {
  const { database: db, migrations: m, kubernetes: k } = raw;
  return {
    file,
    root,
    database: {
      url: db.url,
      urlEnv: db.urlEnv,
      applicationName: db.applicationName,
      connectTimeoutMs: db.connectTimeout,
    },
    migrations: {
      dir: resolve(root, m.dir),
      format: m.format,
      schema: m.schema,
      table: m.table,
      managedSchemas: m.managedSchemas ?? [m.schema],
      lockTimeoutMs: m.lockTimeout,
      lockRetries: m.lockRetries,
      statementTimeoutMs: m.statementTimeout,
      lockWaitMs: m.lockWait,
      outOfOrder: m.outOfOrder,
    },
    seeds: { dir: resolve(root, raw.seeds.dir) },
    verify: { tables: raw.verify.tables.map((t) => ({ name: t.name, columns: [...t.columns] })) },
    lint: {
      enabled: raw.lint.enabled,
      since: raw.lint.since,
      pgVersion: raw.lint.pgVersion,
      exclude: [...raw.lint.exclude],
      include: [...raw.lint.include],
      warn: [...raw.lint.warn],
    },
    local: { dataDir: resolve(root, raw.local.dataDir), port: raw.local.port, database: raw.local.database },
    backend: { dependencies: raw.backend.dependencies.map(dependencyOf), waitTimeoutMs: raw.backend.waitTimeout },
    kubernetes: {
      namespace: k.namespace,
      context: k.context,
      image: k.image,
      imagePullPolicy: k.imagePullPolicy,
      allowedContexts: k.allowedContexts,
      manifestsDir: resolve(root, k.manifests),
      migrationMode: k.migration.mode,
      migrationSource: k.migration.source,
      migrationJob: job(k.migration),
      seedJob: job(k.seed),
      backend: { ...k.backend, secret: { ...k.backend.secret } },
      postgres: { ...k.postgres },
      timeoutMs: k.timeout,
      schedulingTimeoutMs: k.schedulingTimeout,
    },
  };
}
