import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type {
  V1ConfigMap,
  V1Container,
  V1Deployment,
  V1Job,
  V1Secret,
  V1Service,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { defaultConfig } from '../../src/config/load.js';
import { ExitCode } from '../../src/errors.js';
import { ManifestFile, parseManifests, type Manifest } from '../../src/kube/render/index.js';
import { schemaProblems } from './k8s-schema.js';
import { thrown } from '../support/thrown.js';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const k8sDir = join(repo, 'k8s');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? yamlFiles(join(dir, e.name))
      : /\.ya?ml$/.test(e.name)
        ? [relative(k8sDir, join(dir, e.name))]
        : [],
  );
}

const files = yamlFiles(k8sDir).sort();

function load(file: string): Manifest[] {
  return parseManifests(readFileSync(join(k8sDir, file), 'utf8'), `k8s/${file}`);
}

/** The type a test reads each kind as. */
interface Kinds {
  Namespace: Manifest;
  ConfigMap: V1ConfigMap;
  Secret: V1Secret;
  Service: V1Service;
  StatefulSet: V1StatefulSet;
  Deployment: V1Deployment;
  Job: V1Job;
}

function one<K extends keyof Kinds>(file: string, kind: K, name?: string): Kinds[K] {
  const found = load(file).filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found, `${kind}${name ? `/${name}` : ''} in ${file}`).toHaveLength(1);
  return found[0] as unknown as Kinds[K];
}

const secretRef = (c: V1Container, name: string) => c.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;

describe('the schema validator used by these tests', () => {
  /** A valid Job, typed loosely enough for the tests to break it. */
  interface LooseJob {
    apiVersion: string;
    kind: string;
    metadata: Record<string, unknown>;
    spec: {
      backoffLimit?: unknown;
      podFailurePolicy?: unknown;
      template?: { spec: { restartPolicy: string; containers: Record<string, unknown>[] } };
    };
  }
  const job = (): LooseJob => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'ok' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36' }] } } },
  });

  it('accepts a minimal valid Job', () => {
    expect(schemaProblems(job())).toEqual([]);
  });

  it('rejects a wrong type and a malformed quantity (the OpenAPI schema)', () => {
    const bad = job();
    bad.spec.backoffLimit = 'three';
    bad.spec.template!.spec.containers[0]!['resources'] = { requests: { memory: '128 MB' } };
    const problems = schemaProblems(bad).join('\n');
    expect(problems).toContain('data/spec/backoffLimit must be integer');
    expect(problems).toContain('resources/requests/memory must match format "quantity"');
  });

  it('rejects a missing required field (the OpenAPI schema)', () => {
    const bad = job();
    delete bad.spec.template;
    expect(schemaProblems(bad).join('\n')).toContain('data/spec must have required property template');
  });

  it('rejects an unknown (misspelt) field at any depth', () => {
    const bad = job();
    bad.spec.template!.spec.containers[0]!['imagePullPolcy'] = 'Never';
    expect(schemaProblems(bad)).toContain('Job/ok: unknown field "spec.template.spec.containers[0].imagePullPolcy"');
  });

  it('rejects what only the API server checks: names, labels, restartPolicy, exit code 0 with In', () => {
    const bad = job();
    bad.metadata = { name: 'Bad_Name', labels: { 'schemagate.dev/hash': 'not ok!' } };
    bad.spec.template!.spec.restartPolicy = 'Always';
    bad.spec.podFailurePolicy = { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [0, 1] } }] };
    const problems = schemaProblems(bad).join('\n');
    expect(problems).toContain('metadata.name: invalid name "Bad_Name"');
    expect(problems).toContain('invalid value of label schemagate.dev/hash');
    expect(problems).toContain('restartPolicy: must be Never or OnFailure');
    expect(problems).toContain('podFailurePolicy: requires restartPolicy Never');
    expect(problems).toContain('0 is not allowed with In');
  });

  it('rejects a kind it has no schema for, instead of passing it unchecked', () => {
    expect(schemaProblems({ apiVersion: 'v1', kind: 'Podd', metadata: { name: 'x' } }).join('\n')).toContain(
      'no schema for v1 Podd',
    );
  });
});

