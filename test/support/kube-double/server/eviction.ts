/**
 * The `pods/eviction` subresource (policy/v1 Eviction): the API server puts
 * the `DisruptionTarget` condition (reason `EvictionByEvictionAPI`) on the
 * pod, then deletes it with the eviction's delete options, so a Job's
 * podFailurePolicy can ignore the failure (pkg/registry/core/pod/storage/
 * eviction.go, addConditionAndDeletePod). The double has no
 * PodDisruptionBudgets: an eviction is never refused with 429.
 * https://kubernetes.io/docs/concepts/scheduling-eviction/api-eviction/
 * https://kubernetes.io/docs/concepts/workloads/pods/disruptions/#pod-disruption-conditions
 */
import type { Api, DeleteOptions } from '../api.js';
import { badRequest } from '../errors.js';
import { mustFind } from '../resources.js';
import { decodeBody, int64, list, parseJson, str, struct } from '../schema.js';
import type { Pod } from '../types.js';

/** What the double reads of a policy/v1 Eviction. */
const evictionSchema = struct('Eviction', {
  metadata: struct('ObjectMeta', { name: str }),
  deleteOptions: struct('DeleteOptions', { gracePeriodSeconds: int64, dryRun: list(str) }),
});

export function evict(api: Api, namespace: string, name: string, body: string): object {
  const pods = mustFind('pods');
  const eviction = decodeBody(evictionSchema, parseJson(body || '{}'), 'Eviction');
  if (eviction.metadata?.name !== undefined && eviction.metadata.name !== name)
    throw badRequest(`name in URL does not match name in Eviction object`);
  const pod = api.get(pods, namespace, name);
  const dryRun = (eviction.deleteOptions?.dryRun ?? []).includes('All');
  if (!pod.metadata.deletionTimestamp && !dryRun) {
    const status = pod.status ?? {};
    const conditions = (status.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
    conditions.push({
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'EvictionByEvictionAPI',
      message: 'Eviction API: evicting',
      lastTransitionTime: api.now(),
    });
    const updated: Pod = { ...pod, status: { ...status, conditions } };
    api.update(pods, namespace, name, updated, { subresource: 'status' });
    const opts: DeleteOptions = { dryRun: false };
    if (eviction.deleteOptions?.gracePeriodSeconds !== undefined)
      opts.gracePeriodSeconds = eviction.deleteOptions.gracePeriodSeconds;
    api.delete(pods, namespace, name, opts);
  }
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
}
