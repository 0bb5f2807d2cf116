/**
 * The one mapping from the parsed configuration to the engine's options,
 * shared by the CLI (which adds its flags) and the programmatic API.
 */
import { resolve } from 'node:path';
import type { Config } from '../config/types.js';
import type { NoticeSink } from '../engine/context.js';
import type { EngineOptions } from '../engine/session.js';

export interface EngineOverrides {
  /** The database URL, already resolved (see `resolveDatabaseUrl`). */
  url: string;
  log?: (line: string) => void;
  signal?: AbortSignal | undefined;
  /** @default config.migrations.dir, relative to config.root */
  migrationsDir?: string | undefined;
  /** @default config.seeds.dir, relative to config.root */
  seedsDir?: string | undefined;
  /** @default config.migrations.lockWaitMs */
  lockWaitMs?: number | undefined;
  /** Warnings and notices PostgreSQL sends while a script runs (default: dropped). */
  notice?: NoticeSink;
  /** A migrations folder with no migrations is not an error. @default false */
  allowEmpty?: boolean | undefined;
}

export function engineOptionsFor(config: Config, o: EngineOverrides): EngineOptions {
  const m = config.migrations;
  return {
    url: o.url,
    applicationName: config.database.applicationName,
    connectTimeoutMs: config.database.connectTimeoutMs,
    migrationsDir: resolve(o.migrationsDir ?? resolve(config.root, m.dir)),
    seedsDir: resolve(o.seedsDir ?? resolve(config.root, config.seeds.dir)),
    format: m.format,
    schema: m.schema,
    table: m.table,
    managedSchemas: m.managedSchemas,
    settings: { lockTimeoutMs: m.lockTimeoutMs, lockRetries: m.lockRetries, statementTimeoutMs: m.statementTimeoutMs },
    lockWaitMs: o.lockWaitMs ?? m.lockWaitMs,
    outOfOrder: m.outOfOrder,
    allowEmpty: o.allowEmpty ?? false,
    log: o.log ?? (() => undefined),
    ...(o.notice ? { notice: o.notice } : {}),
    signal: o.signal,
  };
}
