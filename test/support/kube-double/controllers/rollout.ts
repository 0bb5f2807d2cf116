/**
 * Pure parts of the Deployment controller: pod-template-hash, maxSurge /
 * maxUnavailable, and the status it reports.
 * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/
 */
import { canonicalJson } from '../objects.js';
import type { Deployment, PodTemplateSpec, ReplicaSet } from '../types.js';

const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a 32-bit over the template's JSON, encoded like rand.SafeEncodeString. */
export function podTemplateHash(template: unknown): string {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(canonicalJson(template ?? {}), 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return [...String(h)].map((ch) => safeAlphabet[ch.charCodeAt(0) % safeAlphabet.length]).join('');
}

/** The template without the pod-template-hash label, to compare a ReplicaSet's template with a Deployment's. */
export function templateWithoutHash(template: PodTemplateSpec): unknown {
  const t = structuredClone(template);
  if (t.metadata?.labels) delete t.metadata.labels['pod-template-hash'];
  return t;
}

function resolve(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const pct = Number(value.replace('%', '')) / 100;
  return roundUp ? Math.ceil(pct * total) : Math.floor(pct * total);
}

/** maxSurge rounds up, maxUnavailable down; both 0 means maxUnavailable 1. */
export function surgeAndUnavailable(deployment: Deployment): { maxSurge: number; maxUnavailable: number } {
  const spec = deployment.spec;
  if (spec.strategy?.type === 'Recreate') return { maxSurge: 0, maxUnavailable: spec.replicas ?? 1 };
  const ru = spec.strategy?.rollingUpdate ?? {};
  const replicas = spec.replicas ?? 1;
  const maxSurge = resolve(ru.maxSurge ?? '25%', replicas, true);
  let maxUnavailable = resolve(ru.maxUnavailable ?? '25%', replicas, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}

export function specReplicas(rs: ReplicaSet): number {
  return rs.spec.replicas ?? 0;
}

export function statusField(rs: ReplicaSet, field: 'replicas' | 'readyReplicas' | 'availableReplicas'): number {
  return rs.status?.[field] ?? 0;
}

export interface RolloutCounts {
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  unavailableReplicas: number;
}

/** Counts in DeploymentStatus, from its ReplicaSets (deployment controller's calculateStatus). */
export function rolloutCounts(all: ReplicaSet[], newRs: ReplicaSet | undefined): RolloutCounts {
  const sum = (f: (rs: ReplicaSet) => number): number => all.reduce((n, rs) => n + f(rs), 0);
  const available = sum((rs) => statusField(rs, 'availableReplicas'));
  const total = sum(specReplicas);
  return {
    replicas: sum((rs) => statusField(rs, 'replicas')),
    updatedReplicas: newRs ? statusField(newRs, 'replicas') : 0,
    readyReplicas: sum((rs) => statusField(rs, 'readyReplicas')),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
}
