/**
 * Everything `schemagate render` prints and `up` applies, in apply order:
 * namespace, secrets, postgres, backend (0 replicas), migration Job (in `job`
 * mode), seed Job (suspended).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Config } from '../../config/types.js';
import { renderBackend } from './backend.js';
import { renderMigrationJob, renderSeedJob } from './job.js';
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
}

export function renderAll(config: Config, inputs: RenderAllInputs): KubernetesObject[] {
  const namespace = inputs.namespace ?? config.kubernetes.namespace;
  const image = inputs.image ?? config.kubernetes.image;
  const common = { image, namespace };
  return [
    ...readManifests(config, ManifestFile.namespace, namespace),
    ...readManifests(config, ManifestFile.secrets, namespace),
    ...readManifests(config, ManifestFile.postgres, namespace),
    ...renderBackend(config, { ...common, replicas: 0 }).objects,
    // In initContainer mode the backend migrates; there is no migration Job.
    ...(config.kubernetes.migrationMode === 'job'
      ? [
          renderMigrationJob(config, {
            ...common,
            migrationChecksums: inputs.migrationChecksums,
            ...(inputs.migrationVersions ? { migrationVersions: inputs.migrationVersions } : {}),
          }),
        ]
      : []),
    renderSeedJob(config, {
      ...common,
      seedChecksums: inputs.seedChecksums,
      ...(inputs.seedVersions ? { seedVersions: inputs.seedVersions } : {}),
    }),
  ];
}
