import { describe, expect, it } from 'vitest';
import { ConfigError, ExitCode, SchemagateError } from '../../src/errors.js';
import { parseConfig } from '../../src/config/load.js';
import { thrown } from '../support/thrown.js';

/** The message of the error that `yaml` is rejected with. */
function rejection(yaml: string): SchemagateError {
  return thrown(() => parseConfig(yaml, 'schemagate.yaml', '/app'));
}

/** The problem lines of a ConfigError (without the `file: N problems` header). */
function problems(yaml: string): string[] {
  const e = rejection(yaml);
  expect(e).toBeInstanceOf(ConfigError);
  expect(e.exitCode).toBe(ExitCode.config);
  return e.message.split('\n').slice(1);
}

const LABEL = "a DNS label (lowercase letters, digits and '-', at most 63 characters)";
const DURATION = '(500ms, 10s, 5m, 1h, or an integer of milliseconds)';

describe('a configuration with several problems', () => {
  it('reports every problem at once, in the order of the file, with the pinned header', () => {
    const e = rejection(
      [
        'migrations:',
        '  lockTimout: 5s',
        'kubernetes:',
        '  migration:',
        '    backoffLimit: -1',
        '  namespace: My_NS',
      ].join('\n'),
    );
    expect(e.message).toBe(
      'schemagate.yaml: 3 problems in the configuration:\n' +
        '  - migrations.lockTimout: unknown key (did you mean "lockTimeout"?)\n' +
        '  - kubernetes.migration.backoffLimit: expected an integer >= 0, found -1\n' +
        `  - kubernetes.namespace: expected ${LABEL}, found "My_NS"`,
    );
    expect(e.hint).toBe('Fix the keys above; docs/configuration.md lists every key with its type and default.');
    expect((e as ConfigError).issues.map((i) => i.key)).toEqual([
      'migrations.lockTimout',
      'kubernetes.migration.backoffLimit',
      'kubernetes.namespace',
    ]);
  });

  it('says "1 problem" for a single problem', () => {
    expect(rejection('seeds: { dir: 5 }').message).toBe(
      'schemagate.yaml: 1 problem in the configuration:\n  - seeds.dir: expected a directory path, found a number (5)',
    );
  });
});

