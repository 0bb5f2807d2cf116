import { existsSync } from 'node:fs';
import type { Config } from '../config/types.js';
import { readFolderFiles } from '../engine/file-set.js';
import { readMigrations, readSeeds } from '../engine/files.js';

/** The checkout's migration and seed files as the Jobs get them (read, not validated: the pod validates). */
export function jobFiles(config: Config) {
  return { migrations: readFolderFiles(config.migrations.dir), seeds: readFolderFiles(config.seeds.dir) };
}

/**
 * What the Jobs are rendered from: the files' checksums and versions (their
 * names' content hashes) and the files themselves (their manifest, and with
 * `source: configMap` their ConfigMap). Reading validates the migrations.
 */
export function renderInputs(config: Config) {
  const migrations = readMigrations(config.migrations.dir, config.migrations.format, { allowEmpty: true });
  const seeds = existsSync(config.seeds.dir) ? readSeeds(config.seeds.dir) : [];
  return {
    migrationChecksums: migrations.map((m) => m.checksum),
    migrationVersions: migrations.map((m) => m.version.text),
    seedChecksums: seeds.map((s) => s.checksum),
    seedVersions: seeds.map((s) => s.name),
    files: jobFiles(config),
  };
}
