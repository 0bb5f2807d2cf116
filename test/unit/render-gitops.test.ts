import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { V1Deployment, V1Job, V1Service } from '@kubernetes/client-node';
import { defaultConfig, parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { ExitCode } from '../../src/errors.js';
import { renderForArgoCd } from '../../src/kube/render/argocd.js';
import { renderForFlux } from '../../src/kube/render/flux.js';
import type { GitopsOutput, GitopsRenderer } from '../../src/kube/render/gitops.js';
import { renderForHelm } from '../../src/kube/render/helm.js';
import { renderForKustomize } from '../../src/kube/render/kustomize.js';
import { mutableTag } from '../../src/kube/render/production.js';
import { schemaProblems } from './k8s-schema.js';
import { helmTemplate } from '../support/helm-template.js';
import { jobFilesOf, sampleFiles as files } from '../support/job-files.js';
import { thrown } from '../support/thrown.js';

/**
 * The production outputs, each pinned to its tool's documented conventions:
 * Argo CD https://argo-cd.readthedocs.io/en/stable/user-guide/resource_hooks/,
 * Flux https://fluxcd.io/flux/components/kustomize/kustomizations/#force and #dependencies,
 * Helm https://helm.sh/docs/topics/charts_hooks/,
 * Kustomize https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/images/.
 */
const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const config = defaultConfig(repo);
const IMAGE = 'registry.example.com/team/app:1.4.2';
const inputs = { image: IMAGE, namespace: 'shop', files, migrationChecksums: ['c1', 'c2', 'c3'] };

type Obj = { kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec?: unknown };
const docs = (text: string) =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);
const all = (out: GitopsOutput) =>
  Object.entries(out.files)
    .filter(
      ([f]) =>
        f.endsWith('.yaml') &&
        !f.includes('kustomization') &&
        !f.includes('example') &&
        f !== 'Chart.yaml' &&
        f !== 'values.yaml',
    )
    .flatMap(([, t]) => docs(t));

