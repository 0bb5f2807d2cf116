import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineOptions } from '../../src/engine/session.js';

/** Engine options for a test: a database URL and a folder of migrations. */
export function engineOpts(url: string, dir: string, overrides: Partial<EngineOptions> = {}): EngineOptions {
  return {
    url,
    applicationName: 'schemagate-test',
    connectTimeoutMs: 5000,
    migrationsDir: join(dir, 'migrations'),
    seedsDir: join(dir, 'seeds'),
    format: 'auto',
    schema: 'public',
    table: 'schemagate_migrations',
    managedSchemas: ['public'],
    settings: { lockTimeoutMs: 5000, lockRetries: 0, statementTimeoutMs: 0 },
    lockWaitMs: 10_000,
    outOfOrder: false,
    log: () => undefined,
    ...overrides,
  };
}

/** A temporary folder holding `migrations/` and `seeds/` with the given files. */
export function migrationsDir(files: Record<string, string>, seeds: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'schemagate-mig-'));
  mkdirSync(join(dir, 'migrations'));
  mkdirSync(join(dir, 'seeds'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, 'migrations', name), sql);
  for (const [name, sql] of Object.entries(seeds)) writeFileSync(join(dir, 'seeds', name), sql);
  return dir;
}

export function write(dir: string, rel: string, text: string): void {
  writeFileSync(join(dir, rel), text);
}

/** The error `p` rejects with; fails the test if it resolves instead. */
export async function failure(p: Promise<unknown>): Promise<Error & { hint?: string; exitCode?: number }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { hint?: string; exitCode?: number };
  }
  throw new Error('expected it to fail, but it succeeded');
}
