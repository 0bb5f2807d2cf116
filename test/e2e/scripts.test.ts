import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.js';
import { closeIfStarted, testCluster, type TestCluster } from '../support/cluster.js';
import { e2eProject } from '../support/e2e-project.js';
import { applyFile, freshNamespace, kube } from '../support/kube.js';
import { freshDatabase, tables } from '../support/pg.js';

/** The two verification scripts, run as a user runs them, against the double and with --local. */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await testCluster({ namespacePrefix: 'e2e-scripts' });
});
afterAll(() => closeIfStarted(cluster));

/**
 * A PATH of its own: Node.js and the few shell tools the scripts use (linked
 * from the system, which may have kubectl or docker next to them), plus
 * stand-ins for the dev-loop tools that print a version.
 */
function toolPath(tools: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'schemagate-tools-'));
  const base = join(dir, 'base');
  const stubs = join(dir, 'stubs');
  mkdirSync(base);
  mkdirSync(stubs);
  symlinkSync(process.execPath, join(base, 'node'));
  for (const t of [
    'bash',
    'sh',
    'dirname',
    'head',
    'grep',
    'sed',
    'cat',
    'env',
    'find',
    'rm',
    'mkdir',
    'mktemp',
    'mv',
    'sleep',
    'tr',
  ]) {
    const found = ['/usr/bin', '/bin'].map((d) => join(d, t)).find((f) => existsSync(f));
    if (found) symlinkSync(found, join(base, t));
  }
  for (const t of tools) {
    const file = join(stubs, t);
    writeFileSync(file, `#!/bin/sh\necho "${t} stand-in 1.0"\n`);
    chmodSync(file, 0o755);
  }
  return [stubs, base].join(':');
}

async function script(name: string, args: string[], cwd: string, env: Record<string, string>) {
  const r = await execa('bash', [join(repoRoot, 'scripts', name), ...args], {
    cwd,
    env: { NO_COLOR: '1', CI: '1', ...env },
    reject: false,
    all: true,
    timeout: 120_000,
  });
  return { exitCode: r.exitCode ?? -1, all: r.all };
}

describe('scripts/verify-migration-setup.sh', () => {
  it('passes every check on a set-up project and cluster, one line per check', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url);
    expect((await p.run(['up'])).exitCode).toBe(0);
    const r = await script('verify-migration-setup.sh', [], p.dir, {
      PATH: toolPath(['docker', 'kind', 'kubectl', 'tilt']),
      KUBECONFIG: ns.kubeconfigPath,
      HOME: p.dir,
    });
    expect(r.exitCode, r.all).toBe(0);
    for (const name of ['node', 'docker', 'kind', 'kubectl', 'tilt'])
      expect(r.all).toMatch(new RegExp(`^ok {4}${name} `, 'm'));
    expect(r.all).toMatch(/^ok {4}manifests \(server dry run\): /m);
    expect(r.all).toMatch(/^ok {4}database: postgres answers; 4 applied, 0 pending$/m);
    expect(r.all).toMatch(/^ok {4}lint: nothing to lint: 0 migrations after version 4 \(lint\.since\);/m);
    expect(r.all).toMatch(/^all 13 checks passed$/m);
  });

  it('fails, naming the missing tool and how to install it', async () => {
    const url = await freshDatabase();
    const p = e2eProject(cluster, url);
    const r = await script('verify-migration-setup.sh', ['--no-cluster'], p.dir, {
      PATH: toolPath(['docker', 'kind', 'kubectl']),
      HOME: p.dir,
    });
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(
      /^FAIL {2}tilt {9}not found on PATH\n {19}install: https:\/\/docs\.tilt\.dev\/install\.html/m,
    );
    expect(r.all).toMatch(/^1 of \d+ checks failed$/m);
  });

  it('fails on a migration that does not parse, naming the file and line', async () => {
    const url = await freshDatabase();
    const p = e2eProject(cluster, url, {
      migrations: { '005_broken.sql': 'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1;\n' },
    });
    const r = await script('verify-migration-setup.sh', ['--local'], p.dir, { PATH: toolPath([]), HOME: p.dir });
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(/^FAIL {2}migrations: migrations\/005_broken\.sql:1:\d+: unterminated dollar-quoted string/m);
  });

  it('fails on the lint line for a new migration that is dangerous on a live database, naming file, line and rule', async () => {
    const url = await freshDatabase();
    const p = e2eProject(cluster, url, {
      migrations: { '005_users_by_email.sql': '-- lookups by email\nCREATE INDEX users_email_idx ON users (email);\n' },
    });
    const r = await script('verify-migration-setup.sh', ['--local'], p.dir, { PATH: toolPath([]), HOME: p.dir });
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(/^FAIL {2}lint: 1 error, 1 warning in 1 file: 1 migration after version 4 \(lint\.since\);/m);
    expect(r.all).toMatch(
      /^ {8}migrations\/005_users_by_email\.sql:2:1: error require-concurrent-index-creation: During normal index creation/m,
    );
    expect(r.all).toMatch(/^1 of \d+ checks failed$/m);
  });

  it('fails on the database check while a migration is pending', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url);
    expect((await p.run(['up'])).exitCode).toBe(0);
    writeFileSync(join(p.dir, 'migrations/005_more.sql'), 'CREATE TABLE more (id int);');
    const r = await script('verify-migration-setup.sh', [], p.dir, {
      PATH: toolPath(['docker', 'kind', 'kubectl', 'tilt']),
      KUBECONFIG: ns.kubeconfigPath,
      HOME: p.dir,
    });
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(/^FAIL {2}database: postgres answers; 4 applied, 1 pending$/m);
    expect(r.all).toMatch(/hint: Run `schemagate migrate`/);
  });

  it('reports a docker client without a running engine', async () => {
    const url = await freshDatabase();
    const p = e2eProject(cluster, url);
    const path = toolPath(['kind', 'kubectl', 'tilt']);
    const stubs = path.split(':')[0]!;
    writeFileSync(
      join(stubs, 'docker'),
      '#!/bin/sh\nif [ "$1" = info ]; then echo "Cannot connect to the Docker daemon" >&2; exit 1; fi\necho "Docker version 28"\n',
    );
    chmodSync(join(stubs, 'docker'), 0o755);
    const r = await script('verify-migration-setup.sh', ['--no-cluster'], p.dir, { PATH: path, HOME: p.dir });
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(/^FAIL {2}docker-engine the docker client cannot reach an engine/m);
  });
});