function write(out: GitopsOutput): string {
  const dir = mkdtempSync(join(tmpdir(), 'schemagate-gitops-'));
  for (const [f, t] of Object.entries(out.files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), t);
  }
  return dir;
}
const kustomize = (dir: string) => docs(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' }));

const jobOf = (objects: Obj[]) => objects.find((o) => o.kind === 'Job') as unknown as V1Job;
const deploymentOf = (objects: Obj[]) => objects.find((o) => o.kind === 'Deployment') as unknown as V1Deployment;

describe.each<[string, GitopsRenderer]>([
  ['argocd', renderForArgoCd],
  ['flux', renderForFlux],
  ['kustomize', renderForKustomize],
])('render --for %s', (_tool, render) => {
  it('has the migration Job and the backend only: no Secret, Namespace, postgres, files ConfigMap or seed Job', () => {
    const kinds = all(render(config, inputs)).map((o) => o.kind);
    expect(kinds).toEqual(['Job', 'Deployment', 'Service']);
  });

  it('renders a Job without a TTL that reads the image and checks it has the checkout files (source: image)', () => {
    const job = jobOf(all(render(config, inputs)));
    expect(job.spec!.ttlSecondsAfterFinished).toBeUndefined();
    expect(job.spec!.suspend).toBeUndefined();
    const c = job.spec!.template.spec!.containers[0]!;
    expect(c.image).toBe(IMAGE);
    expect(c.volumeMounts ?? []).toEqual([]);
    const manifest = JSON.parse(c.env!.find((e) => e.name === 'SCHEMAGATE_EXPECTED_FILES')!.value!) as {
      source: string;
      migrations: Record<string, string>;
    };
    expect(manifest.source).toBe('image');
    expect(Object.keys(manifest.migrations)).toEqual(['001_create_users.sql', '002_add_name.sql', '003_index.sql']);
  });

  it('runs the backend at its configured replicas, gated by its init containers, on a ClusterIP Service, with no kind-only details', () => {
    const c = parseConfig('kubernetes: { backend: { replicas: 3 } }', 'test.yaml', repo);
    const out = render(c, inputs);
    const objects = all(out);
    const d = deploymentOf(objects);
    expect(d.spec!.replicas).toBe(3);
    expect(d.spec!.template.spec!.initContainers!.map((x) => [x.name, x.args?.slice(0, 2)])).toEqual([
      ['wait-for-db', ['db', 'wait']],
      ['verify-schema', ['db', 'verify']],
    ]);
    const svc = objects.find((o) => o.kind === 'Service') as unknown as V1Service;
    expect(svc.spec!.type).toBe('ClusterIP');
    const text = Object.values(out.files).join('\n');
    expect(text).not.toMatch(/30080|NodePort|:dev\b|imagePullPolicy: Never|dev-only|password/i);
  });

  it('passes the Kubernetes schemas', () => {
    for (const o of all(render(config, inputs))) expect(schemaProblems(o)).toEqual([]);
  });

  it('names a new Job when a migration is added (the pod template is immutable)', () => {
    const before = jobOf(all(render(config, inputs))).metadata!.name;
    const more = jobFilesOf({ '004_more.sql': 'SELECT 1;\n' });
    const after = jobOf(
      all(
        render(config, {
          ...inputs,
          files: { migrations: [...files.migrations, ...more.migrations], seeds: [] },
          migrationChecksums: ['c1', 'c2', 'c3', 'c4'],
        }),
      ),
    ).metadata!.name;
    expect(after).toMatch(/^schemagate-migrate-[0-9a-f]{10}$/);
    expect(after).not.toBe(before);
  });
});

describe('render --for argocd', () => {
  it('makes the migration Job a PreSync hook deleted before the next one is created (resource_hooks/)', () => {
    const out = renderForArgoCd(config, inputs);
    const job = jobOf(docs(out.stdout!));
    expect(job.metadata!.annotations).toMatchObject({
      'argocd.argoproj.io/hook': 'PreSync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    });
    // Only the hook is one: the backend is a tracked resource, applied after PreSync completed.
    expect(deploymentOf(docs(out.stdout!)).metadata!.annotations?.['argocd.argoproj.io/hook']).toBeUndefined();
    const app = parse(out.files['application.example.yaml']!) as {
      spec: { syncPolicy: { syncOptions: string[] }; source: { path: string } };
    };
    expect(app.spec.syncPolicy.syncOptions).toContain('CreateNamespace=true');
    expect(app.spec.source.path).toBe('deploy/argocd/manifests');
  });
});

describe('render --for flux', () => {
  it('orders the app after the database with dependsOn, with force and wait (kustomizations/#dependencies, #force)', () => {
    const out = renderForFlux(config, { ...inputs, outDir: 'clusters/prod/shop' });
    const [db, app] = docs(out.files['flux-kustomizations.example.yaml']!) as unknown as {
      metadata: { name: string };
      spec: Record<string, unknown>;
    }[];
    expect(db!.metadata.name).toBe('database');
    expect(app!.spec).toMatchObject({
      dependsOn: [{ name: 'database' }],
      force: true,
      wait: true,
      prune: true,
      path: './clusters/prod/shop/app',
      targetNamespace: 'shop',
    });
  });

  it('is a folder kubectl kustomize builds', () => {
    const dir = write(renderForFlux(config, inputs));
    expect(kustomize(join(dir, 'app')).map((o) => o.kind)).toEqual(['Service', 'Deployment', 'Job']);
  });
});

describe('render --for kustomize', () => {
  it('builds a base with namespace: and images:, and a production overlay, with kubectl kustomize', () => {
    const c = parseConfig('kubernetes: { backend: { replicas: 1 } }', 'test.yaml', repo);
    const dir = write(renderForKustomize(c, inputs));
    const base = parse(renderForKustomize(c, inputs).files['base/kustomization.yaml']!) as Record<string, unknown>;
    expect(base).toMatchObject({
      namespace: 'shop',
      images: [{ name: 'registry.example.com/team/app', newTag: '1.4.2' }],
    });
    const built = kustomize(join(dir, 'overlays/production'));
    expect(built.map((o) => o.kind).sort()).toEqual(['Deployment', 'Job', 'Service']);
    expect(built.every((o) => (o.metadata as { namespace?: string }).namespace === 'shop')).toBe(true);
    expect(deploymentOf(built).spec!.replicas).toBe(2);
    expect(jobOf(built).spec!.template.spec!.containers[0]!.image).toBe(IMAGE);
    for (const o of built) expect(schemaProblems(o)).toEqual([]);
  });
});

describe('render --for helm', () => {
  const chart = (c: Config = config) => {
    const out = renderForHelm(c, inputs);
    return { out, dir: write(out), files: Object.keys(out.files) };
  };

  it('is a chart: Chart.yaml (apiVersion v2), values.yaml with image, replicas, the database Secrets and resources', () => {
    const { out } = chart();
    expect(parse(out.files['Chart.yaml']!)).toMatchObject({
      apiVersion: 'v2',
      name: 'backend',
      version: '0.1.0',
      appVersion: '1.4.2',
    });
    expect(parse(out.files['values.yaml']!)).toMatchObject({
      image: { repository: 'registry.example.com/team/app', tag: '1.4.2', pullPolicy: 'IfNotPresent' },
      replicas: 1,
      database: {
        migrationSecret: { name: 'schemagate-migrator', key: 'DATABASE_URL' },
        appSecret: { name: 'schemagate-app', key: 'DATABASE_URL' },
      },
      resources: { migration: { requests: { cpu: '100m', memory: '128Mi' } } },
    });
  });

  it('makes the migration Job a pre-install,pre-upgrade hook with before-hook-creation,hook-succeeded (charts_hooks/)', () => {
    const { dir, files: f } = chart();
    const job = jobOf(docs(helmTemplate(dir, f, { name: 'shop', namespace: 'prod' })));
    expect(job.metadata!.annotations).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-weight': '0',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    expect(job.spec!.ttlSecondsAfterFinished).toBeUndefined();
  });

  it('renders with the values given (image, replicas, Secrets, resources, the release namespace) into objects that pass the Kubernetes schemas', () => {
    const { dir, files: f } = chart();
    const objects = docs(
      helmTemplate(
        dir,
        f,
        { name: 'shop', namespace: 'prod' },
        {
          image: { tag: '1.5.0' },
          replicas: 4,
          database: { appSecret: { name: 'shop-db' } },
          resources: { backend: { requests: { cpu: '1' } } },
        },
      ),
    );
    for (const o of objects) expect(schemaProblems(o)).toEqual([]);
    const d = deploymentOf(objects);
    expect(d.spec!.replicas).toBe(4);
    expect(d.metadata!.namespace).toBe('prod');
    const containers = [...d.spec!.template.spec!.initContainers!, ...d.spec!.template.spec!.containers];
    expect(containers.map((x) => x.image)).toEqual(Array(3).fill('registry.example.com/team/app:1.5.0'));
    expect(containers.map((x) => x.env!.find((e) => e.name === 'DATABASE_URL')!.valueFrom!.secretKeyRef!.name)).toEqual(
      Array(3).fill('shop-db'),
    );
    expect(d.spec!.template.spec!.containers[0]!.resources).toEqual({
      // Helm merges --set into values.yaml's maps (coalesce): the other keys stay.
      requests: { cpu: '1', memory: '128Mi' },
      limits: { memory: '256Mi' },
    });
    const job = jobOf(objects);
    expect(
      job.spec!.template.spec!.containers[0]!.env!.find((e) => e.name === 'DATABASE_URL')!.valueFrom!.secretKeyRef!
        .name,
    ).toBe('schemagate-migrator');
    expect(
      JSON.parse(
        job.spec!.template.spec!.containers[0]!.env!.find((e) => e.name === 'SCHEMAGATE_EXPECTED_FILES')!.value!,
      ),
    ).toMatchObject({ image: 'registry.example.com/team/app:1.5.0', source: 'image' });
  });

  it('refuses an image given by digest, naming --image', () => {
    const e = thrown(() =>
      renderForHelm(config, { ...inputs, image: 'registry.example.com/app@sha256:' + 'a'.repeat(64) }),
    );
    expect(e.exitCode).toBe(ExitCode.usage);
    expect(e.message).toMatch(
      /^--image registry\.example\.com\/app@sha256:a+: the chart takes an image as repository and tag/,
    );
  });
});

describe('what cannot be right on a shared cluster', () => {
  it('refuses imagePullPolicy Never, naming the key (exit 3)', () => {
    const c = parseConfig('kubernetes: { imagePullPolicy: Never }', 'test.yaml', repo);
    for (const render of [renderForArgoCd, renderForFlux, renderForKustomize, renderForHelm]) {
      const e = thrown(() => render(c, inputs));
      expect(e.exitCode).toBe(ExitCode.config);
      expect(e.message).toBe(
        'kubernetes.imagePullPolicy is Never: a shared cluster has no image loaded by hand (kind load), so no pod would start',
      );
    }
  });

  it('refuses a backend.yaml whose env holds a URL with a password, naming the object and container', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schemagate-gitops-manifests-'));
    mkdirSync(join(dir, 'k8s'));
    writeFileSync(
      join(dir, 'k8s/backend.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: backend }\nspec:\n  selector: { matchLabels: { app: b } }\n  template:\n    metadata: { labels: { app: b } }\n    spec:\n      containers:\n        - name: app\n          image: schemagate:dev\n          env: [{ name: DATABASE_URL, value: "postgres://app:s3cret@db:5432/app" }]\n',
    );
    const c = parseConfig('kubernetes: { manifests: k8s }', join(dir, 'schemagate.yaml'), dir);
    const e = thrown(() => renderForArgoCd(c, inputs));
    expect(e.exitCode).toBe(ExitCode.config);
    expect(e.message).toMatch(
      /backend\.yaml: Deployment\/backend, container "app": env DATABASE_URL holds a URL with a password$/,
    );
    expect(e.message).not.toContain('s3cret');
  });

  it('warns about a mutable tag (:latest, :dev, none), never about a pinned tag or a digest', () => {
    expect(mutableTag('app')).toBe('(no tag: Kubernetes pulls :latest)');
    expect(mutableTag('registry:5000/app')).toBe('(no tag: Kubernetes pulls :latest)');
    expect(mutableTag('app:latest')).toBe(':latest');
    expect(mutableTag('schemagate:dev')).toBe(':dev');
    expect(mutableTag('registry:5000/app:1.2')).toBeUndefined();
    expect(mutableTag('app:dev@sha256:' + 'a'.repeat(64))).toBeUndefined();
    expect(renderForFlux(config, { ...inputs, image: 'app:latest' }).warnings[0]).toMatch(
      /^image app:latest has a mutable tag :latest/,
    );
    expect(renderForFlux(config, inputs).warnings.filter((w) => w.includes('mutable'))).toEqual([]);
  });
});
