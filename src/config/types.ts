/**
 * The parsed, validated configuration (`schemagate.yaml` after `loadConfig`).
 * Raw YAML is `unknown` until validated; every field here has its default
 * filled in. Durations are milliseconds; sizes are Kubernetes quantities.
 */

export const MigrationFormat = {
  /** Detect from the file names found (default). */
  auto: 'auto',
  /** `NNN_description.sql` + `NNN_description.down.sql` / `rollback_NNN.sql`. */
  schemagate: 'schemagate',
  /** Flyway: `V1__description.sql`, `V1.2__x.sql`; undo `U1__description.sql`. */
  flyway: 'flyway',
  /** `N_title.up.sql` + `N_title.down.sql`. */
  golangMigrate: 'golang-migrate',
  /** `TIMESTAMP_name.sql` with `-- migrate:up` / `-- migrate:down`. */
  dbmate: 'dbmate',
  /** `VERSION_description.sql`, or `.up.sql` / `.down.sql`. */
  sqlx: 'sqlx',
  /** `NNN_name.sql` with `-- +goose Up` / `-- +goose Down`. */
  goose: 'goose',
  /** `name.sql` with `-- +migrate Up` / `-- +migrate Down`; identified by file name. */
  sqlMigrate: 'sql-migrate',
  /** `TIMESTAMP_name.sql` with `-- Up Migration` / `-- Down Migration`. */
  nodePgMigrate: 'node-pg-migrate',
  /** `NNNN_tag.sql` listed in `meta/_journal.json`. */
  drizzle: 'drizzle',
  /** `TIMESTAMP_name/migration.sql`. */
  prisma: 'prisma',
  /** `YYYY-MM-DD-HHMMSS_name/up.sql` + `down.sql`. */
  diesel: 'diesel',
} as const;
export type MigrationFormat = (typeof MigrationFormat)[keyof typeof MigrationFormat];

export const MigrationMode = {
  /** A migration Job runs `db migrate` before the backend is released (default). */
  job: 'job',
  /** The backend's first init container runs `db migrate`; the advisory lock serialises replicas. */
  initContainer: 'initContainer',
} as const;
export type MigrationMode = (typeof MigrationMode)[keyof typeof MigrationMode];

export const MigrationSource = {
  /** The files go into an immutable ConfigMap mounted into each Job: a saved migration runs without an image build (default). */
  configMap: 'configMap',
  /** The Jobs read the files copied into the image, checked against the checkout's by their digest. */
  image: 'image',
} as const;
export type MigrationSource = (typeof MigrationSource)[keyof typeof MigrationSource];

export interface DatabaseConfig {
  /**
   * Connection URL. Overridden by `--database-url`, then by the environment
   * variable named in `urlEnv`. Never printed with its password.
   * @default undefined (then `urlEnv` must be set in the environment)
   */
  url: string | undefined;
  /** @default "DATABASE_URL" */
  urlEnv: string;
  /** `application_name` of every connection; the command is appended. @default "schemagate" */
  applicationName: string;
  /** How long to try connecting before giving up (`db wait` has its own --timeout). @default 10000 */
  connectTimeoutMs: number;
}

export interface MigrationsConfig {
  /** @default "migrations" */
  dir: string;
  /** @default "auto" */
  format: MigrationFormat;
  /** Schema of the history table. @default "public" */
  schema: string;
  /** @default "schemagate_migrations" */
  table: string;
  /** Schemas `db reset` drops and recreates. @default [schema] */
  managedSchemas: string[];
  /** SET LOCAL lock_timeout per migration; 0 disables. @default 5000 */
  lockTimeoutMs: number;
  /** Retries of a migration that hit lock_timeout (SQLSTATE 55P03). @default 3 */
  lockRetries: number;
  /** SET LOCAL statement_timeout per migration; 0 disables. @default 0 */
  statementTimeoutMs: number;
  /** How long to wait for another runner's advisory lock. @default 120000 */
  lockWaitMs: number;
  /** Apply pending versions lower than the highest applied one. @default false */
  outOfOrder: boolean;
}

export interface SeedsConfig {
  /** @default "seeds" */
  dir: string;
}

export interface RequiredTable {
  /** `table` or `schema.table`; unqualified names are looked up in `migrations.schema`. */
  name: string;
  /** Columns that must exist. @default [] */
  columns: string[];
}

export interface VerifyConfig {
  /** Tables (and columns) the application needs; `db verify` checks them. @default [] */
  tables: RequiredTable[];
}

