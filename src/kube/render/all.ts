/**
 * Everything `schemagate render` prints and `up` applies, in apply order:
 * namespace, secrets, postgres, the backend's dependencies that `k8s/` has
 * (e.g. redis.yaml), backend (0 replicas), migration Job (in `job`
 * mode), seed Job (suspended), each Job after the ConfigMap of its files
 * (with `source: configMap`).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Config } from '../../config/types.js';
import { renderBackend } from './backend.js';
import { dependencyManifests } from './dependency-manifests.js';
import { filesConfigMapFor, type JobFiles } from './files.js';
import { renderMigrationJob, renderSeedJob } from './job.js';
import { JobKind } from './labels.js';
import { ManifestFile, readManifests } from './manifests.js';

export interface RenderAllInputs {
  /** @default config.kubernetes.image */
  image?: string;
  /** @default config.kubernetes.namespace */
  namespace?: string;
  migrationChecksums: readonly string[];
  migrationVersions?: readonly string[];
  seedChecksums: readonly string[];
  seedVersions?: readonly string[];
  files: JobFiles;
}

export function renderAll(config: Config, inputs: RenderAllInputs): KubernetesObject[] {
  const namespace = inputs.namespace ?? config.kubernetes.namespace;
  const image = inputs.image ?? config.kubernetes.image;
  const common = { image, namespace, files: inputs.files };
  // Jobs that read the same files mount the same ConfigMap: it is rendered once.
  const rendered = new Set<string>();
  const withFiles = (kind: JobKind) => {
    const cm = filesConfigMapFor(config, kind, inputs.files, namespace);
    const name = cm?.metadata?.name ?? '';
    if (!cm || rendered.has(name)) return [];
    rendered.add(name);
    return [cm];
  };
  // In initContainer mode the backend migrates; there is no migration Job.
  const migration =
    config.kubernetes.migrationMode === 'job'
      ? [
          ...withFiles(JobKind.migrate),
          renderMigrationJob(config, {
            ...common,
            migrationChecksums: inputs.migrationChecksums,
            ...(inputs.migrationVersions ? { migrationVersions: inputs.migrationVersions } : {}),
          }),
        ]
      : [];
  return [
    ...readManifests(config, ManifestFile.namespace, namespace),
    ...readManifests(config, ManifestFile.secrets, namespace),
    ...readManifests(config, ManifestFile.postgres, namespace),
    ...dependencyManifests(config, namespace).flatMap((d) => d.objects),
    ...renderBackend(config, { image, namespace, replicas: 0 }).objects,
    ...migration,
    ...withFiles(JobKind.seed),
    renderSeedJob(config, {
      ...common,
      seedChecksums: inputs.seedChecksums,
      ...(inputs.seedVersions ? { seedVersions: inputs.seedVersions } : {}),
    }),
  ];
}
