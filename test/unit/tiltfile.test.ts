import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { defaultConfig, loadConfig } from '../../src/config/load.js';
import { renderForTilt } from '../../src/kube/render/tilt.js';

/**
 * The Tiltfile, loaded by test/support/tilt_stub.py (Tilt's API as stubs that
 * record every call; its local() runs, as Tilt's does). No Tilt here: this
 * pins what the Tiltfile asks Tilt to do, and runs its shell snippets with
 * stand-ins for node and kubectl. Needs `npm run build` (the Tiltfile reads
 * `schemagate render --for tilt`).
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const stub = join(root, 'test/support/tilt_stub.py');

interface Call {
  fn: string;
  kwargs: Record<string, unknown>;
}

function load(tiltfile = join(root, 'Tiltfile'), env: NodeJS.ProcessEnv = {}): Call[] {
  return (
    JSON.parse(
      execFileSync('python3', [stub, tiltfile], {
        cwd: dirname(tiltfile),
        encoding: 'utf8',
        env: { ...process.env, ...env },
      }),
    ) as { calls: Call[] }
  ).calls;
}

function loadError(tiltfile: string, env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync('python3', [stub, tiltfile], { encoding: 'utf8', env: { ...process.env, ...env } });
  expect(r.status, r.stdout).toBe(1);
  return r.stderr.trim();
}

function tiltfileOf(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tiltfile-'));
  writeFileSync(join(dir, 'Tiltfile'), source);
  return join(dir, 'Tiltfile');
}

/** A checkout with its own schemagate.yaml (and, when given, k8s/ files), the repository's Tiltfile and build. */
function checkout(yaml: string, k8s: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'tilt-project-'));
  for (const link of [
    'dist',
    'node_modules',
    'package.json',
    'package-lock.json',
    'Dockerfile.dev',
    'src',
    'tsconfig.json',
    'scripts',
  ])
    symlinkSync(join(root, link), join(dir, link));
  for (const copy of ['Tiltfile', 'migrations', 'seeds', 'k8s'])
    cpSync(join(root, copy), join(dir, copy), { recursive: true });
  for (const [f, text] of Object.entries(k8s)) writeFileSync(join(dir, 'k8s', f), text);
  writeFileSync(join(dir, 'schemagate.yaml'), yaml);
  return dir;
}

const calls = load();
const callsOf = (list: Call[], fn: string) => list.filter((c) => c.fn === fn).map((c) => c.kwargs);
const of = (fn: string) => callsOf(calls, fn);
const localIn = (list: Call[], name: string) => {
  const r = callsOf(list, 'local_resource').find((k) => k['name'] === name);
  if (!r) throw new Error(`no local_resource ${name}`);
  return r;
};
const local = (name: string) => localIn(calls, name);
const k8sIn = (list: Call[], name: string) => {
  const r = callsOf(list, 'k8s_resource').find((k) => k['workload'] === name || k['new_name'] === name);
  if (!r) throw new Error(`no k8s_resource ${name}`);
  return r;
};
const k8s = (name: string) => k8sIn(calls, name);

const IMAGE_FILE = '.schemagate/tilt-image';
const WAIT_ANY = `f=${IMAGE_FILE}; waited=0
while [ ! -s "$f" ]; do
  if [ "$waited" -ge "\${SCHEMAGATE_IMAGE_WAIT:-600}" ]; then
    echo "no image after $waited s: see the schemagate-image resource (image build) in Tilt" >&2; exit 1
  fi
  if [ "$waited" -eq 0 ]; then echo "waiting for Tilt to build and load the image (resource schemagate-image)" >&2; fi
  sleep 1; waited=$((waited + 1))
done
`;
const cli = (args: string) => `${WAIT_ANY}exec node dist/src/cli.js ${args} --image "$(cat ${IMAGE_FILE})"`;
const LINT = `node dist/src/cli.js lint --offline --if-enabled --exit-zero || echo "schemagate lint could not run (above); running the migration anyway" >&2
`;
const LINT_ECHO = 'node dist/src/cli.js lint --offline --if-enabled --exit-zero\n';