/** `schemagate lint`: Squawk over the pending migrations. */
export interface LintConfig {
  /** `check` and the Tilt pane run lint. @default true */
  enabled: boolean;
  /** Without a database: lint only versions above this one (those up to it are in production). @default undefined (all) */
  since: string | undefined;
  /** PostgreSQL version of the target when no database is connected. @default undefined (Squawk's default) */
  pgVersion: string | undefined;
  /** Squawk rules not checked. @default [] */
  exclude: string[];
  /** Squawk's opt-in rules to check too. @default [] */
  include: string[];
  /** Rules reported as warnings (they do not fail lint). @default DEFAULT_LINT_WARN */
  warn: string[];
}

export interface LocalConfig {
  /** Data directory of the embedded PostgreSQL. @default ".schemagate" */
  dataDir: string;
  /** Port of the embedded PostgreSQL. @default 54329 */
  port: number;
  /** @default "schemagate" */
  database: string;
}

/** A Secret key: where the init container's password variable comes from. */
export interface SecretKeyRef {
  name: string;
  key: string;
}

/** A password kept out of a dependency's URL. */
export interface DependencyPassword {
  /** The environment variable that holds it: in your shell with --local; in the init container, set from `secret`. */
  env: string;
  /** The Secret key the init container's variable is set from. @default undefined (needed in a cluster) */
  secret: SecretKeyRef | undefined;
}

/** A service the backend needs besides PostgreSQL, waited on (`schemagate wait`) before it starts. */
export interface Dependency {
  /** The target as the backend's pods reach it: tcp://, http(s)://, redis(s)://, postgres:// (`schemagate wait` syntax). */
  url: string;
  /** The target as this machine reaches it, for `backend --local`; false: not waited on there. @default url */
  local: string | false;
  password: DependencyPassword | undefined;
}

export interface BackendDependenciesConfig {
  /** @default [] */
  dependencies: Dependency[];
  /** The deadline of the wait for all of them. @default 120000 */
  waitTimeoutMs: number;
}

export interface Resources {
  requests: { cpu?: string; memory?: string };
  limits: { cpu?: string; memory?: string };
}

export interface SecretRef {
  /** Secret name. */
  name: string;
  /** Key in the Secret. @default "DATABASE_URL" */
  key: string;
}

export interface JobConfig {
  /** @default 3 (migration), 1 (seed) */
  backoffLimit: number;
  /** @default 86400 */
  ttlSecondsAfterFinished: number;
  /** @default 600 */
  activeDeadlineSeconds: number;
  /** How long the Job's pod waits for PostgreSQL to accept connections before it fails (exit 5, retried). @default 120000 */
  waitForDatabaseMs: number;
  /** @default requests 100m / 128Mi, limits memory 256Mi */
  resources: Resources;
  /** Secret holding the DATABASE_URL the Job connects with. */
  secret: SecretRef;
}

export interface BackendConfig {
  /** Deployment name. @default "backend" */
  deployment: string;
  /** Replicas once released. @default 1 */
  replicas: number;
  /** Secret holding the application's DATABASE_URL. */
  secret: SecretRef;
  /** Container port. @default 8080 */
  port: number;
}

export interface PostgresConfig {
  /** Name of the postgres workload and Service. @default "postgres" */
  name: string;
  /** @default 5432 */
  port: number;
}

export interface KubernetesConfig {
  /** @default "schemagate" */
  namespace: string;
  /** kubeconfig context; @default undefined (the current context) */
  context: string | undefined;
  /** Image the Jobs and init containers run. @default "schemagate:dev" */
  image: string;
  /** @default "IfNotPresent" */
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** Contexts where `reset` may run, in addition to the built-in local ones. @default [] */
  allowedContexts: string[];
  /** Directory of manifests (namespace, postgres, backend). @default "k8s" */
  manifestsDir: string;
  /** @default "job" */
  migrationMode: MigrationMode;
  /** Where the Jobs' pods read the migrations and seeds from. @default "configMap" */
  migrationSource: MigrationSource;
  migrationJob: JobConfig;
  seedJob: JobConfig;
  backend: BackendConfig;
  postgres: PostgresConfig;
  /**
   * Overall deadline of a wait (Job, rollout). @default undefined: each
   * wait's own, longer than the cluster's deadline for what it waits on
   * (activeDeadlineSeconds, progressDeadlineSeconds) plus the pod's grace period
   */
  timeoutMs: number | undefined;
  /** How long a pod may stay unschedulable before a wait fails with the scheduler's message. @default 60000 */
  schedulingTimeoutMs: number;
}

export interface Config {
  /** The file this was read from, or undefined when no file exists (all defaults). */
  file: string | undefined;
  /** Directory paths are relative to (the config file's directory, or the cwd). */
  root: string;
  database: DatabaseConfig;
  migrations: MigrationsConfig;
  seeds: SeedsConfig;
  verify: VerifyConfig;
  lint: LintConfig;
  local: LocalConfig;
  /** What the backend needs before it starts (its Deployment is under `kubernetes.backend`). */
  backend: BackendDependenciesConfig;
  kubernetes: KubernetesConfig;
}
