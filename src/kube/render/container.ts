/**
 * Pieces of the containers schemagate fills in: the image, the database URL
 * taken from a Secret (as `database.urlEnv`), resources from the config, and the security context of
 * a container it adds itself.
 */
import type { V1Container, V1EnvVar, V1ResourceRequirements, V1SecurityContext } from '@kubernetes/client-node';
import type { KubernetesConfig, Resources, SecretRef } from '../../config/types.js';

/**
 * The image the manifests under `k8s/` name for schemagate's own containers.
 * Rendering replaces it with the image it is given (`--image`, Tilt's build,
 * or `kubernetes.image`); containers with any other image are left alone.
 */
export const MANIFEST_IMAGE = 'schemagate:dev';

/** The variable the database URL is read from by default (`database.urlEnv`), and the Secret key that holds it. */
export const DATABASE_URL = 'DATABASE_URL';

/** Requests and limits as the API takes them, leaving out what the config leaves unset. */
export function resourcesFrom(r: Resources): V1ResourceRequirements {
  const pick = (q: { cpu?: string; memory?: string }): Record<string, string> => {
    const out: Record<string, string> = {};
    if (q.cpu !== undefined) out['cpu'] = q.cpu;
    if (q.memory !== undefined) out['memory'] = q.memory;
    return out;
  };
  const requests = pick(r.requests);
  const limits = pick(r.limits);
  return {
    ...(Object.keys(requests).length > 0 ? { requests } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
}

/** The database URL from a Secret, as variable `name`: a reference only, the value never appears in a manifest. */
export function databaseUrlFrom(name: string, secret: SecretRef): V1EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret.name, key: secret.key } } };
}

/** Whether an entry is the database URL read from a Secret, under the default name or `urlEnv`. */
function isDatabaseUrl(e: V1EnvVar, urlEnv: string): boolean {
  return (e.name === DATABASE_URL || e.name === urlEnv) && e.valueFrom?.secretKeyRef !== undefined;
}

/**
 * Gives a container of schemagate's image its database URL from `secret`
 * under the variable the CLI reads (`database.urlEnv`). The manifest's own
 * entry (`DATABASE_URL` or `urlEnv` from a Secret) is replaced where it
 * stands, so the container never has two URLs.
 */
export function setDatabaseUrl(container: V1Container, urlEnv: string, secret: SecretRef): void {
  const env = container.env ?? [];
  const at = env.findIndex((e) => isDatabaseUrl(e, urlEnv));
  const rest = env.filter((e) => !isDatabaseUrl(e, urlEnv) && e.name !== urlEnv);
  const variable = databaseUrlFrom(urlEnv, secret);
  if (at >= 0) rest.splice(Math.min(at, rest.length), 0, variable);
  else rest.push(variable);
  container.env = rest;
}

/**
 * Points another image's container (the application's) at `secret` for the
 * database URL it reads from a Secret, keeping the variable's name: that
 * program, not schemagate, decides which variable it reads.
 */
export function repointDatabaseUrl(container: V1Container, urlEnv: string, secret: SecretRef): void {
  for (const e of container.env ?? [])
    if (isDatabaseUrl(e, urlEnv)) e.valueFrom = { secretKeyRef: { name: secret.name, key: secret.key } };
}

/** Sets a variable, replacing one of the same name in place (its position is kept). */
export function setEnv(container: V1Container, variable: V1EnvVar): void {
  const env = container.env ?? [];
  const at = env.findIndex((e) => e.name === variable.name);
  if (at >= 0) env[at] = variable;
  else env.push(variable);
  container.env = env;
}

/** Points a container at schemagate's image, with the configured pull policy. */
export function useImage(container: V1Container, image: string, k: KubernetesConfig): void {
  container.image = image;
  container.imagePullPolicy = k.imagePullPolicy;
}

/** The container security context of the Jobs' containers under `k8s/jobs/`, for containers schemagate adds. */
export function restrictedContainer(): V1SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  };
}
