import { existsSync } from 'node:fs';
import type { Config } from '../config/types.js';
import { readMigrations, readSeeds } from '../engine/files.js';

/** The files' checksums and versions: what the Jobs' content hashes cover. */
export function renderInputs(config: Config) {
  const migrations = readMigrations(config.migrations.dir, config.migrations.format, { allowEmpty: true });
  const seeds = existsSync(config.seeds.dir) ? readSeeds(config.seeds.dir) : [];
  return {
    migrationChecksums: migrations.map((m) => m.checksum),
    migrationVersions: migrations.map((m) => m.version.text),
    seedChecksums: seeds.map((s) => s.checksum),
    seedVersions: seeds.map((s) => s.name),
  };
}
