/**
 * The backend: the Deployment (and whatever else) in `backend.yaml`, with
 * schemagate's image, the configured name, port, replicas and Secret, in
 * `initContainer` migration mode a first init container that migrates, and
 * with `backend.dependencies` an init container that waits for them.
 */
import type {
  KubernetesObject,
  V1Container,
  V1Deployment,
  V1DeploymentSpec,
  V1PodSpec,
  V1Service,
} from '@kubernetes/client-node';
import type { Config, MigrationMode } from '../../config/types.js';
import {
  DATABASE_URL,
  MANIFEST_IMAGE,
  databaseUrlFrom,
  repointDatabaseUrl,
  resourcesFrom,
  restrictedContainer,
  setDatabaseUrl,
  setEnv,
  useImage,
} from './container.js';
import { placeDependencyWait } from './dependency-init.js';
import { ManifestFile, fromYaml, invalidManifest, readManifestSet, single, type Manifest } from './manifests.js';

export interface BackendInputs {
  /** Replaces the image `schemagate:dev` wherever backend.yaml names it. @default config.kubernetes.image */
  image?: string;
  /** @default config.kubernetes.namespace */
  namespace?: string;
  /**
   * Replicas of the rendered Deployment. 0 until the runner releases it (it
   * scales to `kubernetes.backend.replicas` once the schema is ready). @default 0
   */
  replicas?: number;
  /** @default config.kubernetes.migrationMode */
  mode?: MigrationMode;
}

export interface RenderedBackend {
  /** The backend Deployment (also in `objects`). */
  deployment: V1Deployment;
  /** Every object of backend.yaml in file order (the Deployment, its Service, ...). */
  objects: KubernetesObject[];
}

/** The name of the init container that migrates in `initContainer` mode. */
export const MIGRATE_INIT_CONTAINER = 'migrate';

/** The port name backend.yaml's probes and Service refer to. */
const HTTP_PORT = 'http';

function migrateInitContainer(config: Config, image: string): V1Container {
  const k = config.kubernetes;
  // It runs before wait-for-db: it must wait for PostgreSQL itself.
  const c: V1Container = { name: MIGRATE_INIT_CONTAINER, args: ['db', 'migrate', '--wait-for-db', '120s'] };
  useImage(c, image, k);
  c.env = [databaseUrlFrom(config.database.urlEnv, k.migrationJob.secret)];
  c.resources = resourcesFrom(k.migrationJob.resources);
  c.securityContext = restrictedContainer();
  return c;
}

/** The parts of the Deployment schemagate fills in; parsed YAML may lack any of them, whatever the types say. */
function partsOf(deployment: Manifest & V1Deployment): { spec: V1DeploymentSpec; pod: V1PodSpec; first: V1Container } {
  const spec = deployment.spec;
  const pod = fromYaml(spec?.template)?.spec;
  const containers = fromYaml(pod?.containers);
  const first = Array.isArray(containers) ? containers[0] : undefined;
  if (!spec || !pod || !first)
    throw invalidManifest(deployment, 'expected a Deployment with spec.template.spec.containers');
  return { spec, pod, first };
}

/** The readiness endpoint of schemagate's backend: it runs `db verify`, so it must never decide liveness. */
const READINESS_PATH = '/health';

/**
 * Refuses a liveness probe of schemagate's backend on /health: it checks the
 * database, so an outage (or a schema the image does not accept) would make
 * the kubelet restart every pod, where an unready pod waits it out.
 */
function checkProbes(deployment: object, pod: V1PodSpec): void {
  for (const c of pod.containers) {
    const isBackend = c.image === MANIFEST_IMAGE && c.args?.[0] === 'backend';
    if (isBackend && c.livenessProbe?.httpGet?.path === READINESS_PATH)
      throw invalidManifest(
        deployment,
        `container "${c.name}": livenessProbe is on ${READINESS_PATH}, which checks the database: a database outage would restart every pod. Point the livenessProbe at /livez (the process only) and keep ${READINESS_PATH} for the readinessProbe`,
      );
  }
}

function configureContainers(config: Config, pod: V1PodSpec, first: V1Container, image: string): void {
  const k = config.kubernetes;
  const urlEnv = config.database.urlEnv;
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
    const readsUrl = c.env?.some((e) => (e.name === DATABASE_URL || e.name === urlEnv) && e.valueFrom?.secretKeyRef);
    // The application's role for every container that reads the URL from a Secret; schemagate's CLI reads it as urlEnv.
    if (c.image === MANIFEST_IMAGE) {
      useImage(c, image, k);
      if (readsUrl) setDatabaseUrl(c, urlEnv, k.backend.secret);
    } else if (readsUrl) repointDatabaseUrl(c, urlEnv, k.backend.secret);
  }
  const main = pod.containers.find((c) => c.ports?.some((p) => p.name === HTTP_PORT)) ?? first;
  for (const p of main.ports ?? []) if (p.name === HTTP_PORT) p.containerPort = k.backend.port;
  if (main.env?.some((e) => e.name === 'PORT')) setEnv(main, { name: 'PORT', value: String(k.backend.port) });
}

/** Renders backend.yaml. See `BackendInputs` for what is taken from where. */
export function renderBackend(config: Config, inputs: BackendInputs = {}): RenderedBackend {
  const k = config.kubernetes;
  const image = inputs.image ?? k.image;
  const set = readManifestSet(config, ManifestFile.backend, inputs.namespace ?? k.namespace, true);
  const { objects } = set;
  const deployment = single(set, 'Deployment') as Manifest & V1Deployment;

  const { spec, pod, first } = partsOf(deployment);
  checkProbes(deployment, pod);
  deployment.metadata.name = k.backend.deployment;
  spec.replicas = inputs.replicas ?? 0;
  configureContainers(config, pod, first, image);

  if ((inputs.mode ?? k.migrationMode) === 'initContainer') {
    // First, so that wait/verify run against the migrated schema.
    pod.initContainers = [
      migrateInitContainer(config, image),
      ...(pod.initContainers ?? []).filter((c) => c.name !== MIGRATE_INIT_CONTAINER),
    ];
  }
  placeDependencyWait(config, pod, image, MIGRATE_INIT_CONTAINER);

  for (const service of objects.filter((o) => o.kind === 'Service') as (Manifest & V1Service)[]) {
    for (const p of service.spec?.ports ?? []) if (p.targetPort === HTTP_PORT) p.port = k.backend.port;
  }
  return { deployment, objects };
}
