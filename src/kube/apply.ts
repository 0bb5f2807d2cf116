import type { KubernetesObject, V1Job } from '@kubernetes/client-node';
import { ExitCode, SchemagateError } from '../errors.js';
import { apiError, type Cluster, httpStatus } from './client.js';
import { observe } from './watch.js';

const FIELD_MANAGER = 'schemagate';

function describe(o: KubernetesObject): string {
  return `${(o.kind ?? 'object').toLowerCase()}/${o.metadata?.name ?? '?'}`;
}

/** Server-side apply, as `kubectl apply --server-side --force-conflicts` does. */
export async function applyObject<T extends KubernetesObject>(cluster: Cluster, obj: T): Promise<T> {
  const api = cluster.k8s.KubernetesObjectApi.makeApiClient(cluster.kc);
  try {
    return (await api.patch(
      obj,
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      cluster.k8s.PatchStrategy.ServerSideApply,
    )) as T;
  } catch (e) {
    throw apiError(e, `apply ${describe(obj)} in namespace ${obj.metadata?.namespace ?? cluster.namespace}`, cluster);
  }
}

export async function readJob(cluster: Cluster, name: string): Promise<V1Job | undefined> {
  try {
    return await cluster.batch.readNamespacedJob({ name, namespace: cluster.namespace });
  } catch (e) {
    if (httpStatus(e) === 404) return undefined;
    throw apiError(e, `read job/${name}`, cluster);
  }
}

export function jobState(job: V1Job): 'complete' | 'failed' | 'suspended' | 'running' {
  const has = (t: string) => job.status?.conditions?.some((c) => c.type === t && c.status === 'True');
  if (has('Complete')) return 'complete';
  if (has('Failed')) return 'failed';
  if (job.spec?.suspend) return 'suspended';
  return 'running';
}

/**
 * Deletes a Job with its pods. The propagation policy goes in the body: the
 * batch/v1 default orphans the pods (kubernetes#20902), and client-node sends
 * the query option alone with an empty body that the server ignores
 * (kubernetes-client/javascript#2698). Waits until it is gone (by watching).
 */
export async function deleteJob(
  cluster: Cluster,
  name: string,
  signal: AbortSignal,
  timeoutMs = 60_000,
): Promise<void> {
  try {
    await cluster.batch.deleteNamespacedJob({
      name,
      namespace: cluster.namespace,
      body: { propagationPolicy: 'Background' },
    });
  } catch (e) {
    if (httpStatus(e) === 404) return;
    throw apiError(e, `delete job/${name}`, cluster);
  }
  await waitGone(cluster, name, signal, timeoutMs);
}

async function waitGone(cluster: Cluster, name: string, signal: AbortSignal, timeoutMs: number): Promise<void> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new SchemagateError(
              'job.delete-timeout',
              `job/${name} was still there ${Math.round(timeoutMs / 1000)}s after it was deleted`,
              {
                exitCode: ExitCode.cluster,
                hint: `A finalizer may hold it: kubectl -n ${cluster.namespace} get job ${name} -o yaml`,
                context: { object: `job/${name}` },
              },
            ),
          ),
        timeoutMs,
      );
      void observe<V1Job>({
        cluster,
        path: `/apis/batch/v1/namespaces/${cluster.namespace}/jobs`,
        query: { fieldSelector: `metadata.name=${name}` },
        list: () =>
          cluster.batch.listNamespacedJob({ namespace: cluster.namespace, fieldSelector: `metadata.name=${name}` }),
        onSync: (items) => {
          if (items.length === 0) resolve();
        },
        onEvent: (type) => {
          if (type === 'DELETED') resolve();
        },
        signal: stop.signal,
      }).catch(reject);
    });
  } finally {
    clearTimeout(timer);
    stop.abort();
    signal.removeEventListener('abort', onAbort);
  }
}

export interface EnsuredJob {
  job: V1Job;
  /** created: submitted now; attached: the same content was already there (running, suspended or complete). */
  how: 'created' | 'attached' | 'replaced';
  state: ReturnType<typeof jobState>;
}

/**
 * Submits a Job whose name carries its content hash. The same content is the
 * same Job: a second submit attaches to it (never an "immutable field"
 * error). A failed Job of the same content is replaced: the user fixed
 * something outside it (a Secret, the database) and asks again.
 */
export async function ensureJob(
  cluster: Cluster,
  job: V1Job,
  signal: AbortSignal,
  opts: { replaceComplete?: boolean } = {},
): Promise<EnsuredJob> {
  const name = job.metadata!.name!;
  const create = async (): Promise<V1Job | undefined> => {
    try {
      return await cluster.batch.createNamespacedJob({ namespace: cluster.namespace, body: job });
    } catch (e) {
      if (httpStatus(e) === 409) return undefined;
      throw apiError(e, `create job/${name}`, cluster);
    }
  };
  const made = await create();
  if (made) return { job: made, how: 'created', state: jobState(made) };
  const existing = await readJob(cluster, name);
  if (!existing) {
    // Deleted between our create and read (its TTL): create it again.
    const again = await create();
    if (again) return { job: again, how: 'created', state: jobState(again) };
    throw new SchemagateError('job.race', `job/${name} keeps appearing and disappearing`, {
      exitCode: ExitCode.cluster,
    });
  }
  const state = jobState(existing);
  if (state === 'failed' || (state === 'complete' && opts.replaceComplete)) {
    await deleteJob(cluster, name, signal);
    const fresh = await create();
    if (!fresh)
      throw new SchemagateError('job.race', `job/${name} was created by someone else while it was being replaced`, {
        exitCode: ExitCode.cluster,
      });
    return { job: fresh, how: 'replaced', state: jobState(fresh) };
  }
  return { job: existing, how: 'attached', state };
}

/** Resumes a suspended Job (`spec.suspend: false`). */
export async function resumeJob(cluster: Cluster, name: string): Promise<void> {
  try {
    await cluster.batch.patchNamespacedJob(
      { name, namespace: cluster.namespace, body: { spec: { suspend: false } } },
      cluster.k8s.setHeaderOptions('Content-Type', cluster.k8s.PatchStrategy.MergePatch),
    );
  } catch (e) {
    throw apiError(e, `resume job/${name}`, cluster);
  }
}