describe('Tiltfile', () => {
  it('runs only on the kind-schemagate context: anything else, another kind-* context too, fails the load saying how to get there', () => {
    expect(of('allow_k8s_contexts')).toEqual([{ contexts: 'kind-schemagate' }]);
    expect(of('version_settings')).toEqual([{ check_updates: true, constraint: '>=0.36.0' }]);
    for (const context of ['kind-other', 'prod-eu', 'docker-desktop'])
      expect(loadError(join(root, 'Tiltfile'), { TILT_STUB_K8S_CONTEXT: context })).toBe(
        `Tiltfile error: fail(): the current kubectl context is "${context}", not kind-schemagate: this dev loop deploys, migrates and resets a database, so it runs only on the kind cluster of kind-config.yaml. Create it (kind create cluster --config kind-config.yaml) or switch to it (kubectl config use-context kind-schemagate), then run tilt up again.`,
      );
  });

  it('deploys what `schemagate render --for tilt` renders, and reloads when schemagate.yaml or k8s/ change', () => {
    expect(of('local')).toEqual([{ command: 'node dist/src/cli.js render --for tilt', quiet: true, echo_off: true }]);
    expect(of('watch_file')).toEqual([{ file_path: 'schemagate.yaml' }, { file_path: 'k8s' }]);
    const [yaml] = of('k8s_yaml');
    const objects = parseAllDocuments((yaml!['yaml'] as { blob: string }).blob).map((d) => d.toJS() as object);
    expect(objects).toEqual(JSON.parse(JSON.stringify(renderForTilt(loadConfig({ cwd: root, env: {} })).objects)));
    expect(objects.map((o) => (o as { kind: string }).kind)).toEqual([
      'Namespace',
      'Secret',
      'Secret',
      'Secret',
      'ConfigMap',
      'StatefulSet',
      'Service',
      // k8s/redis.yaml: redis://redis:6379 is in backend.dependencies.
      'Deployment',
      'Service',
      'Deployment',
      'Service',
    ]);
    expect(of('k8s_yaml')).toHaveLength(1);
  });

  it("honours schemagate.yaml's namespace, image, names and ports", () => {
    const dir = checkout(
      'kubernetes:\n  namespace: team-a\n  image: acme/schemagate:dev\n  backend: { deployment: api, port: 3000 }\n  postgres: { name: db }\n',
      {
        'postgres.yaml': readFileSync(join(root, 'k8s/postgres.yaml'), 'utf8').replaceAll(
          'name: postgres\n',
          'name: db\n',
        ),
      },
    );
    const c = load(join(dir, 'Tiltfile'));
    expect(callsOf(c, 'docker_build')[0]).toMatchObject({ ref: 'acme/schemagate:dev' });
    expect(k8sIn(c, 'api')).toMatchObject({ port_forwards: ['8080:3000'], resource_deps: ['db-migrate'] });
    expect(k8sIn(c, 'db')).toMatchObject({ port_forwards: ['15432:5432'] });
    expect(localIn(c, 'db-migrate')['resource_deps']).toEqual(['cli-build', 'db', 'schemagate-image']);
    expect(localIn(c, 'health-check')['resource_deps']).toEqual(['api']);
    const [deploy] = callsOf(c, 'k8s_custom_deploy');
    expect(deploy!['apply_cmd']).toContain('kubectl -n team-a create configmap schemagate-image');
    expect(deploy!['image_deps']).toEqual(['acme/schemagate:dev']);
    const objects = parseAllDocuments((callsOf(c, 'k8s_yaml')[0]!['yaml'] as { blob: string }).blob).map(
      (d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } },
    );
    expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'team-a' } });
    for (const o of objects.slice(1)) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('team-a');
  });

  it('fails the load, saying what to run, when the CLI is not built', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tilt-unbuilt-'));
    cpSync(join(root, 'Tiltfile'), join(dir, 'Tiltfile'));
    expect(loadError(join(dir, 'Tiltfile'))).toBe(
      'Tiltfile error: fail(): dist/src/cli.js is missing: run `npm ci && npm run build` first (the Tiltfile reads its objects from `schemagate render --for tilt`)',
    );
  });

  it('builds schemagate:dev from Dockerfile.dev with the locally compiled CLI, and live-updates the backend with it', () => {
    expect(of('docker_build')).toEqual([
      {
        ref: 'schemagate:dev',
        context: '.',
        dockerfile: 'Dockerfile.dev',
        ignore: [],
        only: ['package.json', 'package-lock.json', 'dist/src', 'schemagate.yaml', 'migrations', 'seeds', 'k8s'],
        live_update: [
          { step: 'fall_back_on', files: ['package.json', 'package-lock.json'] },
          { step: 'sync', local_path: 'dist/src', remote_path: '/app/dist/src' },
        ],
        build_args: {},
      },
    ]);
    // Dockerfile.dev puts dist/src where the sync writes, owned by the user the container runs as.
    const dev = readFileSync(join(root, 'Dockerfile.dev'), 'utf8');
    expect(dev).toMatch(/^COPY --chown=1000:1000 dist\/src \.\/dist\/src$/m);
    expect(dev).toMatch(/^WORKDIR \/app$/m);
    expect(dev).toMatch(/^USER 1000:1000$/m);
    expect(dev).toMatch(/^ENTRYPOINT \["node", "\/app\/dist\/src\/cli\.js"\]$/m);
    // .dockerignore lets dist/src (only) into the context.
    const ignore = readFileSync(join(root, '.dockerignore'), 'utf8');
    expect(ignore).toMatch(/^dist\/\*\n!dist\/src$/m);
    // The backend's process restarts on the synced files, on a root file system it may write to.
    const backend = renderForTilt(defaultConfig(root)).objects.find((o) => o.kind === 'Deployment') as {
      spec: { replicas: number; template: { spec: { containers: Record<string, unknown>[] } } };
    };
    expect(backend.spec.replicas).toBe(1);
    expect(backend.spec.template.spec.containers[0]).toMatchObject({
      name: 'backend',
      command: ['node', '--watch', '/app/dist/src/cli.js'],
      args: ['backend'],
      securityContext: { readOnlyRootFilesystem: false },
    });
  });

  it('starts the backend only after db-migrate succeeded and its dependencies (redis) are up, and db-migrate after postgres, the CLI build and the image', () => {
    expect(k8s('backend')).toMatchObject({
      resource_deps: ['db-migrate', 'redis'],
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
      port_forwards: ['15432:5432'],
      labels: ['database'],
    });
    expect(k8s('redis')).toMatchObject({ resource_deps: ['cluster-config'], labels: ['dependencies'] });
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

  it('re-runs db-migrate on every save under migrations/: the lint gate, then `schemagate migrate` with an image Tilt built, not waiting for a newer one (source: configMap)', () => {
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

  it('groups the resources with labels: setup, database, dependencies, app', () => {
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
      redis: ['dependencies'],
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

  it("offers a button that re-runs the migration Job, with Tilt's own UIButton and Cmd (no extension fetched)", () => {
    expect(of('load')).toEqual([]);
    expect(of('v1alpha1.ui_button')).toEqual([
      {
        name: 'db-migrate-rerun',
        labels: {},
        annotations: { 'tilt.dev/resource': 'db-migrate' },
        text: 'Re-run the migration Job',
        icon_name: 'replay',
        location: { component_type: 'Resource', component_id: 'db-migrate' },
        disabled: false,
        requires_confirmation: false,
      },
    ]);
    expect(of('v1alpha1.cmd')).toEqual([
      {
        name: 'btn-db-migrate-rerun',
        annotations: { 'tilt.dev/resource': 'db-migrate', 'tilt.dev/log-span-id': 'cmd:db-migrate-rerun' },
        args: ['sh', '-c', cli('migrate --rerun')],
        dir: '',
        env: [],
        start_on: { ui_buttons: ['db-migrate-rerun'] },
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
    for (const b of of('v1alpha1.ui_button'))
      expect(names.has((b['location'] as { component_id: string }).component_id)).toBe(true);
    for (const k of of('k8s_resource')) if (k['workload']) expect(names.has(k['workload'] as string)).toBe(true);
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

  const stale = (file: string) => {
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
  };

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

  it('db-migrate runs the migration with the recorded image at once, though the migrations are newer than it: the Job does not take them from the image', () => {
    const { dir, env } = sandbox();
    mkdirSync(join(dir, '.schemagate'));
    writeFileSync(join(dir, IMAGE_FILE), 'schemagate:tilt-1\n');
    stale(join(dir, IMAGE_FILE));
    const r = sh(String(local('db-migrate')['cmd']), dir, env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${LINT_ECHO}node dist/src/cli.js migrate --image schemagate:tilt-1\n`);
    expect(r.stderr).toBe('');
  });

  it('db-migrate shows the lint findings first, and runs the migration when lint cannot run', () => {
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

  it('db-migrate waits for the first image, and gives up with a message', () => {
    const { dir, env } = sandbox();
    const r = sh(String(local('db-migrate')['cmd']), dir, { ...env, SCHEMAGATE_IMAGE_WAIT: '1' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(LINT_ECHO);
    expect(r.stderr).toBe(
      'waiting for Tilt to build and load the image (resource schemagate-image)\nno image after 1 s: see the schemagate-image resource (image build) in Tilt\n',
    );
  });

  describe('with kubernetes.migration.source: image', () => {
    const imageMode = load(join(checkout('kubernetes:\n  migration:\n    source: image\n'), 'Tiltfile'));
    const cmd = String(localIn(imageMode, 'db-migrate')['cmd']);

    it('db-migrate waits until the image is newer than the migrations', () => {
      const { dir, env } = sandbox();
      mkdirSync(join(dir, '.schemagate'));
      writeFileSync(join(dir, IMAGE_FILE), 'schemagate:tilt-old\n');
      stale(join(dir, IMAGE_FILE));
      const r = sh(cmd, dir, { ...env, SCHEMAGATE_IMAGE_WAIT: '1' });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe(LINT_ECHO);
      expect(r.stderr).toBe(
        'waiting for Tilt to build and load the image with the current migrations (resource schemagate-image)\nno image with the current migrations after 1 s: see the schemagate-image resource (image build) in Tilt\n',
      );
    });

    it('db-migrate runs again on the next image when the pod refused a stale one (exit 13): the build began before the edit', async () => {
      const { dir, env } = sandbox();
      mkdirSync(join(dir, '.schemagate'));
      writeFileSync(join(dir, IMAGE_FILE), 'schemagate:tilt-raced\n');
      // The first migrate finds an image whose files differ (exit 13); with the next image it passes.
      writeFileSync(
        join(dir, 'bin/node'),
        `#!/bin/sh\necho "node $*"\ncase "$*" in *tilt-raced*) echo "error: the migration files here differ" >&2; exit 13 ;; esac\n`,
      );
      const child = spawn('sh', ['-c', cmd], { cwd: dir, env });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        // What schemagate-image does once Tilt built the next image.
        if (err.includes("waiting for Tilt's next image build")) {
          setTimeout(() => writeFileSync(join(dir, IMAGE_FILE), 'schemagate:tilt-next\n'), 1100);
        }
      });
      const code = await new Promise((r) => child.on('exit', r));
      expect(code, err).toBe(0);
      expect(out).toBe(
        `${LINT_ECHO}node dist/src/cli.js migrate --image schemagate:tilt-raced\nnode dist/src/cli.js migrate --image schemagate:tilt-next\n`,
      );
      expect(err).toContain(
        "the image was built before the last edit (exit 13, above): waiting for Tilt's next image build (resource schemagate-image)",
      );
    });
  });
});

describe('tilt_stub.py', () => {
  it('refuses a builtin Tilt does not have', () => {
    expect(loadError(tiltfileOf("docker_compose('x.yaml')\n"))).toBe(
      "Tiltfile error: unknown builtin or name: name 'docker_compose' is not defined",
    );
  });

  it('refuses an argument a builtin does not take', () => {
    expect(loadError(tiltfileOf("local_resource('x', cmd='true', resource_dep=['y'])\n"))).toMatch(
      /^Tiltfile error: local_resource\(\) got an unexpected keyword argument 'resource_dep'$/,
    );
    expect(loadError(tiltfileOf("v1alpha1.cmd(name='c', args=['true'], start_on={'buttons': ['b']})\n"))).toBe(
      'Tiltfile error: v1alpha1.cmd: Unexpected attribute name: buttons',
    );
  });

  it('refuses Python that is not Starlark', () => {
    expect(loadError(tiltfileOf('x = 1\nwhile x:\n    x = 0\n'))).toMatch(
      /Tiltfile:2: while loops are Python, not Starlark$/,
    );
    expect(loadError(tiltfileOf("name = 'a'\ny = f'{name}'\n"))).toMatch(
      /Tiltfile:2: f-strings are Python, not Starlark$/,
    );
    expect(loadError(tiltfileOf('x = None\ny = x is None\n'))).toMatch(
      /Tiltfile:2: `is` is Python, not Starlark \(use ==\)$/,
    );
    expect(loadError(tiltfileOf('import os\n'))).toMatch(/Tiltfile:1: import statements are Python, not Starlark$/);
  });

  it('refuses a missing file, a sync of a path outside the build context, and reports fail()', () => {
    expect(loadError(tiltfileOf("k8s_yaml('nope.yaml')\n"))).toBe(
      'Tiltfile error: nope.yaml: no such file or directory (relative to the Tiltfile)',
    );
    const dir = dirname(tiltfileOf(''));
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(join(dir, 'Tiltfile'), "docker_build('x', '.', live_update=[sync('dist', '/app/dist')])\n");
    expect(loadError(join(dir, 'Tiltfile'))).toBe(
      'Tiltfile error: sync: dist: no such file or directory in the build context',
    );
    expect(loadError(tiltfileOf("fail('stop here')\n"))).toBe('Tiltfile error: fail(): stop here');
  });

  it('runs local() as Tilt does: its stdout is the value, a non-zero exit fails the load', () => {
    const ok = tiltfileOf("x = decode_json(local('echo \\'{\"a\": 1}\\''))\nk8s_yaml(blob(str(x['a'])))\n");
    expect(callsOf(load(ok), 'k8s_yaml')).toEqual([{ yaml: { blob: '1' } }]);
    expect(loadError(tiltfileOf("local('echo broken >&2; exit 3')\n"))).toBe(
      "Tiltfile error: local('echo broken >&2; exit 3') exited with 3:\nbroken",
    );
  });
});
