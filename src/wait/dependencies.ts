/**
 * `backend.dependencies` turned into `schemagate wait` targets as `backend
 * --local` waits on them from this machine (the cluster's init container is
 * config/dependency-wait.ts). Pure: nothing is read or connected here.
 */
import type { Dependency } from '../config/types.js';
import { withPasswordEnv } from '../config/dependency-wait.js';

export { dependencyWait, type DependencyWait, type SecretEnv } from '../config/dependency-wait.js';

/** The targets `backend --local` waits on: each dependency's `local` (default: its url), except `local: false`. */
export function localTargets(dependencies: readonly Dependency[]): string[] {
  return dependencies.flatMap((d) => {
    if (d.local === false) return [];
    // A `local` URL of its own is complete: its server may have another password, or none.
    return [d.local === d.url ? withPasswordEnv(d.url, d) : d.local];
  });
}