describe('scripts/test-migration-job.sh', () => {
  it('runs the migration Job, verifies the tables, and leaves no Job behind', async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url);
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    const r = await script('test-migration-job.sh', [], p.dir, {
      PATH: process.env['PATH']!,
      KUBECONFIG: ns.kubeconfigPath,
    });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/schema verified: version 4, 2 required tables present/);
    expect(r.all).toMatch(/== migration Job test passed/);
    expect(await tables(url)).toEqual(['schemagate_migrations', 'user_profiles', 'users']);
    expect(await kube(ns).jobs()).toEqual([]);
  });

  it("fails with the migration's file, line and column when a migration is broken", async () => {
    const url = await freshDatabase();
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, url, {
      kubernetes: '  migration:\n    backoffLimit: 0',
      migrations: { '005_broken.sql': 'SELECT 1;\nSELEC 2;\n' },
    });
    await applyFile(ns, join(p.dir, 'k8s/secrets.yaml'));
    const r = await script('test-migration-job.sh', [], p.dir, {
      PATH: process.env['PATH']!,
      KUBECONFIG: ns.kubeconfigPath,
    });
    expect(r.exitCode).toBe(10);
    expect(r.all).toMatch(/migrations\/005_broken\.sql:2:1: syntax error at or near "SELEC"/);
    expect(r.all).not.toMatch(/migration Job test passed/);
  });

  it('with --local: migrates and verifies a throwaway embedded PostgreSQL, names its folder and leaves nothing behind', async () => {
    const url = await freshDatabase();
    const p = e2eProject(cluster, url);
    const r = await script('test-migration-job.sh', ['--local'], p.dir, { PATH: process.env['PATH']! });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/Applied 4 migrations/);
    expect(r.all).toMatch(/Schema verified \(version 4, 2 required tables\)/);
    expect(r.all).toMatch(/== migration test passed \(embedded PostgreSQL removed\)/);
    // The data stays in the script's own temporary folder (the postgres user can enter it), which is gone.
    expect(r.all).not.toContain('keeping the embedded data in');
    const data = /data in (\S*schemagate-job-test\.\w+\/pg\/data) /.exec(r.all)?.[1];
    expect(data, r.all).toBeDefined();
    expect(existsSync(data!)).toBe(false);
    expect(existsSync(dirname(dirname(data!)))).toBe(false);
  });

  it('with --local in a private TMPDIR: the data kept elsewhere (as root) is deleted too', async () => {
    const p = e2eProject(cluster, await freshDatabase());
    const tmp = mkdtempSync(join(tmpdir(), 'schemagate-private-'));
    chmodSync(tmp, 0o700);
    const r = await script('test-migration-job.sh', ['--local'], p.dir, { PATH: process.env['PATH']!, TMPDIR: tmp });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/Schema verified/);
    // As root the postgres user cannot enter the private folder: the data went to /tmp/schemagate-<hash>, now deleted.
    const elsewhere = /keeping the embedded data in (\/\S+\/schemagate-[0-9a-f]{12})\/data/.exec(r.all)?.[1];
    if (process.getuid?.() === 0) expect(elsewhere, r.all).toBeDefined();
    if (elsewhere) expect(existsSync(elsewhere)).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('scripts/verify-migration-setup.sh shows each failing check failing', () => {
  const allTools = ['docker', 'kind', 'kubectl', 'tilt'];

  it.each(allTools)('%s missing', async (tool) => {
    const p = e2eProject(cluster, await freshDatabase());
    const r = await script('verify-migration-setup.sh', ['--no-cluster'], p.dir, {
      PATH: toolPath(allTools.filter((t) => t !== tool)),
      HOME: p.dir,
    });
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(new RegExp(`^FAIL {2}${tool} +not found on PATH\\n +install: https://`, 'm'));
  });

  it('node older than 20', async () => {
    const p = e2eProject(cluster, await freshDatabase());
    const path = toolPath(allTools);
    const stubs = path.split(':')[0]!;
    writeFileSync(join(stubs, 'node'), '#!/bin/sh\nif [ "$1" = -p ]; then echo 18; else echo v18.19.0; fi\n');
    chmodSync(join(stubs, 'node'), 0o755);
    const r = await script('verify-migration-setup.sh', ['--no-cluster'], p.dir, {
      PATH: path,
      HOME: p.dir,
      SCHEMAGATE: `${process.execPath} ${join(repoRoot, 'dist/src/cli.js')}`,
    });
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(/^FAIL {2}node {9}v18\.19\.0 is too old\n +schemagate needs Node\.js 20 or newer/m);
  });

  it('an invalid schemagate.yaml', async () => {
    const p = e2eProject(cluster, await freshDatabase());
    writeFileSync(join(p.dir, 'schemagate.yaml'), 'migrations:\n  lockTimout: 5s\n');
    const r = await script('verify-migration-setup.sh', ['--local'], p.dir, { PATH: toolPath([]), HOME: p.dir });
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(
      /^FAIL {2}configuration: schemagate\.yaml: 1 problem in the configuration:\n {10}- migrations\.lockTimout: unknown key \(did you mean "lockTimeout"\?\)/m,
    );
  });

  it('a seed that does not parse', async () => {
    const p = e2eProject(cluster, await freshDatabase());
    writeFileSync(join(p.dir, 'seeds/003_broken.sql'), "INSERT INTO users (username) VALUES ('unterminated);\n");
    const r = await script('verify-migration-setup.sh', ['--local'], p.dir, { PATH: toolPath([]), HOME: p.dir });
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(/^FAIL {2}seeds: seeds\/003_broken\.sql:1:\d+: unterminated quoted string/m);
  });

  it('a manifest that does not render', async () => {
    const p = e2eProject(cluster, await freshDatabase());
    writeFileSync(
      join(p.dir, 'k8s/backend.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: not-a-deployment }\n',
    );
    const r = await script('verify-migration-setup.sh', ['--local'], p.dir, { PATH: toolPath([]), HOME: p.dir });
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(/^FAIL {2}manifests: .*backend\.yaml.*Deployment/m);
  });

  it('a cluster that cannot be reached', async () => {
    const p = e2eProject(cluster, await freshDatabase());
    const kubeconfig = join(p.dir, 'unreachable.kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'kind-gone',
        clusters: [{ name: 'kind-gone', cluster: { server: 'http://127.0.0.1:1' } }],
        users: [{ name: 'kind-gone', user: { token: 'x' } }],
        contexts: [{ name: 'kind-gone', context: { cluster: 'kind-gone', user: 'kind-gone' } }],
      }),
    );
    const r = await script('verify-migration-setup.sh', [], p.dir, {
      PATH: toolPath(allTools),
      KUBECONFIG: kubeconfig,
      HOME: p.dir,
    });
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(/^FAIL {2}cluster: /m);
  });

  it('a manifest the API server rejects (server-side dry run)', async () => {
    const ns = await freshNamespace(cluster);
    const p = e2eProject(ns, await freshDatabase());
    writeFileSync(
      join(p.dir, 'k8s/namespace.yaml'),
      `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: Not_A_DNS_Name }\ndata: { a: b }\n`,
    );
    const r = await script('verify-migration-setup.sh', [], p.dir, {
      PATH: toolPath(allTools),
      KUBECONFIG: ns.kubeconfigPath,
      HOME: p.dir,
    });
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(/^FAIL {2}manifests \(server dry run\): ConfigMap\/Not_A_DNS_Name: /m);
  });
});
