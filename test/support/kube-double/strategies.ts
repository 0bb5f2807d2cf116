/**
 * What the API server does with an object of each type on a write, besides
 * storing it: the registry strategy of pkg/registry/<group>/<type>/strategy.go
 * (the status a new object starts with, defaults, validation, admission, and
 * what a DELETE waits for), as far as the double imitates it.
 */
import { admitPod } from './admission/admit.js';
import { defaults, prepareForCreate } from './defaults.js';
import { namespaceHeld, namespaceTerminating, podGracePeriod } from './graceful.js';
import type { Strategy } from './resources.js';
import type * as T from './types.js';
import { kindCauses } from './validation.js';

export const strategies = {
  namespaces: {
    prepareForCreate: prepareForCreate.namespaces,
    defaults: defaults.namespaces,
    holdsDeletion: namespaceHeld,
    markDeleting: namespaceTerminating,
  } satisfies Strategy<T.Namespace>,
  pods: {
    prepareForCreate: prepareForCreate.pods,
    defaults: defaults.pods,
    validate: kindCauses.pods,
    admit: admitPod,
    gracePeriod: podGracePeriod,
  } satisfies Strategy<T.Pod>,
  configmaps: { validate: kindCauses.configmaps } satisfies Strategy<T.ConfigMap>,
  secrets: { defaults: defaults.secrets } satisfies Strategy<T.Secret>,
  services: {
    prepareForCreate: prepareForCreate.services,
    defaults: defaults.services,
  } satisfies Strategy<T.Service>,
  resourcequotas: { prepareForCreate: prepareForCreate.resourcequotas } satisfies Strategy<T.ResourceQuota>,
  jobs: {
    prepareForCreate: prepareForCreate.workloads,
    defaults: defaults.jobs,
    validate: kindCauses.jobs,
  } satisfies Strategy<T.Job>,
  deployments: {
    prepareForCreate: prepareForCreate.workloads,
    defaults: defaults.deployments,
    validate: kindCauses.workloads,
  } satisfies Strategy<T.Deployment>,
  replicasets: {
    prepareForCreate: prepareForCreate.workloads,
    defaults: defaults.replicated,
    validate: kindCauses.workloads,
  } satisfies Strategy<T.ReplicaSet>,
  statefulsets: {
    prepareForCreate: prepareForCreate.workloads,
    defaults: defaults.replicated,
    validate: kindCauses.workloads,
  } satisfies Strategy<T.StatefulSet>,
};
