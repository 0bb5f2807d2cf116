import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubernetesObject, V1Container, V1Deployment, V1Job } from '@kubernetes/client-node';
import { defaultConfig, parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { ExitCode } from '../../src/errors.js';
import {
  Label,
  contentHash,
  jobSelector,
  renderAll,
  renderBackend,
  renderMigrationJob,
  renderResetJob,
  renderSeedJob,
  toYaml,
} from '../../src/kube/render/index.js';
import { schemaProblems } from './k8s-schema.js';
import { thrown } from '../support/thrown.js';
import { jobFilesOf, sampleFiles as files } from '../support/job-files.js';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const config = defaultConfig(repo);
const checksums = ['c1', 'c2', 'c3'];
const seeds = ['s1', 's2'];

function withConfig(yaml: string, root = repo): Config {
  return parseConfig(yaml, 'test.yaml', root);
}

const containerOf = (job: V1Job): V1Container => job.spec!.template.spec!.containers[0]!;
const migrate = (c: Config = config, extra: Partial<Parameters<typeof renderMigrationJob>[1]> = {}) =>
  renderMigrationJob(c, { files, migrationChecksums: checksums, ...extra });

describe('contentHash', () => {
  it('is the first 10 hex digits of a SHA-256, the same for the same parts', () => {
    expect(contentHash(['a', 'b'])).toMatch(/^[0-9a-f]{10}$/);
    expect(contentHash(['a', 'b'])).toBe(contentHash(['a', 'b']));
  });

  it('tells apart parts that concatenate alike, and their order', () => {
    expect(contentHash(['ab', 'c'])).not.toBe(contentHash(['a', 'bc']));
    expect(contentHash(['a', 'b'])).not.toBe(contentHash(['b', 'a']));
  });
});

describe('every rendered object', () => {
  const cases: [string, () => KubernetesObject[]][] = [
    [
      'renderAll (job mode)',
      () =>
        renderAll(config, {
          files,
          migrationChecksums: checksums,
          migrationVersions: ['001', '002', '003'],
          seedChecksums: seeds,
        }),
    ],
    [
      'renderAll (initContainer mode)',
      () =>
        renderAll(withConfig('kubernetes: { migration: { mode: initContainer } }'), {
          files,
          migrationChecksums: checksums,
          seedChecksums: seeds,
        }),
    ],
    ['renderResetJob', () => [renderResetJob(config, { nonce: 'n1' })]],
    [
      'renderAll with every setting changed',
      () =>
        renderAll(
          withConfig(
            'kubernetes: { namespace: team-a, image: "registry.example.com/team/app:1.2", imagePullPolicy: Always, migration: { backoffLimit: 0, resources: { limits: { cpu: 500m } } }, backend: { deployment: api, port: 3000 } }',
          ),
          { files, migrationChecksums: [], seedChecksums: [] },
        ),
    ],
  ];

  it.each(cases)('%s: validates against the Kubernetes API schemas', (_name, render) => {
    const objects = render();
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) expect(schemaProblems(o)).toEqual([]);
  });

  it('fails validation once broken, so the check above can fail', () => {
    const job = migrate() as V1Job & { spec: { template: { spec: { restartPolcy?: string } } } };
    containerOf(job).resources = { requests: { memory: '128 MB' } };
    job.spec.template.spec.restartPolcy = 'Never';
    const problems = schemaProblems(job).join('\n');
    expect(problems).toContain('must match format "quantity"');
    expect(problems).toContain('unknown field "spec.template.spec.restartPolcy"');
  });
});

