/**
 * ResourceQuota admission of pods: when a quota in the namespace limits cpu
 * or memory (requests or limits), every container must say how much it needs,
 * or the pod is rejected:
 *   pods "x" is forbidden: failed quota: q: must specify limits.cpu for: a,b; limits.memory for: a
 * (plugin/pkg/admission/resourcequota/controller.go and
 * pkg/quota/v1/evaluator/core/pods.go, Kubernetes 1.31). Usage is not added
 * up: "exceeded quota" is not modelled.
 * https://kubernetes.io/docs/concepts/policy/resource-quotas/#compute-resource-quota
 */
import type { Container, Pod, ResourceQuota } from '../types.js';

const validationSet = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'];

/** podComputeUsageHelper: which quota resources a container's requests and limits account for. */
function accountedFor(r: Container['resources']): Set<string> {
  const out = new Set<string>();
  for (const res of ['cpu', 'memory']) {
    if (r?.requests?.[res] !== undefined) out.add(res).add(`requests.${res}`);
    if (r?.limits?.[res] !== undefined) out.add(`limits.${res}`);
  }
  return out;
}

/** The violation text after `is forbidden: ` for the first quota the pod fails, or undefined. */
export function quotaViolation(quotas: ResourceQuota[], pod: Pod): string | undefined {
  const all = [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])];
  for (const q of [...quotas].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const required = Object.keys(q.spec?.hard ?? {}).filter((r) => validationSet.includes(r));
    const missing = new Map<string, Set<string>>();
    for (const c of all) {
      const has = accountedFor(c.resources);
      for (const r of required) if (!has.has(r)) (missing.get(r) ?? missing.set(r, new Set()).get(r)!).add(c.name);
    }
    if (missing.size === 0) continue;
    const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
    return `failed quota: ${q.metadata.name}: must specify ${parts.join('; ')}`;
  }
  return undefined;
}
