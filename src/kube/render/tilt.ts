/**
 * What the Tiltfile deploys, from the same rendering as `schemagate up`
 * (`schemagate render --for tilt`): the namespace, Secrets, postgres, the
 * backend's dependencies that `k8s/` has (e.g. redis.yaml) and the backend with schemagate.yaml's namespace, names, ports and image, plus the
 * settings the Tiltfile needs to name its resources. No Jobs: under Tilt the
 * CLI runs them (`db-migrate`, `db-seed`). The backend differs from `up`'s in
 * what the dev loop needs: its configured replicas (Tilt holds its first start
 * until db-migrate succeeded), and a backend process that restarts when
 * live_update syncs new code into it.
 */
import { relative } from 'node:path';
import type { KubernetesObject, V1Container, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { Config, MigrationSource } from '../../config/types.js';
import { renderBackend } from './backend.js';
import { dependencyManifests } from './dependency-manifests.js';
import { ManifestFile, readManifests } from './manifests.js';

/** Where the dev image has the CLI, and what `node --watch` restarts on (Dockerfile.dev). */
export const DEV_CLI = '/app/dist/src/cli.js';

export interface TiltPlan {
  namespace: string;
  /** The image the Tiltfile builds: the manifests name it, and Tilt puts its build in their place. */
  image: string;
  source: MigrationSource;
  /** Folders relative to the project, for the resources' `deps`. */
  migrationsDir: string;
  seedsDir: string;
  backend: { name: string; port: number };
  postgres: { name: string; port: number };
  /** The backend's dependencies deployed from `k8s/<name>.yaml`: Tilt resources by their workload's name. */
  dependencies: string[];
  /** `name:kind` of the objects that are no workload, by the Tilt resource that applies them. */
  resources: { 'cluster-config': string[]; postgres: string[] };
  /** Everything Tilt applies, Secrets with their values. */
  objects: KubernetesObject[];
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'Service']);

/** How Tilt's `k8s_resource(objects=...)` names an object. */
function tiltName(o: KubernetesObject): string {
  return `${o.metadata?.name ?? ''}:${(o.kind ?? '').toLowerCase()}`;
}

/** The port postgres' container listens on (what a port-forward reaches), from its StatefulSet or Deployment. */
function postgresPort(objects: readonly KubernetesObject[], name: string): number {
  const workload = objects.find(
    (o): o is V1StatefulSet => (o.kind === 'StatefulSet' || o.kind === 'Deployment') && o.metadata?.name === name,
  );
  return workload?.spec?.template.spec?.containers[0]?.ports?.[0]?.containerPort ?? 5432;
}

function project(config: Config, dir: string): string {
  const rel = relative(config.root, dir);
  return rel === '' ? '.' : rel;
}

/**
 * The backend's own process (schemagate's image running `backend`) under
 * `node --watch`, on a writable root file system: live_update writes the
 * synced files there, and the process restarts on them.
 */
function watchBackend(deployment: V1Deployment, image: string): void {
  for (const c of deployment.spec?.template.spec?.containers ?? []) {
    if (c.image !== image || c.command || c.args?.[0] !== 'backend') continue;
    const container: V1Container = c;
    container.command = ['node', '--watch', DEV_CLI];
    container.securityContext = { ...container.securityContext, readOnlyRootFilesystem: false };
  }
}

export function renderForTilt(config: Config): TiltPlan {
  const k = config.kubernetes;
  const namespace = k.namespace;
  const base = [
    ...readManifests(config, ManifestFile.namespace, namespace),
    ...readManifests(config, ManifestFile.secrets, namespace),
  ];
  const postgres = readManifests(config, ManifestFile.postgres, namespace);
  const dependencies = dependencyManifests(config, namespace);
  const backend = renderBackend(config, { image: k.image, namespace, replicas: k.backend.replicas });
  watchBackend(backend.deployment, k.image);
  return {
    namespace,
    image: k.image,
    source: k.migrationSource,
    migrationsDir: project(config, config.migrations.dir),
    seedsDir: project(config, config.seeds.dir),
    backend: { name: k.backend.deployment, port: k.backend.port },
    postgres: { name: k.postgres.name, port: postgresPort(postgres, k.postgres.name) },
    dependencies: dependencies.flatMap((d) =>
      d.objects.filter((o) => WORKLOADS.has(o.kind) && o.kind !== 'Service').map((o) => o.metadata.name),
    ),
    resources: {
      'cluster-config': base.map(tiltName),
      postgres: postgres.filter((o) => !WORKLOADS.has(o.kind)).map(tiltName),
    },
    objects: [...base, ...postgres, ...dependencies.flatMap((d) => d.objects), ...backend.objects],
  };
}
