import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join, relative, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/backend/password.js';
import { cli, cliPath, project, repoRoot } from '../support/cli.js';
import { listeningAddress } from '../support/backend-process.js';
import { pgProxy } from '../support/pg-proxy.js';
import { admin, freshDatabase, rows, withDb } from '../support/pg.js';

/**
 * The sample backend (`schemagate backend`), run as a whole process from the
 * built CLI (as the container runs it) against a real PostgreSQL, with the
 * repository's own migrations, seeds and schemagate.yaml.
 */

interface Running {
  base: string;
  child: ChildProcess;
  stderr: () => string;
  exit: Promise<number | null>;
}

const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

async function startBackend(url: string, env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, [cliPath, 'backend'], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', CI: '1', PORT: '0', DATABASE_URL: url, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const base = await listeningAddress(child.stdout, exit, () => err);
  return { base, child, stderr: () => err, exit };
}

async function migrated(): Promise<string> {
  const url = await freshDatabase();
  const r = await cli(['db', 'migrate'], { env: { DATABASE_URL: url } });
  expect(r.exitCode, r.all).toBe(0);
  return url;
}

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

/** /health caches its answer for about 2 s: ask until it says `status`, or fail after `ms`. */
async function healthUntil(base: string, status: number, ms = 8000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await fetch(`${base}/health`);
    const body = await json(res);
    if (res.status === status) return body;
    if (Date.now() > deadline)
      throw new Error(`/health stayed ${res.status} (wanted ${status}): ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function post(
  base: string,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Response> {
  return fetch(`${base}/api/users`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A role with data rights only, like schemagate_app in k8s/postgres.yaml. */
async function appRole(url: string): Promise<string> {
  const name = `app_${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  await admin((c) => c.query(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`));
  await withDb(url, async (c) => {
    await c.query(`GRANT USAGE ON SCHEMA public TO ${name}`);
    await c.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${name}`);
    await c.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${name}`);
  });
  const u = new URL(url);
  u.username = name;
  u.password = password;
  return u.toString();
}

const ada = {
  username: 'ada.l',
  password: 'correct horse battery',
  email: 'Ada@Example.test',
  name: 'Ada Lovelace',
  location: 'London',
  bio: 'Wrote the first program.',
};

describe('GET /health', () => {
  it('answers 200 with the applied version when db verify passes', async () => {
    const url = await migrated();
    const b = await startBackend(url);
    const res = await fetch(`${b.base}/health`);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ status: 'ok', version: '4', problems: [] });
  });

  it('answers 503 with every problem before the migrations ran', async () => {
    const url = await freshDatabase();
    const b = await startBackend(url);
    const res = await fetch(`${b.base}/health`);
    expect(res.status).toBe(503);
    const body = await json(res);
    expect(body['status']).toBe('unavailable');
    expect(body['version']).toBeNull();
    expect((body['problems'] as Array<{ message: string }>).map((p) => p.message)).toEqual([
      'migration migrations/001_create_users.sql (version 1) is not applied',
      'migration migrations/002_create_user_profiles.sql (version 2) is not applied',
      'migration migrations/003_add_indexes.sql (version 3) is not applied',
      'migration migrations/004_add_user_email.sql (version 4) is not applied',
      'table public.users does not exist',
      'table public.user_profiles does not exist',
    ]);
  });

  it('turns 503 when a required table is dropped, and back to 200 after db reset and db migrate', async () => {
    const url = await migrated();
    const b = await startBackend(url);
    await healthUntil(b.base, 200);
    await withDb(url, (c) => c.query('DROP TABLE users CASCADE'));
    const failing = await healthUntil(b.base, 503);
    expect(failing['problems']).toEqual([
      { kind: 'missing-table', subject: 'public.users', message: 'table public.users does not exist' },
    ]);
    // The API says the same instead of a bare 500.
    const list = await fetch(`${b.base}/api/users`);
    expect(list.status).toBe(503);
    expect(await json(list)).toMatchObject({
      error: 'schema-not-ready',
      message: 'the database schema is not ready: relation "users" does not exist',
    });

    const reset = await cli(['db', 'reset', '--yes'], { env: { DATABASE_URL: url } });
    expect(reset.exitCode, reset.all).toBe(0);
    const again = await cli(['db', 'migrate'], { env: { DATABASE_URL: url } });
    expect(again.exitCode, again.all).toBe(0);
    expect(await healthUntil(b.base, 200)).toMatchObject({ status: 'ok', version: '4', problems: [] });
    expect(b.stderr()).toContain('health: failing: table public.users does not exist');
    expect(b.stderr()).toMatch(/health: ok \(version 4\)[\s\S]*health: failing[\s\S]*health: ok \(version 4\)/);
  });

  it('answers 503 naming the database when PostgreSQL cannot be reached', async () => {
    const b = await startBackend('postgres://nobody:secret-pw-123@127.0.0.1:1/app');
    const res = await fetch(`${b.base}/health`);
    expect(res.status).toBe(503);
    const text = JSON.stringify(await json(res));
    expect(text).toContain('could not connect to PostgreSQL at 127.0.0.1:1: connection refused');
    expect(text).not.toContain('secret-pw-123');
  });
});

describe('a release without downtime: liveness and readiness', () => {
  it('answers /livez from the process alone: 200 while the database cannot even be reached', async () => {
    const b = await startBackend('postgres://nobody:pw@127.0.0.1:1/app');
    const live = await fetch(`${b.base}/livez`);
    expect([live.status, await json(live)]).toEqual([200, { status: 'alive' }]);
    expect((await fetch(`${b.base}/health`)).status).toBe(503);
  });

  it('goes unready during a database outage and ready again after it, without the process ever stopping', async () => {
    const url = await migrated();
    const proxy = await pgProxy(url);
    const b = await startBackend(proxy.url);
    await healthUntil(b.base, 200);
    await proxy.cut();
    const down = await healthUntil(b.base, 503);
    expect((down['problems'] as Array<{ kind: string }>).map((p) => p.kind)).toEqual(['database']);
    expect((await fetch(`${b.base}/livez`)).status).toBe(200);
    await proxy.restore();
    expect(await healthUntil(b.base, 200)).toMatchObject({ status: 'ok', version: '4' });
    expect(b.child.exitCode).toBeNull();
  });

  it('stays ready when a later release applied a migration this image does not know, and reports it', async () => {
    const url = await migrated();
    const next = project({ 'migrations/005_next_release.sql': 'ALTER TABLE users ADD COLUMN nickname text;' });
    cpSync(join(repoRoot, 'migrations'), join(next, 'migrations'), { recursive: true });
    const applied = await cli(['db', 'migrate'], { cwd: next, env: { DATABASE_URL: url } });
    expect(applied.exitCode, applied.all).toBe(0);
    const b = await startBackend(url);
    expect(await healthUntil(b.base, 200)).toMatchObject({
      status: 'ok',
      version: '5',
      known: '4',
      newer: [{ version: '5', description: 'next release' }],
      problems: [],
    });
    expect(b.stderr()).toContain('health: ok (version 5; newer than this image: 5)');
  });
});

describe('/api/users', () => {
  it('creates a user with its profile as the data-only application role, and lists it', async () => {
    const url = await migrated();
    const b = await startBackend(await appRole(url));
    const res = await post(b.base, ada);
    expect(res.status).toBe(201);
    const { user } = (await json(res)) as { user: Record<string, unknown> };
    expect(res.headers.get('location')).toBe(`/api/users/${user['id'] as string}`);
    expect(user).toMatchObject({
      username: 'ada.l',
      email: 'Ada@Example.test',
      emailVerified: false,
      profile: { name: 'Ada Lovelace', location: 'London', bio: 'Wrote the first program.' },
    });
    expect(JSON.stringify(user)).not.toMatch(/password|scrypt/);

    const listed = await fetch(`${b.base}/api/users`);
    expect(listed.status).toBe(200);
    expect(((await json(listed)) as { users: unknown[] }).users).toEqual([user]);

    const [stored] = await rows<{ password_hash: string }>(url, 'SELECT password_hash FROM users');
    expect(stored!.password_hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword('correct horse battery', stored!.password_hash)).toBe(true);
    expect(await verifyPassword('correct horse battery!', stored!.password_hash)).toBe(false);
  });

  it('lists the seeded users newest first, with their profiles, up to ?limit', async () => {
    const url = await migrated();
    const seeded = await cli(['db', 'seed'], { env: { DATABASE_URL: url } });
    expect(seeded.exitCode, seeded.all).toBe(0);
    const b = await startBackend(url);
    const all = (await json(await fetch(`${b.base}/api/users`))) as {
      users: Array<{ username: string; profile: { name: string } | null }>;
    };
    expect(all.users.map((u) => [u.username, u.profile?.name]).sort()).toEqual([
      ['ada', 'Ada Lovelace'],
      ['grace', 'Grace Hopper'],
      ['linus', 'Linus Torvalds'],
    ]);
    const two = (await json(await fetch(`${b.base}/api/users?limit=2`))) as { users: unknown[] };
    expect(two.users).toHaveLength(2);
    const bad = await fetch(`${b.base}/api/users?limit=0`);
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({
      field: 'limit',
      message: 'limit must be a whole number from 1 to 500, got "0"',
    });
  });

  it('rejects an invalid user with 400 and every problem at once', async () => {
    const url = await migrated();
    const b = await startBackend(url);
    const res = await post(b.base, {
      username: 'Ada Lovelace',
      password: 'short',
      email: 'not-an-email',
      location: 7,
      emial: 'x@y.z',
    });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body['problems']).toEqual([
      { field: 'emial', message: 'unknown field emial (expected username, password, email, name, location, bio)' },
      { field: 'username', message: 'username must be 3 to 40 characters of a-z, 0-9, ".", "_" and "-"' },
      { field: 'password', message: 'password must be at least 8 characters' },
      { field: 'email', message: 'email must look like name@example.com' },
      { field: 'name', message: 'name is required' },
      { field: 'location', message: 'location must be a string, not number' },
    ]);
    expect(body['message']).toBe(
      'invalid user: unknown field emial (expected username, password, email, name, location, bio); username must be 3 to 40 characters of a-z, 0-9, ".", "_" and "-"; password must be at least 8 characters; email must look like name@example.com; name is required; location must be a string, not number',
    );

    const notJson = await post(b.base, '{"username": ');
    expect(notJson.status).toBe(400);
    expect(String((await json(notJson))['message'])).toMatch(/^the request body is not valid JSON: /);
    const array = await post(b.base, []);
    expect(await json(array)).toMatchObject({
      error: 'validation',
      problems: [{ field: '(body)', message: 'the request body must be a JSON object' }],
    });
    const form = await post(b.base, 'username=ada', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect(await json(form)).toMatchObject({
      message:
        'expected a JSON body (Content-Type: application/json), got Content-Type: application/x-www-form-urlencoded',
    });
    expect(await rows(url, 'SELECT count(*)::int AS n FROM users')).toEqual([{ n: 0 }]);
  });

  it('answers 409 for a username or an email (in any case) that is taken, and leaves nothing half-created', async () => {
    const url = await migrated();
    const b = await startBackend(url);
    expect((await post(b.base, ada)).status).toBe(201);
    const sameName = await post(b.base, { ...ada, email: 'other@example.test' });
    expect(sameName.status).toBe(409);
    expect(await json(sameName)).toEqual({
      error: 'conflict',
      field: 'username',
      message: 'username is already taken',
    });
    const sameEmail = await post(b.base, { ...ada, username: 'ada2', email: 'ADA@example.TEST' });
    expect(sameEmail.status).toBe(409);
    expect(await json(sameEmail)).toEqual({ error: 'conflict', field: 'email', message: 'email is already in use' });
    expect(
      await rows(
        url,
        'SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM user_profiles)::int AS profiles',
      ),
    ).toEqual([{ users: 1, profiles: 1 }]);
  });

  it('answers 404 for unknown paths and 405 with Allow for unsupported methods', async () => {
    const url = await migrated();
    const b = await startBackend(url);
    const missing = await fetch(`${b.base}/nope`);
    expect(missing.status).toBe(404);
    const del = await fetch(`${b.base}/api/users`, { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD, POST');
  });
});

describe('the backend process', () => {
  it('on SIGTERM stops accepting connections, finishes the request in flight, closes the pool and exits 0', async () => {
    const url = await migrated();
    const b = await startBackend(url);
    const port = Number(new URL(b.base).port);
    const body = JSON.stringify(ada);
    const half = Math.floor(body.length / 2);
    // A POST whose body arrives in two parts: the signal comes in between.
    const response = new Promise<{ status: number; connection: string | undefined; text: string }>(
      (resolveRes, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/api/users',
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolveRes({ status: res.statusCode ?? 0, connection: res.headers.connection, text }));
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, half));
        setTimeout(() => {
          b.child.kill('SIGTERM');
          setTimeout(() => {
            // Not accepting any more: a new connection is refused while the old request is still open.
            expect(fetch(`${b.base}/health`))
              .rejects.toThrow()
              .then(() => req.end(body.slice(half)), reject);
          }, 300);
        }, 300);
      },
    );
    const r = await response;
    expect(r.status).toBe(201);
    expect(r.connection).toBe('close');
    expect(await b.exit).toBe(0);
    expect(b.stderr()).toContain('shutting down: no new connections, waiting up to 10s for requests in flight');
    expect(b.stderr()).toContain('stopped');
    expect(await rows(url, 'SELECT username FROM users')).toEqual([{ username: 'ada.l' }]);
  });

  it('refuses a PORT that is not a port number', async () => {
    const r = await cli(['backend'], { env: { PORT: 'http', DATABASE_URL: 'postgres://u:p@127.0.0.1:1/app' } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('error: PORT=http: expected a port number from 0 to 65535 (0: any free port)');
  });
});

describe('what the backend loads', () => {
  /** Relative imports (static, and dynamic ones with a literal specifier), without `import type`. */
  function imports(file: string, dynamic = true): { local: string[]; packages: string[] } {
    const src = readFileSync(file, 'utf8');
    const specs: string[] = [];
    for (const m of src.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm))
      specs.push(m[1]!);
    if (dynamic) for (const m of src.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1]!);
    const local = specs.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
    const packages = specs.filter((s) => !s.startsWith('.') && !s.startsWith('node:'));
    return { local, packages };
  }

  function graph(entries: string[], dynamic = true): { files: Set<string>; packages: Map<string, string> } {
    const files = new Set<string>();
    const packages = new Map<string, string>();
    const todo = [...entries];
    while (todo.length > 0) {
      const f = todo.pop()!;
      if (files.has(f)) continue;
      files.add(f);
      const { local, packages: pkgs } = imports(f, dynamic);
      for (const p of pkgs) if (!packages.has(p)) packages.set(p, relative(repoRoot, f));
      todo.push(...local);
    }
    return { files, packages };
  }

  it('never imports @kubernetes/client-node or listr2, directly or through the engine', () => {
    const backendDir = join(repoRoot, 'src/backend');
    const entries = [
      join(repoRoot, 'src/cli/backend.ts'),
      ...readdirSync(backendDir)
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join(backendDir, f)),
    ];
    // src/cli.ts's own static imports load for every command; its dynamic ones are per command.
    const cliTop = imports(join(repoRoot, 'src/cli.ts'));
    const cliStatic = readFileSync(join(repoRoot, 'src/cli.ts'), 'utf8')
      .split('\n')
      .filter((l) => /^import\s+(?!type\b)/.test(l))
      .map((l) => /['"](\.[^'"]+)['"]/.exec(l)?.[1])
      .filter((s): s is string => s !== undefined)
      .map((s) => resolve(repoRoot, 'src', s.replace(/\.js$/, '.ts')));
    expect(cliTop.local.length).toBeGreaterThanOrEqual(cliStatic.length);
    // What every command loads: src/cli.ts, the dispatcher and the command table, through static imports only
    // (the table imports each command's module when that command runs).
    const always = graph(cliStatic, false);
    expect([...always.files].map((f) => relative(repoRoot, f))).toContain('src/cli/commands.ts');
    const reached = graph(entries);
    const files = new Set([...reached.files, ...always.files]);
    const packages = new Map([...reached.packages, ...always.packages]);
    expect(files.size).toBeGreaterThan(10);
    expect(
      [...packages.keys()].filter((p) => p.startsWith('@kubernetes/') || p === 'listr2' || p.startsWith('listr2/')),
    ).toEqual([]);
    // yaml is required lazily by the config loader (only when there is a file), so it is not a static import.
    expect([...packages.keys()].sort()).toEqual(['pg']);
  });
});