describe('the manifests under k8s/', () => {
  it("are exactly the files rendering reads, the RBAC an administrator applies (never rendered), and the sample's Redis (a dependency)", () => {
    expect(files).toEqual([...Object.values(ManifestFile), 'rbac.yaml', 'redis.yaml'].sort());
  });

  it.each(files)('%s: every document validates against the Kubernetes API schemas', (file) => {
    const objects = load(file);
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) expect(schemaProblems(o)).toEqual([]);
  });

  it('put every namespaced object in the namespace schemagate', () => {
    for (const file of files)
      for (const o of load(file))
        if (o.kind !== 'Namespace')
          expect(o.metadata.namespace, `${file} ${o.kind}/${o.metadata.name}`).toBe('schemagate');
    expect(one(ManifestFile.namespace, 'Namespace').metadata.name).toBe('schemagate');
  });

  it("give containers of schemagate's image args and never a command (its ENTRYPOINT is the CLI)", () => {
    let seen = 0;
    for (const file of files) {
      for (const o of load(file)) {
        const pod = (
          o as { spec?: { template?: { spec?: { containers: V1Container[]; initContainers?: V1Container[] } } } }
        ).spec?.template?.spec;
        for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
          if (c.image !== 'schemagate:dev') continue;
          seen++;
          expect(c.command, `${file} ${c.name}`).toBeUndefined();
          expect(c.args?.length, `${file} ${c.name}`).toBeGreaterThan(0);
        }
      }
    }
    expect(seen).toBe(6); // wait-for-db, verify-schema, backend, migrate, seed, reset
  });

  it('run PostgreSQL 16 from the pinned official image, with pg_isready probes, resources and a volume claim', () => {
    const sts = one(ManifestFile.postgres, 'StatefulSet', 'postgres');
    const pod = sts.spec!.template.spec!;
    const c = pod.containers[0]!;
    expect(c.image).toBe('postgres:16-alpine');
    for (const probe of [c.readinessProbe, c.livenessProbe])
      expect(probe?.exec?.command?.join(' ')).toContain('pg_isready');
    // Ready only over TCP, which the entrypoint's init-time server does not listen on.
    expect(c.readinessProbe?.exec?.command?.join(' ')).toContain('-h 127.0.0.1');
    expect(c.resources?.requests).toEqual({ cpu: '100m', memory: '256Mi' });
    expect(c.resources?.limits?.['memory']).toBe('512Mi');
    expect(sts.spec!.volumeClaimTemplates?.map((v) => v.metadata?.name)).toEqual(['data']);
    expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/postgresql/data' });
    const initdb = c.volumeMounts?.find((m) => m.mountPath === '/docker-entrypoint-initdb.d');
    expect(pod.volumes?.find((v) => v.name === initdb?.name)?.configMap?.name).toBe('postgres-initdb');
    expect(secretRef(c, 'POSTGRES_PASSWORD')).toEqual({ name: 'postgres-superuser', key: 'POSTGRES_PASSWORD' });
    expect(c.env?.find((e) => e.name === 'POSTGRES_DB')?.value).toBe('app');
    const svc = one(ManifestFile.postgres, 'Service', 'postgres');
    expect(svc.spec?.ports).toEqual([{ name: 'postgres', port: 5432, targetPort: 'postgres' }]);
    expect(svc.spec?.selector).toEqual(sts.spec!.selector.matchLabels);
  });

  it('create the migration role as owner of database app and the application role with data rights only', () => {
    const sql = Object.values(one(ManifestFile.postgres, 'ConfigMap', 'postgres-initdb').data!).join('\n');
    const flat = sql.replace(/\s+/g, ' ');
    expect(flat).toContain("CREATE ROLE schemagate_migrator LOGIN PASSWORD :'migrator_password';");
    expect(flat).toContain("CREATE ROLE schemagate_app LOGIN PASSWORD :'app_password';");
    expect(flat).toContain('ALTER DATABASE app OWNER TO schemagate_migrator;');
    expect(flat).toContain('ALTER SCHEMA public OWNER TO schemagate_migrator;');
    expect(flat).toContain('GRANT USAGE ON SCHEMA public TO schemagate_app;');
    expect(flat).toContain(
      'ALTER DEFAULT PRIVILEGES FOR ROLE schemagate_migrator GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO schemagate_app;',
    );
    expect(flat).toContain(
      'ALTER DEFAULT PRIVILEGES FOR ROLE schemagate_migrator GRANT USAGE, SELECT ON SEQUENCES TO schemagate_app;',
    );
    // The app role gets nothing that allows DDL.
    expect(flat).not.toMatch(/GRANT (ALL|CREATE)[^;]*TO schemagate_app/);
    // No password is written in the SQL: they come from the Secrets through the environment.
    expect(sql).not.toContain('dev-only');
    const env = one(ManifestFile.postgres, 'StatefulSet').spec!.template.spec!.containers[0]!;
    expect(secretRef(env, 'SCHEMAGATE_MIGRATOR_PASSWORD')).toEqual({ name: 'schemagate-migrator', key: 'PASSWORD' });
    expect(secretRef(env, 'SCHEMAGATE_APP_PASSWORD')).toEqual({ name: 'schemagate-app', key: 'PASSWORD' });
  });

  it('hold URLs whose role, password, host and database match the roles postgres creates', () => {
    const cases = [
      ['schemagate-migrator', 'schemagate_migrator'],
      ['schemagate-app', 'schemagate_app'],
    ] as const;
    for (const [name, role] of cases) {
      const data = one(ManifestFile.secrets, 'Secret', name).stringData!;
      const url = new URL(data['DATABASE_URL']!);
      expect(url.protocol).toBe('postgres:');
      expect(url.username).toBe(role);
      expect(decodeURIComponent(url.password)).toBe(data['PASSWORD']);
      expect(`${url.hostname}:${url.port}${url.pathname}`).toBe('postgres:5432/app');
    }
    expect(Object.keys(one(ManifestFile.secrets, 'Secret', 'postgres-superuser').stringData!).sort()).toEqual([
      'POSTGRES_PASSWORD',
      'POSTGRES_USER',
    ]);
    expect(readFileSync(join(k8sDir, ManifestFile.secrets), 'utf8')).toContain('DEVELOPMENT CREDENTIALS ONLY');
  });

  it('name the Secrets, Deployment and postgres Service that the default configuration names', () => {
    const k = defaultConfig(repo).kubernetes;
    const secrets = load(ManifestFile.secrets).map((o) => o.metadata.name);
    for (const ref of [k.migrationJob.secret, k.seedJob.secret, k.backend.secret]) {
      expect(secrets).toContain(ref.name);
      expect(one(ManifestFile.secrets, 'Secret', ref.name).stringData).toHaveProperty(ref.key);
    }
    expect(one(ManifestFile.backend, 'Deployment').metadata?.name).toBe(k.backend.deployment);
    expect(one(ManifestFile.postgres, 'Service').metadata?.name).toBe(k.postgres.name);
    expect(one(ManifestFile.postgres, 'Service').spec?.ports?.[0]?.port).toBe(k.postgres.port);
  });

  it('hold the backend at zero replicas behind wait-for-db and verify-schema init containers', () => {
    const d = one(ManifestFile.backend, 'Deployment', 'backend');
    const pod = d.spec!.template.spec!;
    expect(d.spec!.replicas).toBe(0);
    expect(pod.initContainers?.map((c) => [c.name, c.args])).toEqual([
      ['wait-for-db', ['db', 'wait', '--timeout', '120s']],
      ['verify-schema', ['db', 'verify']],
    ]);
    for (const c of [...pod.initContainers!, ...pod.containers]) {
      expect(secretRef(c, 'DATABASE_URL'), c.name).toEqual({ name: 'schemagate-app', key: 'DATABASE_URL' });
      expect(c.resources?.requests, c.name).toBeDefined();
      expect(c.securityContext?.allowPrivilegeEscalation, c.name).toBe(false);
    }
    const main = pod.containers[0]!;
    expect(main.args).toEqual(['backend']);
    expect(main.ports).toEqual([{ name: 'http', containerPort: 8080 }]);
    expect(main.readinessProbe?.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(main.livenessProbe?.httpGet).toEqual({ path: '/livez', port: 'http' });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    const svc = one(ManifestFile.backend, 'Service', 'backend');
    expect(svc.spec?.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', nodePort: 30080 }]);
    expect(svc.spec?.selector).toEqual(d.spec!.selector.matchLabels);
  });

  it.each([
    [ManifestFile.migrateJob, 'migrate', ['db', 'migrate']],
    [ManifestFile.seedJob, 'seed', ['db', 'seed']],
    [ManifestFile.resetJob, 'reset', ['db', 'reset', '--yes']],
  ])('%s: runs container "%s" with the migration role and restartPolicy Never', (file, name, args) => {
    const job = one(file, 'Job');
    const pod = job.spec!.template.spec!;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    const c = pod.containers.find((x) => x.name === name)!;
    expect(c.args).toEqual(args);
    expect(secretRef(c, 'DATABASE_URL')).toEqual({ name: 'schemagate-migrator', key: 'DATABASE_URL' });
    expect(job.spec!.suspend).toBe(name === 'seed' ? true : undefined);
  });
});

