/**
 * schemagate from a team's own scripts and tests: the commands a CI job or a
 * test suite calls, with the configuration read as the CLI reads it and
 * results as typed values. Failures throw `SchemagateError`s (with
 * `exitCode`, `code` and a `hint`), as the CLI would print them.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { loadConfig, resolveDatabaseUrl } from '../config/load.js';
import type { Config } from '../config/types.js';
import type { MigrateResult } from '../engine/migrate.js';
import type { StatusReport } from '../engine/status.js';
import type { VerifyReport } from '../engine/verify.js';
import type { Check } from '../tasks/check.js';
import { engineOptionsFor } from './engine-options.js';

export interface ApiOptions {
  /** Where `schemagate.yaml` (and relative paths in it) are looked up. @default process.cwd() */
  cwd?: string;
  /** A configuration file to read instead of `schemagate.yaml` in `cwd`; it must exist. */
  configFile?: string;
  /** The database URL. @default the variable named by `database.urlEnv` in `env`, then `database.url` */
  databaseUrl?: string;
  /** Where the database URL's variable and `SCHEMAGATE_CONFIG` are read. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Progress lines (each migration as it is applied, waits for the lock). @default none */
  log?: (line: string) => void;
  /** Cancels the running statement and rolls it back. */
  signal?: AbortSignal;
}

/** The configuration as the CLI would read it with these options. */
export function readConfig(options: Pick<ApiOptions, 'cwd' | 'configFile' | 'env'> = {}): Config {
  return loadConfig({
    cwd: options.cwd ?? process.cwd(),
    ...(options.configFile ? { file: options.configFile } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
}

function engine(options: ApiOptions) {
  const config = readConfig(options);
  const url = resolveDatabaseUrl(config, options.databaseUrl, options.env ?? process.env).url;
  return {
    config,
    opts: engineOptionsFor(config, { url, signal: options.signal, ...(options.log ? { log: options.log } : {}) }),
  };
}

/** `db migrate`: applies pending migrations (up to `to`), each in its own transaction, under the migration lock. */
export async function migrate(options: ApiOptions & { to?: string } = {}): Promise<MigrateResult> {
  const { opts } = engine(options);
  const { migrate: run } = await import('../engine/migrate.js');
  return run(opts, options.to === undefined ? {} : { to: options.to });
}

/** `db status`: applied, pending, changed, missing and failed migrations, and the seeds. */
export async function status(options: ApiOptions = {}): Promise<StatusReport> {
  const { opts } = engine(options);
  const { status: run } = await import('../engine/status.js');
  return run(opts);
}

/**
 * `db verify`: whether the database is what the application needs. A schema
 * that is not is a report with `ok: false` (the CLI exits 8), not an error.
 */
export async function verify(options: ApiOptions = {}): Promise<VerifyReport> {
  const { config, opts } = engine(options);
  const { verify: run } = await import('../engine/verify.js');
  return run(opts, config.verify.tables);
}

export interface CheckReport {
  ok: boolean;
  checks: Check[];
}

/** `check` without a cluster: the configuration, every migration and seed, and the manifests. Needs no database. */
export async function check(options: Pick<ApiOptions, 'cwd' | 'configFile' | 'env'> = {}): Promise<CheckReport> {
  const config = readConfig(options);
  const { offlineChecks, manifestChecks } = await import('../tasks/check.js');
  const k = config.kubernetes;
  const checks = [...offlineChecks(config), ...manifestChecks(config, k.image, k.namespace).checks];
  return { ok: checks.every((c) => c.ok), checks };
}

/** `render`: every object `up` would apply, in apply order, as plain objects (Secrets with their values). */
export async function render(
  options: Pick<ApiOptions, 'cwd' | 'configFile' | 'env'> & { image?: string; namespace?: string } = {},
): Promise<KubernetesObject[]> {
  const config = readConfig(options);
  const { renderAll } = await import('../kube/render/index.js');
  const { renderInputs } = await import('../tasks/render-inputs.js');
  return renderAll(config, {
    image: options.image ?? config.kubernetes.image,
    namespace: options.namespace ?? config.kubernetes.namespace,
    ...renderInputs(config),
  });
}
