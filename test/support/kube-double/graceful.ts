/**
 * What a DELETE waits for, by type: a pod running on the node goes only
 * after its grace period (CheckGracefulDelete in pkg/registry/core/pod/strategy.go),
 * and a namespace lingers, Terminating, while its spec.finalizers remain
 * (the namespace controller empties it, then finalizes it).
 * https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
 */
import type { Namespace, Pod } from './types.js';

/** A pod that runs on the (only) node is deleted gracefully; a finished or unscheduled one at once. */
export function podGracePeriod(pod: Pod, requested: number | undefined): number {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed' || !pod.spec.nodeName) return 0;
  return requested ?? pod.spec.terminationGracePeriodSeconds ?? 30;
}

export function namespaceHeld(ns: Namespace): boolean {
  return (ns.spec?.finalizers ?? []).length > 0;
}

export function namespaceTerminating(ns: Namespace): void {
  ns.status = { ...(ns.status ?? {}), phase: 'Terminating' };
}
