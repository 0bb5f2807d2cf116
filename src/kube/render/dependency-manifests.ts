/**
 * The services of `backend.dependencies` that the project deploys itself: a
 * dependency whose host is a Service in the namespace (`redis`,
 * `redis.NAMESPACE`, `redis.NAMESPACE.svc[.cluster.local]`) has its objects
 * in `k8s/<host>.yaml` when that file exists, and `up`, `render` and Tilt
 * apply them with postgres (as `kubectl apply -f k8s/redis.yaml` would). A
 * dependency elsewhere (another namespace, outside the cluster) is waited
 * for, never deployed.
 */
import { existsSync } from 'node:fs';
import type { Config } from '../../config/types.js';
import { readTarget } from '../../config/wait-target.js';
import { ManifestFile, type Manifest, manifestPath, readManifests } from './manifests.js';

/** Manifest files schemagate reads for their own purpose: never a dependency's. */
const OWN = new Set<string>([...Object.values(ManifestFile), 'rbac.yaml']);

/** The Service name a host means in `namespace`, or undefined when it is not one there. */
function serviceName(host: string, namespace: string): string | undefined {
  const parts = host.toLowerCase().split('.');
  const [name, ...rest] = parts;
  if (!name || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) return undefined;
  const suffix = rest.join('.');
  return ['', namespace, `${namespace}.svc`, `${namespace}.svc.cluster.local`].includes(suffix) ? name : undefined;
}

export interface DependencyManifests {
  /** The Service name, which is also the file's name (`k8s/<name>.yaml`) and Tilt's resource for it. */
  name: string;
  objects: Manifest[];
}

/** Each dependency's own manifest, once per Service, in `backend.dependencies` order. */
export function dependencyManifests(config: Config, namespace = config.kubernetes.namespace): DependencyManifests[] {
  const out: DependencyManifests[] = [];
  for (const d of config.backend.dependencies) {
    const t = readTarget(d.url);
    if ('problem' in t) continue;
    const name = serviceName(t.host, namespace);
    if (!name || out.some((m) => m.name === name)) continue;
    const file = `${name}.yaml`;
    // postgres.yaml, backend.yaml and the rest are already rendered for what they are.
    if (OWN.has(file)) continue;
    // Any file name of the manifests directory, not only the ones schemagate knows.
    const known = file as ManifestFile;
    const path = manifestPath(config, known);
    if (path === undefined || !existsSync(path)) continue;
    const objects = readManifests(config, known, namespace);
    if (objects.length > 0) out.push({ name, objects });
  }
  return out;
}
