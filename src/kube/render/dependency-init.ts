/**
 * The backend's init container `wait-for-dependencies`: `schemagate wait`
 * on `backend.dependencies`, with the deadline `backend.waitTimeout`, run
 * before `db wait`, so the application starts only once everything it needs
 * answers. Passwords reach it only as variables set from Secret keys.
 */
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import type { Config } from '../../config/types.js';
import { dependencyWait } from '../../config/dependency-wait.js';
import { MANIFEST_IMAGE, restrictedContainer, setEnv, useImage } from './container.js';

/** The name of the init container that waits for `backend.dependencies`. */
export const DEPENDENCIES_INIT_CONTAINER = 'wait-for-dependencies';

/** What the manifest's `db wait` container would get, when the manifest has none to copy from. */
const DEFAULT_RESOURCES = { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } };

/** Whether a container is schemagate's `db wait` (by what it runs, whatever its name; its image is replaced by now). */
function isDbWait(c: V1Container, image: string): boolean {
  const ours = c.image === image || c.image === MANIFEST_IMAGE || c.name === 'wait-for-db';
  return ours && c.args?.[0] === 'db' && c.args[1] === 'wait';
}

function dependencyContainer(config: Config, image: string, like: V1Container | undefined): V1Container | undefined {
  const wait = dependencyWait(config);
  if (!wait) return undefined;
  const c: V1Container = { name: DEPENDENCIES_INIT_CONTAINER, args: wait.args };
  useImage(c, image, config.kubernetes);
  if (wait.env.length > 0) {
    c.env = wait.env.map((e) => ({
      name: e.name,
      valueFrom: { secretKeyRef: { name: e.secret.name, key: e.secret.key } },
    }));
  }
  // The same footprint and restrictions as its neighbour `db wait`: both only connect and wait.
  c.resources = structuredClone(like?.resources ?? DEFAULT_RESOURCES);
  c.securityContext = structuredClone(like?.securityContext ?? restrictedContainer());
  return c;
}

/**
 * Puts `wait-for-dependencies` right before `db wait` (else after the
 * migrating init container, else first), replacing one of that name the
 * manifest may have. Without dependencies the manifest is left as written.
 */
export function placeDependencyWait(config: Config, pod: V1PodSpec, image: string, firstAfter?: string): void {
  const others = (pod.initContainers ?? []).filter((c) => c.name !== DEPENDENCIES_INIT_CONTAINER);
  const dbWait = others.findIndex((c) => isDbWait(c, image));
  const container = dependencyContainer(config, image, others[dbWait]);
  if (!container) return;
  const after = firstAfter === undefined ? -1 : others.findIndex((c) => c.name === firstAfter);
  const at = dbWait >= 0 ? dbWait : after + 1;
  others.splice(at, 0, container);
  pod.initContainers = others;
  // schemagate's own backend reports the dependencies on /health: it reads the same passwords.
  for (const c of pod.containers) {
    if (c.image !== image || c.args?.[0] !== 'backend') continue;
    for (const e of container.env ?? []) setEnv(c, e);
  }
}
