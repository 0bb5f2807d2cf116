/**
 * Validating admission of a new pod, as the API server's admission chain
 * runs it after validation and before storage: Pod Security, then
 * ResourceQuota. The first violation is the pod's 403 Forbidden.
 * https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/
 */
import type { Namespace, Pod, ResourceQuota } from '../types.js';
import { podSecurityViolation } from './pod-security.js';
import { quotaViolation } from './resource-quota.js';

/** What admission looks up in the store. */
export interface AdmissionContext {
  namespace(name: string): Namespace | undefined;
  quotas(namespace: string | undefined): ResourceQuota[];
}

/** Why the pod is refused (the text after `is forbidden: `), or undefined. */
export function admitPod(pod: Pod, context: AdmissionContext): string | undefined {
  const ns = context.namespace(pod.metadata.namespace ?? '');
  return podSecurityViolation(ns, pod) ?? quotaViolation(context.quotas(pod.metadata.namespace), pod);
}