// [behaviour, YAML, the one problem line]
const cases: Array<[string, string, string]> = [
  [
    'an unknown key with no close match lists the known keys',
    'seeds: { colour: red }',
    'seeds.colour: unknown key (known keys here: dir)',
  ],
  ['a misspelt top-level section is suggested', 'databse: {}', 'databse: unknown key (did you mean "database"?)'],
  [
    'a key named as in the parsed types is pointed at its YAML name',
    'kubernetes: { manifestsDir: k8s }',
    'kubernetes.manifestsDir: unknown key (did you mean "manifests"?)',
  ],
  ['a document that is a list is refused', '- a\n- b', '(top level): expected a mapping, found a list'],
  ['a section given a scalar is refused', 'kubernetes: yes', 'kubernetes: expected a mapping, found a string ("yes")'],
  [
    'a namespace longer than 63 characters names its length',
    `kubernetes: { namespace: ${'a'.repeat(70)} }`,
    `kubernetes.namespace: expected ${LABEL}, found "${'a'.repeat(59)}…" (70 characters)`,
  ],
  [
    'a Secret name that starts with a dash says why it is wrong',
    'kubernetes: { backend: { secret: { name: -app } } }',
    `kubernetes.backend.secret.name: expected ${LABEL}, found "-app" (it must start and end with a letter or digit)`,
  ],
  [
    'a Secret key with a space is refused',
    'kubernetes: { seed: { secret: { key: DATABASE URL } } }',
    `kubernetes.seed.secret.key: expected a Secret key (letters, digits, '-', '_' and '.', at most 253 characters), found "DATABASE URL"`,
  ],
  [
    'a Service name must start with a letter',
    'kubernetes: { postgres: { name: 5pg } }',
    `kubernetes.postgres.name: expected a DNS label starting with a letter (lowercase letters, digits and '-', at most 63 characters), found "5pg"`,
  ],
  [
    'a port above 65535 is refused',
    'local: { port: 70000 }',
    'local.port: expected an integer between 1 and 65535, found 70000',
  ],
  [
    'a quoted port is a string, not an integer',
    'kubernetes: { backend: { port: "8080" } }',
    'kubernetes.backend.port: expected an integer between 1 and 65535, found a string ("8080")',
  ],
  [
    'a fractional replica count is refused',
    'kubernetes: { backend: { replicas: 1.5 } }',
    'kubernetes.backend.replicas: expected an integer >= 0, found 1.5',
  ],
  [
    'an activeDeadlineSeconds of 0 is refused',
    'kubernetes: { seed: { activeDeadlineSeconds: 0 } }',
    'kubernetes.seed.activeDeadlineSeconds: expected an integer >= 1, found 0',
  ],
  [
    'an integer beyond 32 bits names the range Kubernetes takes',
    'kubernetes: { migration: { ttlSecondsAfterFinished: 3000000000 } }',
    'kubernetes.migration.ttlSecondsAfterFinished: expected an integer between 0 and 2147483647, found 3000000000',
  ],
  [
    'a duration with a unit spelled out is refused',
    'migrations: { lockWait: 10 sec }',
    `migrations.lockWait: expected a duration ${DURATION}, found "10 sec"`,
  ],
  [
    'a negative duration is refused',
    'migrations: { lockTimeout: -5 }',
    `migrations.lockTimeout: expected a duration ${DURATION}, found -5`,
  ],
  [
    'a connect timeout of 0 is refused (a wait needs a deadline)',
    'database: { connectTimeout: 0 }',
    `database.connectTimeout: expected a duration greater than 0 ${DURATION}, found 0`,
  ],
  [
    'a lock timeout beyond what PostgreSQL accepts is refused',
    'migrations: { lockTimeout: 1000h }',
    `migrations.lockTimeout: expected a duration of at most 2147483647ms (PostgreSQL's limit, about 24 days), found "1000h"`,
  ],
  [
    'a duration given as a list is refused',
    'kubernetes: { timeout: [10m] }',
    `kubernetes.timeout: expected a duration greater than 0 ${DURATION}, found a list`,
  ],
  [
    'a misspelt migration format is suggested',
    'migrations: { format: flyaway }',
    'migrations.format: expected one of auto, schemagate, flyway, golang-migrate, dbmate, sqlx, goose, sql-migrate, node-pg-migrate, drizzle, prisma, diesel, found "flyaway" (did you mean "flyway"?)',
  ],
  [
    'a pull policy in the wrong case is suggested',
    'kubernetes: { imagePullPolicy: always }',
    'kubernetes.imagePullPolicy: expected one of Always, IfNotPresent, Never, found "always" (did you mean "Always"?)',
  ],
  [
    'an unknown migration mode is refused',
    'kubernetes: { migration: { mode: sidecar } }',
    'kubernetes.migration.mode: expected one of job, initContainer, found "sidecar"',
  ],
  [
    'a YAML 1.1 boolean is a string',
    'migrations: { outOfOrder: yes }',
    'migrations.outOfOrder: expected true or false, found a string ("yes")',
  ],
  [
    'a single schema where a list is expected is refused',
    'migrations: { managedSchemas: public }',
    'migrations.managedSchemas: expected a list, found a string ("public")',
  ],
  [
    'tables given as a mapping are refused',
    'verify: { tables: { users: [id] } }',
    'verify.tables: expected a list, found a mapping',
  ],
  [
    'a table given as a number is refused',
    'verify: { tables: [users, 5] }',
    'verify.tables[1]: expected a table name or a mapping with name and columns, found a number (5)',
  ],
  [
    'a table mapping without a name is refused',
    'verify: { tables: [{ columns: [id] }] }',
    'verify.tables[0].name: expected a table name (table or schema.table, each at most 63 bytes), found nothing',
  ],
  [
    'a table name of the wrong type is reported once, not also as missing',
    'verify: { tables: [{ name: 5 }] }',
    'verify.tables[0].name: expected a table name (table or schema.table, each at most 63 bytes), found a number (5)',
  ],
  [
    'a table listed twice is refused',
    'verify: { tables: [users, { name: users, columns: [id] }] }',
    'verify.tables[1]: "users" is listed twice (also at verify.tables[0])',
  ],
  [
    'a table name with two dots is refused',
    'verify: { tables: [a.b.c] }',
    'verify.tables[0]: expected a table name (table or schema.table, each at most 63 bytes), found "a.b.c"',
  ],
  [
    'a column name longer than 63 bytes is refused',
    `verify: { tables: [{ name: users, columns: [${'c'.repeat(64)}] }] }`,
    `verify.tables[0].columns[0]: expected a column name (at most 63 bytes), found "${'c'.repeat(59)}…" (64 bytes)`,
  ],
  [
    'a schema name is measured in bytes, not characters',
    `migrations: { schema: ${'é'.repeat(32)} }`,
    `migrations.schema: expected a schema name (at most 63 bytes), found "${'é'.repeat(32)}" (64 bytes)`,
  ],
  [
    'an empty list item is refused',
    'kubernetes:\n  allowedContexts:\n    - kind-dev\n    -\n',
    'kubernetes.allowedContexts[1]: expected a kubeconfig context name, found nothing',
  ],
  [
    'an empty context name is refused',
    'kubernetes: { context: "" }',
    'kubernetes.context: expected a kubeconfig context name, found an empty string',
  ],
  [
    'an image with an uppercase repository is refused',
    'kubernetes: { image: Schemagate:dev }',
    'kubernetes.image: expected an image reference (e.g. schemagate:dev or registry.example.com/team/app:1.2), found "Schemagate:dev" (repository names must be lowercase)',
  ],
  [
    'an image with whitespace is refused',
    'kubernetes: { image: "schemagate: dev" }',
    'kubernetes.image: expected an image reference (e.g. schemagate:dev or registry.example.com/team/app:1.2), found "schemagate: dev" (it contains whitespace)',
  ],
  [
    'a CPU quantity with a memory unit is refused',
    'kubernetes: { migration: { resources: { requests: { cpu: 100mb } } } }',
    'kubernetes.migration.resources.requests.cpu: expected a CPU quantity (e.g. 100m, 0.5, 1), found "100mb"',
  ],
  [
    'a memory quantity in millibytes suggests mebibytes',
    'kubernetes: { seed: { resources: { limits: { memory: 128m } } } }',
    'kubernetes.seed.resources.limits.memory: expected a memory quantity (e.g. 128Mi, 1Gi, 500M), found "128m" (m means thousandths of a byte; did you mean "128Mi"?)',
  ],
  [
    'a memory quantity in GB suggests Gi or G',
    'kubernetes: { seed: { resources: { limits: { memory: 1GB } } } }',
    'kubernetes.seed.resources.limits.memory: expected a memory quantity (e.g. 128Mi, 1Gi, 500M), found "1GB" (did you mean "1Gi" or "1G"?)',
  ],
  [
    'a memory request above the default limit is refused',
    'kubernetes: { migration: { resources: { requests: { memory: 512Mi } } } }',
    'kubernetes.migration.resources.requests.memory: expected at most the limit 256Mi (kubernetes.migration.resources.limits.memory), found "512Mi" (Kubernetes refuses a request above its limit)',
  ],
  [
    'a CPU request above its limit is refused',
    'kubernetes: { seed: { resources: { requests: { cpu: "1" }, limits: { cpu: 500m } } } }',
    'kubernetes.seed.resources.requests.cpu: expected at most the limit 500m (kubernetes.seed.resources.limits.cpu), found "1" (Kubernetes refuses a request above its limit)',
  ],
  [
    'an environment variable name with a dash is refused',
    'database: { urlEnv: DATABASE-URL }',
    'database.urlEnv: expected an environment variable name (letters, digits and \'_\', not starting with a digit), found "DATABASE-URL"',
  ],
  [
    'a URL where the variable name belongs is explained, not echoed',
    'database: { urlEnv: "postgres://app:pw@db/app" }',
    "database.urlEnv: expected an environment variable name (letters, digits and '_', not starting with a digit), found a URL (this key names the variable that holds the URL; put the URL itself in database.url or in that variable)",
  ],
  [
    'a database URL of another scheme is refused',
    'database: { url: "mysql://app@db/app" }',
    'database.url: expected a postgres:// or postgresql:// URL, found a URL with scheme "mysql:"',
  ],
  [
    'a database URL that is not a URL is refused',
    'database: { url: "db.example.com:5432" }',
    'database.url: expected a postgres:// or postgresql:// URL, found a URL with scheme "db.example.com:"',
  ],
  [
    'a database URL given as a number is refused',
    'database: { url: 5 }',
    'database.url: expected a postgres:// or postgresql:// URL, found a number (5)',
  ],
  [
    'an application name with non-ASCII characters is refused',
    'database: { applicationName: "schémagate" }',
    'database.applicationName: expected an application name (printable ASCII, at most 63 characters), found "schémagate"',
  ],
];