describe('Job names', () => {
  it('end in the content hash, which is also the hash label of the Job and of its pods', () => {
    const job = migrate();
    const hash = job.metadata!.labels![Label.hash]!;
    expect(job.metadata!.name).toBe(`schemagate-migrate-${hash}`);
    expect(hash).toMatch(/^[0-9a-f]{10}$/);
    expect(job.spec!.template.metadata!.labels![Label.hash]).toBe(hash);
    expect(renderSeedJob(config, { files, seedChecksums: seeds }).metadata!.name).toMatch(
      /^schemagate-seed-[0-9a-f]{10}$/,
    );
  });

  it('are the same for the same content, so applying again is a no-op', () => {
    expect(migrate()).toEqual(migrate());
    expect(renderSeedJob(config, { files, seedChecksums: seeds })).toEqual(
      renderSeedJob(config, { files, seedChecksums: seeds }),
    );
  });

  it('change with the image, a migration checksum, the order of migrations, and the spec', () => {
    const base = migrate().metadata!.name;
    const names = [
      migrate(config, { image: 'schemagate:other' }).metadata!.name,
      migrate(config, { migrationChecksums: ['c1', 'c2', 'changed'] }).metadata!.name,
      migrate(config, { migrationChecksums: ['c1', 'c2', 'c3', 'c4'] }).metadata!.name,
      migrate(config, { migrationChecksums: ['c2', 'c1', 'c3'] }).metadata!.name,
      migrate(withConfig('kubernetes: { migration: { backoffLimit: 5 } }')).metadata!.name,
      migrate(withConfig('kubernetes: { migration: { resources: { requests: { memory: 200Mi } } } }')).metadata!.name,
      migrate(withConfig('kubernetes: { migration: { secret: { name: other-secret } } }')).metadata!.name,
      migrate(withConfig('kubernetes: { imagePullPolicy: Always }')).metadata!.name,
    ];
    expect(new Set([base, ...names]).size).toBe(names.length + 1);
  });

  it('of the seed Job depend on the seeds and on the migration files (db seed reads both), not on the versions list', () => {
    const a = renderSeedJob(config, { files, seedChecksums: seeds }).metadata!.name;
    expect(renderSeedJob(config, { files, seedChecksums: ['s1', 'changed'] }).metadata!.name).not.toBe(a);
    const all = (m: string[], f = files) =>
      renderAll(config, { files: f, migrationChecksums: m, seedChecksums: seeds }).find((o) =>
        o.metadata?.name?.startsWith('schemagate-seed-'),
      );
    expect(all(['x'])!.metadata!.name).toBe(all(['y'])!.metadata!.name);
    const more = jobFilesOf({ '004_x.sql': 'SELECT 1;\n' });
    expect(all(['x'], { ...files, migrations: [...files.migrations, ...more.migrations] })!.metadata!.name).not.toBe(
      all(['x'])!.metadata!.name,
    );
  });

  it('change with the migration files alone: a file another image holds is another Job', () => {
    const changed = jobFilesOf({ '001_create_users.sql': 'CREATE TABLE users (id bigint);\n' });
    const image = withConfig('kubernetes: { migration: { source: image } }');
    for (const c of [config, image]) {
      const before = migrate(c).metadata!.name;
      const after = migrate(c, { files: { ...files, migrations: changed.migrations } }).metadata!.name;
      expect(after).not.toBe(before);
    }
  });

  it('of the reset Job change with the nonce and only with the inputs (no clock)', () => {
    const a = renderResetJob(config, { nonce: 'n1' });
    expect(renderResetJob(config, { nonce: 'n1' })).toEqual(a);
    expect(renderResetJob(config, { nonce: 'n2' }).metadata!.name).not.toBe(a.metadata!.name);
    expect(a.metadata!.name).toMatch(/^schemagate-reset-[0-9a-f]{10}$/);
  });
});

