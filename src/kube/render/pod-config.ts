/**
 * The `schemagate.yaml` a Job's pod reads when its files come from a
 * ConfigMap: the settings of the checkout the CLI rendered from (history
 * table, timeouts, format, required tables, where the URL is read from), so
 * an edited schemagate.yaml needs no image build either. Never the database
 * URL: that comes from the Secret, and a ConfigMap is no place for a password.
 */
import { isAbsolute, relative } from 'node:path';
import { stringify } from 'yaml';
import type { Config } from '../../config/types.js';
import type { FileSetName } from '../../util/file-manifest.js';

/**
 * Where a folder goes under the pod's working directory: its path in the
 * checkout when that is inside the project (so errors read
 * `migrations/003_x.sql:4:1` as in an editor), else its key name.
 */
export function podFolder(config: Config, set: FileSetName): string {
  const dir = set === 'migrations' ? config.migrations.dir : config.seeds.dir;
  const rel = relative(config.root, dir).split('\\').join('/');
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return set;
  return rel;
}

/** The pod's configuration file, as YAML. */
export function podConfigYaml(config: Config): string {
  const m = config.migrations;
  const settings = {
    database: {
      urlEnv: config.database.urlEnv,
      applicationName: config.database.applicationName,
      connectTimeout: config.database.connectTimeoutMs,
    },
    migrations: {
      dir: podFolder(config, 'migrations'),
      format: m.format,
      schema: m.schema,
      table: m.table,
      managedSchemas: m.managedSchemas,
      lockTimeout: m.lockTimeoutMs,
      lockRetries: m.lockRetries,
      statementTimeout: m.statementTimeoutMs,
      lockWait: m.lockWaitMs,
      outOfOrder: m.outOfOrder,
    },
    seeds: { dir: podFolder(config, 'seeds') },
    verify: { tables: config.verify.tables.map((t) => ({ name: t.name, columns: t.columns })) },
  };
  return `# Rendered by schemagate from the project's schemagate.yaml: what a Job's db command reads (durations in ms).\n${stringify(settings, { lineWidth: 0 })}`;
}
