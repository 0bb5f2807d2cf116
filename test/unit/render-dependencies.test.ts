import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { renderAll, renderBackend, toYaml } from '../../src/kube/render/index.js';
import { dependencyManifests } from '../../src/kube/render/dependency-manifests.js';
import { renderDependencyJob } from '../../src/kube/render/dependency-job.js';
import { renderForTilt } from '../../src/kube/render/tilt.js';
import { jobFilesOf } from '../support/job-files.js';
import { schemaProblems } from './k8s-schema.js';
import { thrown } from '../support/thrown.js';

// Init containers run one after another, each to completion, before the app's containers start:
// https://kubernetes.io/docs/concepts/workloads/pods/init-containers/#understanding-init-containers
const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const DEPENDENCIES = [
  'backend:',
  '  waitTimeout: 90s',
  '  dependencies:',
  '    - tcp://rabbitmq:5672',
  '    - url: redis://redis:6379',
  '      local: redis://localhost:6379',
  '      password: { env: REDIS_PASSWORD, secret: { name: redis, key: redis-password } }',
].join('\n');

const config = (yaml: string, root = repo) => parseConfig(yaml, 'schemagate.yaml', root);
const initNames = (yaml: string, extra = '') =>
  renderBackend(config(`${yaml}\n${extra}`)).deployment.spec!.template.spec!.initContainers!.map((c) => c.name);

describe("the backend's init container wait-for-dependencies", () => {
  it('runs `schemagate wait` on every dependency with backend.waitTimeout, before db wait', () => {
    const pod = renderBackend(config(DEPENDENCIES), { image: 'registry.example/app:1' }).deployment.spec!.template
      .spec!;
    expect(pod.initContainers!.map((c) => c.name)).toEqual(['wait-for-dependencies', 'wait-for-db', 'verify-schema']);
    const c = pod.initContainers![0]!;
    expect(c.image).toBe('registry.example/app:1');
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.args).toEqual([
      'wait',
      '--timeout',
      '90s',
      'tcp://rabbitmq:5672',
      'redis://redis:6379#password-env=REDIS_PASSWORD',
    ]);
    expect(c.env).toEqual([
      { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis', key: 'redis-password' } } },
    ]);
    // As restricted and as small as its neighbour db wait.
    const dbWait = pod.initContainers![1]!;
    expect(c.resources).toEqual(dbWait.resources);
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    // schemagate's backend reports them on /health, with the same password variables.
    expect(pod.containers[0]!.env).toContainEqual({
      name: 'REDIS_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'redis', key: 'redis-password' } },
    });
    expect(schemaProblems(renderBackend(config(DEPENDENCIES)).deployment)).toEqual([]);
  });

  it('is not rendered without dependencies', () => {
    expect(initNames('backend: { dependencies: [] }')).toEqual(['wait-for-db', 'verify-schema']);
  });

  it('comes after the migrating init container in initContainer mode (migrating needs only the database)', () => {
    expect(initNames(DEPENDENCIES, 'kubernetes: { migration: { mode: initContainer } }')).toEqual([
      'migrate',
      'wait-for-dependencies',
      'wait-for-db',
      'verify-schema',
    ]);
  });

  it('replaces one the manifest has, and goes first when the manifest has no db wait', () => {
    const root = mkdtempSync(join(tmpdir(), 'schemagate-deps-'));
    cpSync(join(repo, 'k8s'), join(root, 'k8s'), { recursive: true });
    const yaml = readFileSync(join(root, 'k8s/backend.yaml'), 'utf8')
      .replace('- name: wait-for-db', '- name: wait-for-dependencies')
      .replace('args: ["db", "wait", "--timeout", "120s"]', 'args: ["wait", "tcp://old:1"]');
    writeFileSync(join(root, 'k8s/backend.yaml'), yaml);
    const pod = renderBackend(config(DEPENDENCIES, root)).deployment.spec!.template.spec!;
    expect(pod.initContainers!.map((c) => c.name)).toEqual(['wait-for-dependencies', 'verify-schema']);
    expect(pod.initContainers![0]!.args).toContain('tcp://rabbitmq:5672');
    expect(pod.initContainers![0]!.args).not.toContain('tcp://old:1');
  });

  it('finds db wait by what it runs, whatever its name', () => {
    const root = mkdtempSync(join(tmpdir(), 'schemagate-deps-'));
    cpSync(join(repo, 'k8s'), join(root, 'k8s'), { recursive: true });
    const yaml = readFileSync(join(root, 'k8s/backend.yaml'), 'utf8').replace(
      '- name: wait-for-db',
      '- name: db-ready',
    );
    writeFileSync(join(root, 'k8s/backend.yaml'), yaml);
    const pod = renderBackend(config(DEPENDENCIES, root)).deployment.spec!.template.spec!;
    expect(pod.initContainers!.map((c) => c.name)).toEqual(['wait-for-dependencies', 'db-ready', 'verify-schema']);
  });

  it('never writes a password into the Deployment: a url with one is refused, naming the key', () => {
    const err = thrown(() =>
      renderBackend(config(['backend:', '  dependencies:', '    - redis://:s3cret-pw@redis:6379'].join('\n'))),
    );
    expect(err.exitCode).toBe(3);
    expect(err.message).toBe(
      'schemagate.yaml: 1 problem in the configuration:\n  - backend.dependencies[0].url: redis://:***@redis:6379: a password in the url would be written into the Deployment (or read from a variable nothing sets in the pod); move it to a Secret and name it with password: { env: VAR, secret: { name: SECRET, key: KEY } }',
    );
    expect(`${err.message}${err.hint ?? ''}`).not.toContain('s3cret-pw');
  });

  it('reaches every output that renders the backend (the YAML of `render`)', () => {
    const text = toYaml(renderBackend(config(DEPENDENCIES)).objects);
    expect(text).toContain('name: wait-for-dependencies');
    expect(text).toContain('key: redis-password');
  });
});