describe('renderMigrationJob', () => {
  it('runs db migrate once per attempt with the defaults of the configuration', () => {
    const job = migrate(config, { migrationVersions: ['001', '002', '003'] });
    const c = containerOf(job);
    expect(job.metadata!.namespace).toBe('schemagate');
    expect(job.spec).toMatchObject({ backoffLimit: 3, ttlSecondsAfterFinished: 86400, activeDeadlineSeconds: 600 });
    expect(job.spec!.suspend).toBeUndefined();
    expect(job.spec!.template.spec!.restartPolicy).toBe('Never');
    expect(c).toMatchObject({
      name: 'migrate',
      image: 'schemagate:dev',
      imagePullPolicy: 'IfNotPresent',
      args: ['db', 'migrate', '--wait-for-db', '2m', '--config', 'schemagate.yaml'],
      workingDir: '/schemagate',
    });
    expect(c.command).toBeUndefined();
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } });
    expect(c.env).toEqual([
      { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'schemagate-migrator', key: 'DATABASE_URL' } } },
      {
        name: 'SCHEMAGATE_EXPECTED_FILES',
        value: JSON.stringify({
          image: 'schemagate:dev',
          source: 'configMap',
          migrations: {
            '001_create_users.sql': files.migrations[0]!.checksum.slice(0, 16),
            '002_add_name.sql': files.migrations[1]!.checksum.slice(0, 16),
            '003_index.sql': files.migrations[2]!.checksum.slice(0, 16),
          },
        }),
      },
    ]);
    expect(job.spec!.template.spec!.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(job.metadata!.annotations).toEqual({
      'schemagate.dev/file-count': '3',
      'schemagate.dev/versions': '001,002,003',
      'schemagate.dev/files-digest': expect.stringMatching(/^sha256:[0-9a-f]{64}$/) as unknown,
    });
  });

  it('labels the Job and its pods so that status finds them', () => {
    const job = migrate();
    const expected = {
      'app.kubernetes.io/name': 'schemagate',
      'app.kubernetes.io/component': 'migration',
      'app.kubernetes.io/managed-by': 'schemagate',
      'schemagate.dev/job': 'migrate',
    };
    expect(job.metadata!.labels).toMatchObject(expected);
    expect(job.spec!.template.metadata!.labels).toMatchObject(expected);
    expect(jobSelector('migrate')).toBe('app.kubernetes.io/name=schemagate,schemagate.dev/job=migrate');
  });

  it('fails the Job at once on an exit code no retry can fix, retries the transient ones, and ignores disruptions', () => {
    expect(migrate().spec!.podFailurePolicy).toEqual({
      rules: [
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        {
          action: 'FailJob',
          onExitCodes: { containerName: 'migrate', operator: 'In', values: [2, 3, 4, 6, 8, 11, 13] },
        },
        { action: 'Count', onExitCodes: { containerName: 'migrate', operator: 'In', values: [5, 9, 14] } },
      ],
    });
  });

  it('takes the image, namespace, limits, deadline and Secret from its inputs and the configuration', () => {
    const c = withConfig(
      'kubernetes: { namespace: team-a, imagePullPolicy: Never, migration: { backoffLimit: 0, ttlSecondsAfterFinished: 60, activeDeadlineSeconds: 120, resources: { limits: { cpu: 500m } }, secret: { name: db-owner, key: URL } } }',
    );
    const job = migrate(c, { image: 'registry.example.com/app:2' });
    expect(job.metadata!.namespace).toBe('team-a');
    expect(job.spec).toMatchObject({ backoffLimit: 0, ttlSecondsAfterFinished: 60, activeDeadlineSeconds: 120 });
    expect(containerOf(job)).toMatchObject({ image: 'registry.example.com/app:2', imagePullPolicy: 'Never' });
    expect(containerOf(job).resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '256Mi' },
    });
    expect(containerOf(job).env![0]).toEqual({
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: 'db-owner', key: 'URL' } },
    });
    expect(migrate(c, { namespace: 'override' }).metadata!.namespace).toBe('override');
  });
});