describe('a configuration with one problem', () => {
  it.each(cases)('%s', (_behaviour, yaml, line) => {
    expect(problems(yaml)).toEqual([`  - ${line}`]);
  });
});

describe('a file that is not valid YAML', () => {
  it('names the file, line and column, and shows the line in the hint', () => {
    const e = rejection('a: 1\nb:\n  c: [1, 2\n  d: 3\n');
    expect(e).not.toBeInstanceOf(ConfigError);
    expect(e.exitCode).toBe(ExitCode.config);
    expect(e.code).toBe('config-yaml');
    expect(e.message).toBe(
      'schemagate.yaml:4:3: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    );
    expect(e.hint).toBe(
      'Fix the YAML near line 4: check the indentation (spaces, not tabs) and quote values that contain ": " or " #".\n  4 |   d: 3\n    |   ^',
    );
  });

  it('reports a duplicate key as a YAML error', () => {
    expect(rejection('seeds:\n  dir: a\n  dir: b\n').message).toBe(
      'schemagate.yaml:3:3: invalid YAML: Map keys must be unique',
    );
  });

  it('reports an alias to a missing anchor where it is', () => {
    expect(rejection('seeds:\n  dir: *base\n').message).toBe(
      'schemagate.yaml:2:8: invalid YAML: Unresolved alias *base: no anchor &base is defined before it',
    );
  });

  it('reports several documents in one file', () => {
    expect(rejection('seeds: {}\n---\nlocal: {}\n').message).toMatch(
      /^schemagate\.yaml:2:1: invalid YAML: Source contains multiple documents/,
    );
  });
});