describe('parseManifests', () => {
  it('names the file, the document and the line of a YAML syntax error', () => {
    const err = thrown(() =>
      parseManifests(
        'apiVersion: v1\nkind: Namespace\nmetadata: { name: a }\n---\napiVersion: v1\nkind: Secret\nmetadata: { name: a, name: b }\n',
        'k8s/bad.yaml',
      ),
    );
    expect(err.exitCode).toBe(ExitCode.config);
    expect(err.context.file).toBe('k8s/bad.yaml');
    expect(err.message).toBe('k8s/bad.yaml, document 2: invalid YAML at line 7, column 22: Map keys must be unique');
  });

  it('names the document that lacks a kind or a name', () => {
    const ok = 'apiVersion: v1\nkind: Namespace\nmetadata: { name: a }\n';
    expect(
      thrown(() => parseManifests(`${ok}---\napiVersion: v1\nmetadata: { name: b }\n`, 'k8s/x.yaml')).message,
    ).toBe('k8s/x.yaml, document 2: expected a non-empty string at kind, found null');
    expect(
      thrown(() => parseManifests(`${ok}---\n${ok}---\napiVersion: v1\nkind: Secret\nmetadata: {}\n`, 'k8s/x.yaml'))
        .message,
    ).toBe('k8s/x.yaml, document 3: Secret: expected a non-empty string at metadata.name, found null');
    expect(thrown(() => parseManifests('- a\n- b\n', 'k8s/x.yaml')).message).toBe(
      'k8s/x.yaml, document 1: expected a Kubernetes object (a mapping), found a list',
    );
  });

  it('skips empty documents and comments', () => {
    const objects = parseManifests(
      '# nothing\n---\n---\napiVersion: v1\nkind: Namespace\nmetadata: { name: a }\n---\n',
      'k8s/x.yaml',
    );
    expect(objects.map((o) => o.metadata.name)).toEqual(['a']);
  });
});