describe('renderSeedJob and renderResetJob', () => {
  it('create the seed Job suspended, running db seed with the seed settings', () => {
    const job = renderSeedJob(config, { files, seedChecksums: seeds });
    expect(job.spec).toMatchObject({ suspend: true, backoffLimit: 1 });
    expect(containerOf(job)).toMatchObject({
      name: 'seed',
      args: ['db', 'seed', '--wait-for-db', '2m', '--config', 'schemagate.yaml'],
    });
    expect(job.metadata!.labels).toMatchObject({ 'schemagate.dev/job': 'seed', 'app.kubernetes.io/component': 'seed' });
    expect(job.spec!.podFailurePolicy!.rules[1]!.onExitCodes!.containerName).toBe('seed');
  });

  it('run db reset --yes with the migration role, labelled reset', () => {
    const job = renderResetJob(config, { nonce: 'n1' });
    expect(containerOf(job)).toMatchObject({
      name: 'reset',
      args: ['db', 'reset', '--yes', '--wait-for-db', '2m', '--config', 'schemagate.yaml'],
    });
    expect(containerOf(job).env![0]!.valueFrom!.secretKeyRef!.name).toBe('schemagate-migrator');
    expect(job.spec!.suspend).toBeUndefined();
    expect(job.metadata!.labels!['schemagate.dev/job']).toBe('reset');
    expect(job.metadata!.annotations!['schemagate.dev/nonce']).toBe('n1');
  });
});

describe('renderBackend', () => {
  const pod = (d: V1Deployment) => d.spec!.template.spec!;

  it('holds the Deployment at zero replicas unless told otherwise', () => {
    expect(renderBackend(config).deployment.spec!.replicas).toBe(0);
    expect(renderBackend(config, { replicas: 2 }).deployment.spec!.replicas).toBe(2);
  });

  it("puts the given image on every container of schemagate's image, with the configured pull policy", () => {
    const { deployment } = renderBackend(withConfig('kubernetes: { imagePullPolicy: Always }'), {
      image: 'schemagate:tilt-123',
    });
    for (const c of [...pod(deployment).initContainers!, ...pod(deployment).containers]) {
      expect(c.image, c.name).toBe('schemagate:tilt-123');
      expect(c.imagePullPolicy, c.name).toBe('Always');
    }
  });

  it('in job mode has only the wait and verify init containers, with the application Secret', () => {
    const { deployment } = renderBackend(config);
    expect(pod(deployment).initContainers!.map((c) => c.name)).toEqual(['wait-for-db', 'verify-schema']);
    for (const c of pod(deployment).initContainers!)
      expect(c.env).toEqual([
        { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'schemagate-app', key: 'DATABASE_URL' } } },
      ]);
  });

  it('in initContainer mode migrates first, with the migration Secret, before waiting and verifying', () => {
    const { deployment } = renderBackend(withConfig('kubernetes: { migration: { mode: initContainer } }'), {
      image: 'schemagate:x',
    });
    const init = pod(deployment).initContainers!;
    expect(init.map((c) => c.name)).toEqual(['migrate', 'wait-for-db', 'verify-schema']);
    expect(init[0]).toMatchObject({ image: 'schemagate:x', args: ['db', 'migrate', '--wait-for-db', '120s'] });
    expect(init[0]!.command).toBeUndefined();
    expect(init[0]!.env).toEqual([
      { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'schemagate-migrator', key: 'DATABASE_URL' } } },
    ]);
    expect(init[0]!.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } });
    expect(
      renderBackend(config, { mode: 'initContainer' }).deployment.spec!.template.spec!.initContainers![0]!.name,
    ).toBe('migrate');
  });

  it('takes the name, port and Secret from the configuration, and returns the Service with it', () => {
    const { deployment, objects } = renderBackend(
      withConfig(
        'kubernetes: { namespace: team-a, backend: { deployment: api, port: 3000, secret: { name: api-db, key: URL } } }',
      ),
    );
    expect(deployment.metadata).toMatchObject({ name: 'api', namespace: 'team-a' });
    const main = pod(deployment).containers[0]!;
    expect(main.ports).toEqual([{ name: 'http', containerPort: 3000 }]);
    expect(main.env).toContainEqual({ name: 'PORT', value: '3000' });
    expect(main.env).toContainEqual({
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: 'api-db', key: 'URL' } },
    });
    expect(objects.map((o) => `${o.kind}/${o.metadata!.name}`)).toEqual(['Deployment/api', 'Service/backend']);
    expect((objects[1] as { spec: { ports: unknown[] } }).spec.ports).toEqual([
      { name: 'http', port: 3000, targetPort: 'http', nodePort: 30080 },
    ]);
    expect(objects[1]!.metadata!.namespace).toBe('team-a');
  });
});