describe("the backend's dependencies that k8s/ deploys", () => {
  const names = (yaml: string, namespace = 'schemagate') =>
    dependencyManifests(config(yaml), namespace).map((d) => [
      d.name,
      d.objects.map((o) => `${o.kind}/${o.metadata.name}/${o.metadata.namespace}`),
    ]);

  it('are k8s/<host>.yaml for a host that is a Service in the namespace, rendered in it', () => {
    const deps = (hosts: string[]) =>
      ['backend:', '  dependencies:', ...hosts.map((h) => `    - redis://${h}:6379`)].join('\n');
    expect(names(deps(['redis']), 'team-a')).toEqual([['redis', ['Deployment/redis/team-a', 'Service/redis/team-a']]]);
    expect(names(deps(['redis.team-a.svc.cluster.local']), 'team-a')).toHaveLength(1);
    // Another namespace's, or outside the cluster: waited for, not deployed.
    expect(names(deps(['redis.other']), 'team-a')).toEqual([]);
    expect(names(deps(['cache.example.com']), 'team-a')).toEqual([]);
    // No k8s/rabbitmq.yaml; postgres.yaml is rendered as postgres already.
    expect(names('backend: { dependencies: [tcp://rabbitmq:5672, tcp://postgres:5432] }')).toEqual([]);
  });

  it('reach `up`, `render` and Tilt: renderAll applies them before the backend, once', () => {
    const kinds = renderAll(config('backend: { dependencies: [redis://redis:6379, tcp://redis:6379] }'), {
      files: jobFilesOf({}),
      migrationChecksums: [],
      seedChecksums: [],
    }).map((o) => `${o.kind}/${o.metadata?.name}`);
    expect(kinds.filter((k) => k.endsWith('/redis'))).toEqual(['Deployment/redis', 'Service/redis']);
    expect(kinds.indexOf('Deployment/redis')).toBeLessThan(kinds.indexOf('Deployment/backend'));
    expect(renderForTilt(config('backend: { dependencies: [redis://redis:6379] }')).dependencies).toEqual(['redis']);
  });
});

describe("check --cluster's one-off Job for the dependencies", () => {
  it("runs the init container's wait with a 10s deadline and --json, its Secret variables and the backend pod's security", () => {
    const job = renderDependencyJob(config(DEPENDENCIES), { nonce: 'n1', namespace: 'team-a' })!;
    expect(job.metadata?.name).toMatch(/^schemagate-dependencies-[0-9a-f]{10}$/);
    expect(job.metadata?.namespace).toBe('team-a');
    const pod = job.spec!.template.spec!;
    expect(pod.restartPolicy).toBe('Never');
    expect(job.spec?.backoffLimit).toBe(0);
    expect(pod.containers[0]!.args).toEqual([
      'wait',
      '--json',
      '--timeout',
      '10s',
      'tcp://rabbitmq:5672',
      'redis://redis:6379#password-env=REDIS_PASSWORD',
    ]);
    expect(pod.containers[0]!.env).toEqual([
      { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis', key: 'redis-password' } } },
    ]);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(schemaProblems(job)).toEqual([]);
    // A new Job each run; none without dependencies.
    expect(renderDependencyJob(config(DEPENDENCIES), { nonce: 'n2' })!.metadata?.name).not.toBe(job.metadata?.name);
    expect(renderDependencyJob(config(''), { nonce: 'n1' })).toBeUndefined();
  });
});
