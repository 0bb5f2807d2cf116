import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

/**
 * The Tiltfile, loaded by test/support/tilt_stub.py (Tilt's API as stubs that
 * record every call). No Tilt here: this pins what the Tiltfile asks Tilt to
 * do, and runs its shell snippets with stand-ins for node and kubectl.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const stub = join(root, 'test/support/tilt_stub.py');

interface Call {
  fn: string;
  kwargs: Record<string, unknown>;
}

function load(tiltfile = join(root, 'Tiltfile')): Call[] {
  return (JSON.parse(execFileSync('python3', [stub, tiltfile], { cwd: root, encoding: 'utf8' })) as { calls: Call[] })
    .calls;
}

function loadError(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tiltfile-'));
  writeFileSync(join(dir, 'Tiltfile'), source);
  const r = spawnSync('python3', [stub, join(dir, 'Tiltfile')], { encoding: 'utf8' });
  expect(r.status).toBe(1);
  return r.stderr.trim();
}

const calls = load();
const of = (fn: string) => calls.filter((c) => c.fn === fn).map((c) => c.kwargs);
const local = (name: string) => {
  const r = of('local_resource').find((k) => k['name'] === name);
  if (!r) throw new Error(`no local_resource ${name}`);
  return r;
};
const k8s = (name: string) => {
  const r = of('k8s_resource').find((k) => k['workload'] === name || k['new_name'] === name);
  if (!r) throw new Error(`no k8s_resource ${name}`);
  return r;
};

const IMAGE_FILE = '.schemagate/tilt-image';
const WAIT = `f=${IMAGE_FILE}; waited=0
while [ ! -s "$f" ] || [ -n "$(find migrations seeds schemagate.yaml -newer "$f" 2>/dev/null | head -n 1)" ]; do
  if [ "$waited" -ge "\${SCHEMAGATE_IMAGE_WAIT:-600}" ]; then
    echo "no image with the current migrations after $waited s: see the schemagate-image resource (image build) in Tilt" >&2; exit 1
  fi
  if [ "$waited" -eq 0 ]; then echo "waiting for Tilt to build and load the image with the current migrations (resource schemagate-image)" >&2; fi
  sleep 1; waited=$((waited + 1))
done
`;
const cli = (args: string) => `${WAIT}exec node dist/src/cli.js ${args} --image "$(cat ${IMAGE_FILE})"`;
const LINT = `node dist/src/cli.js lint --offline --if-enabled --exit-zero || echo "schemagate lint could not run (above); running the migration anyway" >&2
`;
const LINT_ECHO = 'node dist/src/cli.js lint --offline --if-enabled --exit-zero\n';

describe('Tiltfile', () => {
  it("runs only against the kind-schemagate context (besides Tilt's local defaults) and needs Tilt 0.36+", () => {
    expect(of('allow_k8s_contexts')).toEqual([{ contexts: 'kind-schemagate' }]);
    expect(of('version_settings')).toEqual([{ check_updates: true, constraint: '>=0.36.0' }]);
  });

  it('builds one image, schemagate:dev, from the repository with its Dockerfile', () => {
    expect(of('docker_build')).toEqual([
      {
        ref: 'schemagate:dev',
        context: '.',
        dockerfile: 'Dockerfile',
        ignore: [],
        only: [],
        live_update: [],
        build_args: {},
      },
    ]);
  });

  it('deploys the namespace, Secrets and PostgreSQL as they are, and the backend at 1 replica', () => {
    const yamls = of('k8s_yaml').map((k) => k['yaml']);
    expect(yamls[0]).toEqual(['k8s/namespace.yaml', 'k8s/secrets.yaml', 'k8s/postgres.yaml']);
    const backend = parseAllDocuments((yamls[1] as { blob: string }).blob).map((d) => d.toJS() as Record<string, any>);
    const original = parseAllDocuments(readFileSync(join(root, 'k8s/backend.yaml'), 'utf8')).map(
      (d) => d.toJS() as Record<string, any>,
    );
    expect(original[0]!['spec'].replicas).toBe(0);
    original[0]!['spec'].replicas = 1;
    // Only the replica count differs: images, init containers, probes are the manifest's.
    expect(backend).toEqual(original);
    expect(yamls).toHaveLength(2);
  });

  it('starts the backend only after db-migrate succeeded, and db-migrate after postgres, the CLI build and the image', () => {
    expect(k8s('backend')).toMatchObject({
      resource_deps: ['db-migrate'],
      port_forwards: ['8080:8080'],
      labels: ['app'],
      trigger_mode: 'TRIGGER_MODE_AUTO',
      auto_init: true,
    });
    expect(k8s('backend')['links']).toEqual([
      { link: 'http://localhost:8080/health', name: 'health' },
      { link: 'http://localhost:8080/api/users', name: 'users' },
    ]);
    expect(local('db-migrate')).toMatchObject({
      resource_deps: ['cli-build', 'postgres', 'schemagate-image'],
      trigger_mode: 'TRIGGER_MODE_AUTO',
      auto_init: true,
    });
    expect(k8s('postgres')).toMatchObject({
      resource_deps: ['cluster-config'],
      objects: ['postgres-initdb:configmap'],
      labels: ['database'],
    });
    expect(k8s('cluster-config')).toMatchObject({
      objects: [
        'schemagate:namespace',
        'postgres-superuser:secret',
        'schemagate-migrator:secret',
        'schemagate-app:secret',
      ],
      labels: ['setup'],
    });
  });

  it('re-runs db-migrate when migrations/ changes: the lint gate first, then `schemagate migrate` with the image Tilt built', () => {
    expect(local('db-migrate')['deps']).toEqual(['migrations']);
    expect(local('db-migrate')['cmd']).toBe(LINT + cli('migrate'));
  });

  it('has manual triggers db-seed, db-reset, db-status, dev-setup and health-check that do not run on tilt up', () => {
    const manual = of('local_resource').filter((k) => k['trigger_mode'] === 'TRIGGER_MODE_MANUAL');
    expect(manual.map((k) => k['name'])).toEqual(['db-seed', 'db-reset', 'db-status', 'health-check', 'dev-setup']);
    for (const k of manual) expect(k['auto_init'], String(k['name'])).toBe(false);
    expect(local('db-seed')).toMatchObject({ cmd: cli('seed'), resource_deps: ['db-migrate'] });
    expect(local('db-reset')).toMatchObject({
      cmd: cli('reset'),
      resource_deps: ['cli-build', 'postgres', 'schemagate-image'],
    });
    expect(local('db-status')).toMatchObject({ cmd: cli('status'), resource_deps: ['cli-build', 'schemagate-image'] });
    expect(local('dev-setup')).toMatchObject({ cmd: 'bash scripts/verify-migration-setup.sh', resource_deps: [] });
    expect(local('health-check')).toMatchObject({
      cmd: 'curl -sS --fail-with-body http://localhost:8080/health',
      resource_deps: ['backend'],
    });
    expect(local('cli-build')).toMatchObject({
      cmd: 'npm run build --silent',
      deps: ['src', 'package.json', 'package-lock.json', 'tsconfig.json'],
      auto_init: true,
    });
  });

  it('groups the resources with labels: setup, database, app', () => {
    const labels: Record<string, unknown> = {};
    for (const k of of('local_resource')) labels[String(k['name'])] = k['labels'];
    for (const k of of('k8s_resource')) labels[String(k['new_name'] || k['workload'])] = k['labels'];
    expect(labels).toEqual({
      'cli-build': ['setup'],
      'db-migrate': ['database'],
      'db-seed': ['database'],
      'db-reset': ['database'],
      'db-status': ['database'],
      'health-check': ['app'],
      'dev-setup': ['setup'],
      'cluster-config': ['setup'],
      postgres: ['database'],
      'schemagate-image': ['setup'],
      backend: ['app'],
    });
  });

  it('gets the image ref from a k8s_custom_deploy with image_deps, which is ready without pods', () => {
    const [d] = of('k8s_custom_deploy');
    expect(d).toMatchObject({ name: 'schemagate-image', image_deps: ['schemagate:dev'], deps: [] });
    expect(d!['delete_cmd']).toBe(
      `kubectl -n schemagate delete configmap schemagate-image --ignore-not-found && rm -f ${IMAGE_FILE}`,
    );
    expect(k8s('schemagate-image')).toMatchObject({ pod_readiness: 'ignore', resource_deps: ['cluster-config'] });
  });

  it('offers a button that re-runs the migration Job', () => {
    expect(of('load')).toEqual([{ module: 'ext://uibutton', names: ['cmd_button'] }]);
    expect(of('cmd_button')).toEqual([
      {
        name: 'db-migrate-rerun',
        resource: 'db-migrate',
        argv: ['sh', '-c', cli('migrate --rerun')],
        text: 'Re-run the migration Job',
        location: 'resource',
        icon_name: 'replay',
        requires_confirmation: false,
      },
    ]);
  });

  it('names only resources that exist in resource_deps and buttons', () => {
    const workloads = ['k8s/postgres.yaml', 'k8s/backend.yaml'].flatMap((f) =>
      parseAllDocuments(readFileSync(join(root, f), 'utf8'))
        .map((d) => d.toJS() as { kind: string; metadata: { name: string } })
        .filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind))
        .map((o) => o.metadata.name),
    );
    const names = new Set([
      ...workloads,
      ...of('local_resource').map((k) => String(k['name'])),
      ...of('k8s_custom_deploy').map((k) => String(k['name'])),
      ...of('k8s_resource').map((k) => String(k['new_name'] || k['workload'])),
    ]);
    const deps = [...of('local_resource'), ...of('k8s_resource')].flatMap((k) => k['resource_deps'] as string[]);
    expect(deps.filter((d) => !names.has(d))).toEqual([]);
    for (const b of of('cmd_button')) expect(names.has(String(b['resource']))).toBe(true);
    for (const k of of('k8s_resource')) if (k['workload']) expect(names.has(String(k['workload']))).toBe(true);
  });
});

describe("the Tiltfile's shell snippets", () => {
  /** A checkout-like folder with stand-ins for node (prints its arguments) and kubectl. */
  function sandbox(): { dir: string; env: NodeJS.ProcessEnv } {
    const dir = mkdtempSync(join(tmpdir(), 'tilt-sh-'));
    for (const d of ['bin', 'migrations', 'seeds']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'migrations/001_x.sql'), 'SELECT 1;');
    writeFileSync(join(dir, 'schemagate.yaml'), '');
    writeFileSync(join(dir, 'bin/node'), '#!/bin/sh\necho "node $*"\n');
    // `create ... -o yaml` prints the object; `apply -f - -o yaml` echoes what it applied.
    writeFileSync(
      join(dir, 'bin/kubectl'),
      '#!/bin/sh\ncase "$*" in\n  *create*) img=$(echo "$*" | sed -n \'s/.*--from-literal=image=\\([^ ]*\\).*/\\1/p\'); printf \'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: schemagate-image\\n  namespace: schemagate\\ndata:\\n  image: %s\\n\' "$img" ;;\n  *apply*) cat ;;\nesac\n',
    );
    chmodSync(join(dir, 'bin/node'), 0o755);
    chmodSync(join(dir, 'bin/kubectl'), 0o755);
    return { dir, env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env['PATH']}` } };
  }

  const sh = (cmd: string, dir: string, env: NodeJS.ProcessEnv) =>
    spawnSync('sh', ['-c', cmd], { cwd: dir, env, encoding: 'utf8', timeout: 20_000 });

  it('schemagate-image records the ref Tilt passes as TILT_IMAGE_0, and prints only the applied YAML', () => {
    const { dir, env } = sandbox();
    const r = sh(String(of('k8s_custom_deploy')[0]!['apply_cmd']), dir, {
      ...env,
      TILT_IMAGE_0: 'schemagate:tilt-0123456789abcdef',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(parse(r.stdout)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'schemagate-image', namespace: 'schemagate' },
      data: { image: 'schemagate:tilt-0123456789abcdef' },
    });
    expect(readFileSync(join(dir, IMAGE_FILE), 'utf8')).toBe('schemagate:tilt-0123456789abcdef\n');
  });

  it('db-migrate runs the CLI with the recorded image once it is newer than the migrations', () => {
    const { dir, env } = sandbox();
    mkdirSync(join(dir, '.schemagate'));
    writeFileSync(join(dir, IMAGE_FILE), 'schemagate:tilt-1\n');
    const r = sh(String(local('db-migrate')['cmd']), dir, env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${LINT_ECHO}node dist/src/cli.js migrate --image schemagate:tilt-1\n`);
    expect(r.stderr).toBe('');
  });

  it('db-migrate shows the lint findings before it waits for the image, and runs the migration when lint cannot run', () => {
    const { dir, env } = sandbox();
    mkdirSync(join(dir, '.schemagate'));
    writeFileSync(join(dir, IMAGE_FILE), 'schemagate:tilt-2\n');
    // A node whose lint fails as a missing squawk binary does (exit 3), and that echoes anything else.
    writeFileSync(
      join(dir, 'bin/node'),
      '#!/bin/sh\nif [ "$2" = lint ]; then echo "error: lint needs Squawk" >&2; exit 3; fi\necho "node $*"\n',
    );
    const r = sh(String(local('db-migrate')['cmd']), dir, env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      'error: lint needs Squawk\nschemagate lint could not run (above); running the migration anyway\n',
    );
    expect(r.stdout).toBe('node dist/src/cli.js migrate --image schemagate:tilt-2\n');
  });

  it('db-migrate waits for the image when a migration is newer than it, and gives up with a message', () => {
    const { dir, env } = sandbox();
    mkdirSync(join(dir, '.schemagate'));
    writeFileSync(join(dir, IMAGE_FILE), 'schemagate:tilt-old\n');
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, IMAGE_FILE), old, old);
    const r = sh(String(local('db-migrate')['cmd']), dir, { ...env, SCHEMAGATE_IMAGE_WAIT: '1' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(LINT_ECHO);
    expect(r.stderr).toBe(
      'waiting for Tilt to build and load the image with the current migrations (resource schemagate-image)\nno image with the current migrations after 1 s: see the schemagate-image resource (image build) in Tilt\n',
    );
  });

  it('db-migrate goes on as soon as the new image is recorded', async () => {
    const { dir, env } = sandbox();
    const { spawn } = await import('node:child_process');
    const child = spawn('sh', ['-c', String(local('db-migrate')['cmd'])], { cwd: dir, env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => setTimeout(r, 1200));
    expect(out).toBe(LINT_ECHO);
    mkdirSync(join(dir, '.schemagate'));
    writeFileSync(join(dir, IMAGE_FILE), 'schemagate:tilt-new\n');
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(0);
    expect(out).toBe(`${LINT_ECHO}node dist/src/cli.js migrate --image schemagate:tilt-new\n`);
  });
});