describe('renderAll', () => {
  const inputs = { files, migrationChecksums: checksums, seedChecksums: seeds };

  it('lists the objects in apply order: namespace, secrets, postgres, backend, migration Job, seed Job, each Job after the ConfigMap of its files', () => {
    const kinds = renderAll(config, inputs).map(
      (o) => `${o.kind}/${o.metadata!.name!.replace(/-[0-9a-f]{10}$/, '-<hash>')}`,
    );
    expect(kinds).toEqual([
      'Namespace/schemagate',
      'Secret/postgres-superuser',
      'Secret/schemagate-migrator',
      'Secret/schemagate-app',
      'ConfigMap/postgres-initdb',
      'StatefulSet/postgres',
      'Service/postgres',
      'Deployment/backend',
      'Service/backend',
      'ConfigMap/schemagate-files-<hash>',
      'Job/schemagate-migrate-<hash>',
      'ConfigMap/schemagate-files-<hash>',
      'Job/schemagate-seed-<hash>',
    ]);
  });

  it('renders no migration Job in initContainer mode', () => {
    const objects = renderAll(withConfig('kubernetes: { migration: { mode: initContainer } }'), inputs);
    expect(objects.filter((o) => o.kind === 'Job').map((o) => o.metadata!.labels![Label.job])).toEqual(['seed']);
  });

  it('puts everything in the configured namespace, and names the Namespace after it', () => {
    const objects = renderAll(withConfig('kubernetes: { namespace: team-a }'), inputs);
    expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'team-a' } });
    for (const o of objects.slice(1)) expect(o.metadata!.namespace, `${o.kind}/${o.metadata!.name}`).toBe('team-a');
    expect(renderAll(config, { ...inputs, namespace: 'flag' })[0]!.metadata!.name).toBe('flag');
  });

  it('only references Secrets from Jobs and the backend: no database URL is written into them', () => {
    const objects = renderAll(withConfig('kubernetes: { migration: { mode: initContainer } }'), inputs);
    const workloads = objects.filter((o) => o.kind === 'Job' || o.kind === 'Deployment');
    const text = toYaml(workloads);
    expect(text).not.toMatch(/postgres(ql)?:\/\//);
    expect(text).not.toContain('dev-only');
    let refs = 0;
    for (const o of workloads) {
      const spec = (o as V1Job | V1Deployment).spec!.template.spec!;
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        for (const e of c.env ?? []) {
          if (e.name !== 'DATABASE_URL') continue;
          expect(e.value, `${o.metadata!.name} ${c.name}`).toBeUndefined();
          expect(e.valueFrom?.secretKeyRef, `${o.metadata!.name} ${c.name}`).toBeDefined();
          refs++;
        }
      }
    }
    expect(refs).toBe(5); // backend: migrate, wait-for-db, verify-schema, backend; seed Job
  });
});

describe('toYaml', () => {
  it('prints one YAML document per object, separated by ---, that parse back to the same objects', () => {
    const objects = renderAll(config, { files, migrationChecksums: checksums, seedChecksums: seeds });
    const text = toYaml(objects);
    expect(text.match(/^---$/gm)).toHaveLength(objects.length - 1);
    const docs = parseAllDocuments(text);
    expect(Array.isArray(docs) && docs.map((d) => d.toJS() as unknown)).toEqual(
      JSON.parse(JSON.stringify(objects)) as unknown,
    );
  });
});

