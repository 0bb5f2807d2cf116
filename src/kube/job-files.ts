/**
 * The ConfigMaps a Job mounts (`source: configMap`): created before the Job,
 * so its first pod finds them, then owned by the Job, so that the garbage
 * collector deletes them with it (its TTL, or a replacement). Content-named
 * and immutable: the same name always holds the same files, and Jobs that
 * read the same files share one, which goes with the last of its owners.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/owners-dependents/
 */
import type { V1ConfigMap, V1Job, V1OwnerReference } from '@kubernetes/client-node';
import type { KubeApi } from './api.js';
import { hasStatus } from './errors.js';
import { type EnsuredJob, ensureJob, type SubmittedJob } from './jobs.js';
import type { Timers } from './job-wait.js';

function nameOf(cm: V1ConfigMap): string {
  return cm.metadata?.name ?? '';
}

/** Creates each ConfigMap that is not there yet (one that is holds the same files: its name is its content). */
export async function createConfigMaps(api: KubeApi, configMaps: readonly V1ConfigMap[]): Promise<void> {
  for (const cm of configMaps) {
    try {
      await api.createConfigMap(cm);
    } catch (e) {
      if (!hasStatus(e, 409)) throw e;
    }
  }
}

/** A reference that makes the Job an owner among others: not the controller, and not holding up its deletion. */
export function ownerReference(job: SubmittedJob): V1OwnerReference {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    name: job.metadata.name,
    uid: job.metadata.uid ?? '',
    controller: false,
    blockOwnerDeletion: false,
  };
}

/**
 * Adds the Job to the owners of each ConfigMap (a strategic merge: the list
 * merges by uid, other owners stay). A ConfigMap that the garbage collector
 * took meanwhile (its last owner went just now) is created again, owned.
 */
export async function ownConfigMaps(
  api: KubeApi,
  configMaps: readonly V1ConfigMap[],
  job: SubmittedJob,
): Promise<void> {
  const ref = ownerReference(job);
  for (const cm of configMaps) {
    const name = nameOf(cm);
    try {
      await api.patchConfigMap(name, { metadata: { ownerReferences: [ref] } });
      continue;
    } catch (e) {
      if (!hasStatus(e, 404)) throw e;
    }
    try {
      await api.createConfigMap({ ...cm, metadata: { ...cm.metadata, ownerReferences: [ref] } });
    } catch (e) {
      // Created by a concurrent run in between: own that one.
      if (!hasStatus(e, 409)) throw e;
      await api.patchConfigMap(name, { metadata: { ownerReferences: [ref] } });
    }
  }
}

/**
 * Takes `job` off the owners of each ConfigMap (a strategic merge `$patch:
 * delete` by uid), so that deleting it leaves them in place. Without this, a
 * replaced Job's last ConfigMap would go with it while its replacement's pod
 * waits to mount it (FailedMount, retried with a back-off of up to 2 minutes).
 */
export async function disownConfigMaps(
  api: KubeApi,
  configMaps: readonly V1ConfigMap[],
  job: SubmittedJob,
): Promise<void> {
  const uid = job.metadata.uid;
  if (uid === undefined) return;
  for (const cm of configMaps) {
    try {
      await api.patchConfigMap(nameOf(cm), { metadata: { ownerReferences: [{ uid, $patch: 'delete' }] } });
    } catch (e) {
      if (!hasStatus(e, 404)) throw e;
    }
  }
}

/**
 * Submits a Job with the ConfigMaps it mounts: created first, so its first pod
 * finds them; kept when an old Job of the same name is replaced; owned by the
 * Job after, so they go with it.
 */
export async function ensureJobWithFiles(
  api: KubeApi,
  timers: Timers,
  job: V1Job,
  signal: AbortSignal,
  opts: { replaceComplete?: boolean; configMaps?: readonly V1ConfigMap[] },
): Promise<EnsuredJob> {
  const configMaps = opts.configMaps ?? [];
  await createConfigMaps(api, configMaps);
  const ensured = await ensureJob(api, timers, job, signal, {
    ...(opts.replaceComplete !== undefined ? { replaceComplete: opts.replaceComplete } : {}),
    beforeReplace: (old) => disownConfigMaps(api, configMaps, old),
  });
  await ownConfigMaps(api, configMaps, ensured.job);
  return ensured;
}