describe('tilt_stub.py', () => {
  it('refuses a builtin Tilt does not have', () => {
    expect(loadError("docker_compose('x.yaml')\n")).toBe(
      "Tiltfile error: unknown builtin or name: name 'docker_compose' is not defined",
    );
  });

  it('refuses an argument a builtin does not take', () => {
    expect(loadError("local_resource('x', cmd='true', resource_dep=['y'])\n")).toMatch(
      /^Tiltfile error: local_resource\(\) got an unexpected keyword argument 'resource_dep'$/,
    );
  });

  it('refuses Python that is not Starlark', () => {
    expect(loadError('x = 1\nwhile x:\n    x = 0\n')).toMatch(/Tiltfile:2: while loops are Python, not Starlark$/);
    expect(loadError("name = 'a'\ny = f'{name}'\n")).toMatch(/Tiltfile:2: f-strings are Python, not Starlark$/);
    expect(loadError('x = None\ny = x is None\n')).toMatch(/Tiltfile:2: `is` is Python, not Starlark \(use ==\)$/);
    expect(loadError('import os\n')).toMatch(/Tiltfile:1: import statements are Python, not Starlark$/);
  });

  it('refuses a missing file and reports fail()', () => {
    expect(loadError("k8s_yaml('nope.yaml')\n")).toBe(
      'Tiltfile error: nope.yaml: no such file or directory (relative to the Tiltfile)',
    );
    expect(loadError("fail('stop here')\n")).toBe('Tiltfile error: fail(): stop here');
  });
});
