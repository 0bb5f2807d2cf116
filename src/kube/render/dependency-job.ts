/**
 * A one-off Job that runs what the backend's init container runs
 * (`schemagate wait` on `backend.dependencies`), from inside the cluster,
 * where the Service names resolve: how `check --cluster` learns whether
 * each dependency answers without reaching into the cluster itself. Its pod
 * is the backend pod's init container as rendered (image, Secret variables,
 * resources, security) with the backend's pod security context, a short
 * deadline and `--json`; one attempt, deleted by its TTL if the runner
 * could not delete it.
 */
import type { V1Container, V1Job } from '@kubernetes/client-node';
import type { Config } from '../../config/types.js';
import { renderBackend } from './backend.js';
import { DEPENDENCIES_INIT_CONTAINER } from './dependency-init.js';
import { contentHash } from './hash.js';
import { Label } from './labels.js';

/** How long the check gives every dependency: it asks whether they answer now, not whether they will. */
export const DEPENDENCY_CHECK_TIMEOUT = '10s';

export interface DependencyJobInputs {
  /** @default config.kubernetes.image */
  image?: string;
  /** @default config.kubernetes.namespace */
  namespace?: string;
  /** Makes each run a new Job. */
  nonce: string;
}

/** The `wait` args with the check's own deadline and `--json`. */
function checkArgs(args: readonly string[]): string[] {
  const targets = args.filter((a, i) => i > 0 && a !== '--timeout' && args[i - 1] !== '--timeout');
  return ['wait', '--json', '--timeout', DEPENDENCY_CHECK_TIMEOUT, ...targets];
}

/** The Job, or undefined when the backend has no dependencies (or its manifest no such init container). */
export function renderDependencyJob(config: Config, inputs: DependencyJobInputs): V1Job | undefined {
  const namespace = inputs.namespace ?? config.kubernetes.namespace;
  const pod = renderBackend(config, {
    namespace,
    ...(inputs.image === undefined ? {} : { image: inputs.image }),
  }).deployment.spec?.template.spec;
  const init = pod?.initContainers?.find((c) => c.name === DEPENDENCIES_INIT_CONTAINER);
  if (!pod || !init) return undefined;
  const container: V1Container = { ...structuredClone(init), args: checkArgs(init.args ?? []) };
  const hash = contentHash([inputs.nonce, JSON.stringify(container)]);
  const labels = {
    [Label.name]: 'schemagate',
    [Label.component]: 'dependencies',
    [Label.managedBy]: 'schemagate',
    [Label.job]: 'dependencies',
    [Label.hash]: hash,
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `schemagate-dependencies-${hash}`, namespace, labels },
    spec: {
      backoffLimit: 0,
      // No activeDeadlineSeconds: `wait` ends by its own deadline, and the runner's wait bounds the rest.
      ttlSecondsAfterFinished: 300,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          containers: [container],
          ...(pod.securityContext ? { securityContext: structuredClone(pod.securityContext) } : {}),
          ...(pod.serviceAccountName ? { serviceAccountName: pod.serviceAccountName } : {}),
          ...(pod.imagePullSecrets ? { imagePullSecrets: structuredClone(pod.imagePullSecrets) } : {}),
        },
      },
    },
  };
}
