import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';

/**
 * A fresh database per test on the run's PostgreSQL (STYLE 15). Databases
 * made by a file are dropped when the file's tests are done.
 */
const made: string[] = [];

export function adminUrl(): string {
  return inject('pgAdminUrl');
}

export function urlFor(database: string, user?: { name: string; password: string }): string {
  const u = new URL(adminUrl());
  u.pathname = `/${database}`;
  if (user) {
    u.username = user.name;
    u.password = user.password;
  }
  return u.toString();
}

export async function admin<T>(fn: (c: pg.Client) => Promise<T>, database = 'postgres'): Promise<T> {
  return withDb(urlFor(database), fn);
}

/** Creates an empty database and returns its URL. */
export async function freshDatabase(): Promise<string> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE template0`));
  made.push(name);
  return urlFor(name);
}

/** Runs `fn` with a client connected to `url`. */
export async function withDb<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function rows<T extends Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  return withDb(url, async (c) => (await c.query(sql, params)).rows as T[]);
}

/** Every table in the public schema, for "nothing changed" assertions. */
export async function tables(url: string, schema = 'public'): Promise<string[]> {
  const r = await rows<{ t: string }>(
    url,
    `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
    [schema],
  );
  return r.map((x) => x.t);
}

afterAll(async () => {
  const names = made.splice(0);
  if (names.length === 0) return;
  await admin(async (c) => {
    for (const n of names) await c.query(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`);
  }).catch(() => undefined);
});
