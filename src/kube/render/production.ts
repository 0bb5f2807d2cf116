/**
 * What a shared cluster gets from `schemagate render --for argocd|flux|helm|
 * kustomize`: the migration Job and the backend, from the same rendering as
 * `up` (renderMigrationJob, renderBackend), without what only the dev loop
 * needs. Left out: the Namespace, the Secrets (development passwords: they
 * are referenced by name, the cluster's own secret store creates them),
 * postgres (a shared cluster has its own database) and the suspended seed
 * Job (seeding is a dev-loop action). Changed: the files come from the image
 * (`source: image`; the Job still carries the checkout's manifest, so a pod
 * whose image lacks a migration refuses with exit 13), no TTL (a GitOps tool
 * recreates a Job its TTL deleted, and runs it again), the backend at its
 * configured replicas, and a NodePort Service (kind's port mapping) as a
 * ClusterIP one.
 */
import type { KubernetesObject, V1Container, V1Job, V1Service } from '@kubernetes/client-node';
import { ExitCode, SchemagateError } from '../../errors.js';
import { MigrationSource, type Config, type SecretRef } from '../../config/types.js';
import { renderBackend } from './backend.js';
import type { JobFiles } from './files.js';
import { renderMigrationJob } from './job.js';

export interface ProductionInputs {
  image: string;
  namespace: string;
  files: JobFiles;
  migrationChecksums: readonly string[];
  migrationVersions?: readonly string[];
  /** @default config.kubernetes.backend.replicas */
  replicas?: number;
  /** The image the mutable-tag warning judges, when `image` is a placeholder (Helm's values). @default image */
  shownImage?: string;
}

export interface ProductionObjects {
  /** Undefined in `initContainer` mode (the backend's first init container migrates). */
  migration: V1Job | undefined;
  /** backend.yaml's objects: the Deployment, its Service, ... */
  app: KubernetesObject[];
  /** The Secrets these objects read, which the cluster must have. */
  secrets: SecretRef[];
  /** What a person should know (on stderr): a mutable tag, what was changed or left out. */
  warnings: string[];
}

/** A tag that names different content over time: `:latest`, `:dev`, or none. A digest is never mutable. */
export function mutableTag(image: string): string | undefined {
  if (image.includes('@sha256:')) return undefined;
  const last = image.slice(image.lastIndexOf('/') + 1);
  const at = last.lastIndexOf(':');
  if (at < 0) return '(no tag: Kubernetes pulls :latest)';
  const tag = last.slice(at + 1);
  return ['latest', 'dev', 'main', 'master'].includes(tag) ? `:${tag}` : undefined;
}

function refuse(code: string, message: string, key: string, hint: string): SchemagateError {
  return new SchemagateError(code, message, { exitCode: ExitCode.config, hint, context: { key } });
}

// A URL with a password in a manifest would be committed to the GitOps repository.
const URL_WITH_PASSWORD = /:\/\/[^:/@\s]+:[^@\s]+@/;

/** Refuses what cannot be right on a shared cluster: objects that would carry a password, an image never pulled. */
function checkProduction(config: Config, app: readonly KubernetesObject[]): void {
  if (config.kubernetes.imagePullPolicy === 'Never') {
    throw refuse(
      'production.pull-policy',
      'kubernetes.imagePullPolicy is Never: a shared cluster has no image loaded by hand (kind load), so no pod would start',
      'kubernetes.imagePullPolicy',
      'Set kubernetes.imagePullPolicy to IfNotPresent (or Always) in schemagate.yaml, and push the image to a registry the cluster pulls from.',
    );
  }
  for (const o of app) {
    const name = `${o.kind ?? ''}/${o.metadata?.name ?? ''}`;
    if (o.kind === 'Secret') {
      throw refuse(
        'production.secret',
        `${config.kubernetes.manifestsDir}/backend.yaml: ${name} would put a Secret's values into the output`,
        'kubernetes.manifests',
        `Move the Secret out of backend.yaml and create it in the cluster (kubectl -n NS create secret generic ${o.metadata?.name ?? 'NAME'} --from-literal=KEY=VALUE, or your secret store); the output references it by name.`,
      );
    }
    const pod = (
      o as { spec?: { template?: { spec?: { initContainers?: V1Container[]; containers?: V1Container[] } } } }
    ).spec?.template?.spec;
    for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
      for (const e of c.env ?? []) {
        if (e.value !== undefined && URL_WITH_PASSWORD.test(e.value))
          throw refuse(
            'production.password',
            `${config.kubernetes.manifestsDir}/backend.yaml: ${name}, container "${c.name}": env ${e.name} holds a URL with a password`,
            'kubernetes.manifests',
            `Read ${e.name} from a Secret instead (valueFrom.secretKeyRef), created in the cluster from your secret store.`,
          );
      }
    }
  }
}

/** kind's NodePort (kind-config.yaml maps it to the laptop) becomes a ClusterIP Service: expose it with your Ingress. */
function clusterIp(objects: KubernetesObject[], warnings: string[]): void {
  for (const s of objects.filter((o) => o.kind === 'Service') as V1Service[]) {
    if (s.spec?.type !== 'NodePort') continue;
    s.spec.type = 'ClusterIP';
    for (const p of s.spec.ports ?? []) delete p.nodePort;
    warnings.push(
      `Service/${s.metadata?.name ?? ''}: rendered as ClusterIP instead of NodePort (a kind port mapping); expose it with an Ingress or Gateway of the cluster`,
    );
  }
}

export function renderProduction(config: Config, inputs: ProductionInputs): ProductionObjects {
  const k = config.kubernetes;
  const warnings: string[] = [];
  const shown = inputs.shownImage ?? inputs.image;
  const tag = mutableTag(shown);
  if (tag)
    warnings.push(
      `image ${shown} has a mutable tag ${tag}: nodes may run different builds under one name. Pass --image with an immutable tag or a digest (e.g. registry.example.com/app:1.4.2 or ...@sha256:...)`,
    );
  if (k.migrationSource === MigrationSource.configMap)
    warnings.push(
      'kubernetes.migration.source is configMap (the dev loop): the migration Job reads the files from the image here (source: image), and refuses (exit 13) unless the image has exactly the migrations of this checkout: build and push the image from this commit',
    );
  const imageConfig: Config = { ...config, kubernetes: { ...k, migrationSource: MigrationSource.image } };
  const backend = renderBackend(imageConfig, {
    image: inputs.image,
    namespace: inputs.namespace,
    replicas: inputs.replicas ?? k.backend.replicas,
  });
  checkProduction(config, backend.objects);
  clusterIp(backend.objects, warnings);
  let migration: V1Job | undefined;
  if (k.migrationMode === 'job') {
    migration = renderMigrationJob(imageConfig, {
      image: inputs.image,
      namespace: inputs.namespace,
      files: inputs.files,
      migrationChecksums: inputs.migrationChecksums,
      ...(inputs.migrationVersions ? { migrationVersions: inputs.migrationVersions } : {}),
    });
    if (migration.spec) delete migration.spec.ttlSecondsAfterFinished;
  }
  const secrets = [k.migrationJob.secret, k.backend.secret].filter(
    (s, i, all) => all.findIndex((x) => x.name === s.name && x.key === s.key) === i,
  );
  return { migration, app: backend.objects, secrets, warnings };
}

/** How to create the Secrets the output references, for the notes and README. */
export function secretCommands(namespace: string, secrets: readonly SecretRef[]): string[] {
  return secrets.map(
    (s) =>
      `kubectl -n ${namespace} create secret generic ${s.name} --from-literal=${s.key}="$URL" (the role's connection URL, from your secret store)`,
  );
}