describe('manifests of a project', () => {
  function project(files: Record<string, string>): Config {
    const root = mkdtempSync(join(tmpdir(), 'schemagate-render-'));
    cpSync(join(repo, 'k8s'), join(root, 'k8s'), { recursive: true });
    for (const [f, text] of Object.entries(files)) writeFileSync(join(root, 'k8s', f), text);
    return withConfig('', root);
  }

  it('are read from kubernetes.manifests, keeping what the project added to a Job template', () => {
    const template = readFileSync(join(repo, 'k8s/jobs/migrate.yaml'), 'utf8').replace(
      '      restartPolicy: Never\n',
      '      restartPolicy: Never\n      priorityClassName: dev-low\n',
    );
    const c = project({ 'jobs/migrate.yaml': template });
    expect(migrate(c).spec!.template.spec!.priorityClassName).toBe('dev-low');
    expect(migrate(c).metadata!.name).not.toBe(migrate().metadata!.name);
  });

  it('fall back to the built-in Job templates, and to all of k8s/ when the directory does not exist', () => {
    const c = project({});
    rmSync(join(c.kubernetes.manifestsDir, 'jobs'), { recursive: true });
    expect(migrate(c)).toEqual(migrate());
    const empty = withConfig('', mkdtempSync(join(tmpdir(), 'schemagate-render-')));
    expect(renderAll(empty, { files, migrationChecksums: checksums, seedChecksums: seeds })).toEqual(
      renderAll(config, { files, migrationChecksums: checksums, seedChecksums: seeds }),
    );
  });

  it('that hold no Job where a Job template is expected give an error', () => {
    const err = thrown(() => migrate(project({ 'jobs/migrate.yaml': '# nothing\n' })));
    expect(err.message).toBe('k8s/jobs/migrate.yaml: expected exactly one Job, found none');
  });

  it('leave out a file the project removed, except the backend, which is required', () => {
    const c = project({});
    for (const f of ['namespace.yaml', 'secrets.yaml', 'postgres.yaml']) rmSync(join(c.kubernetes.manifestsDir, f));
    expect(renderAll(c, { files, migrationChecksums: checksums, seedChecksums: seeds }).map((o) => o.kind)).toEqual([
      'Deployment',
      'Service',
      'ConfigMap',
      'Job',
      'ConfigMap',
      'Job',
    ]);
    rmSync(join(c.kubernetes.manifestsDir, 'backend.yaml'));
    expect(thrown(() => renderBackend(c)).message).toBe('k8s/backend.yaml: the manifest does not exist');
  });

  it('that are broken give an error naming the file and the document', () => {
    const c = project({
      'backend.yaml':
        'apiVersion: v1\nkind: Service\nmetadata: { name: a }\n---\nkind: Deployment\nmetadata: { name: b }\n',
    });
    const err = thrown(() => renderBackend(c));
    expect(err.exitCode).toBe(ExitCode.config);
    expect(err.message).toBe('k8s/backend.yaml, document 2: expected a non-empty string at apiVersion, found null');
  });

  it('with a Job template lacking the container named after the Job give an error naming it', () => {
    const template = readFileSync(join(repo, 'k8s/jobs/seed.yaml'), 'utf8').replace('- name: seed', '- name: seeder');
    const err = thrown(() => renderSeedJob(project({ 'jobs/seed.yaml': template }), { files, seedChecksums: seeds }));
    expect(err.message).toBe(
      'k8s/jobs/seed.yaml, document 1: expected a container named "seed" (the one schemagate runs), found "seeder"',
    );
  });
});

describe('src/kube/render', () => {
  it('imports only types from @kubernetes/client-node (loading it costs 0.6 s)', () => {
    const dir = join(repo, 'src/kube/render');
    let imports = 0;
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(join(dir, f), 'utf8');
      for (const m of text.matchAll(/^(import|export)\b[^;]*?from '@kubernetes\/client-node'/gms)) {
        imports++;
        expect(m[0], f).toMatch(/^import type /);
      }
      expect(text, f).not.toMatch(/import\(\s*'@kubernetes\/client-node'\s*\)/);
    }
    expect(imports).toBeGreaterThan(0);
  });
});
