import * as k8s from '@kubernetes/client-node';
import type { TestCluster } from './cluster.js';
import { hasStatus } from '../../src/kube/errors.js';

/** `undefined` for a 404 (the object is not there); any other failure is the test's. */
const absent = (e: unknown): undefined => {
  if (hasStatus(e, 404)) return undefined;
  throw e;
};

/** Read-only views of the test cluster for assertions, through the real client (double or real cluster alike). */
export function kube(cluster: TestCluster, kubeconfig = cluster.kubeconfigPath) {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  kc.setCurrentContext(cluster.context);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const namespace = cluster.namespace;
  return {
    core,
    batch,
    apps,
    jobs: async (labelSelector?: string) =>
      (await batch.listNamespacedJob({ namespace, ...(labelSelector ? { labelSelector } : {}) })).items,
    pods: async (labelSelector?: string) =>
      (await core.listNamespacedPod({ namespace, ...(labelSelector ? { labelSelector } : {}) })).items,
    deployment: async (name: string) => apps.readNamespacedDeployment({ name, namespace }).catch(absent),
  };
}

/** The same cluster with a namespace of its own: Jobs are named by content, so tests must not share one. */
export async function freshNamespace(cluster: TestCluster, prefix = 'e2e'): Promise<TestCluster> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  kc.setCurrentContext(cluster.context);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespace = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  await core.createNamespace({
    body: { metadata: { name: namespace, labels: { 'app.kubernetes.io/created-by': 'schemagate-e2e' } } },
  });
  return {
    ...cluster,
    namespace,
    close: async () => {
      await core.deleteNamespace({ name: namespace }).catch(absent);
    },
  };
}

/** `kubectl apply -f FILE` for a test's own manifests (e.g. the Secrets a Job reads). */
export async function applyFile(cluster: TestCluster, file: string): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  kc.setCurrentContext(cluster.context);
  const api = k8s.KubernetesObjectApi.makeApiClient(kc);
  for (const obj of k8s.loadAllYaml(readFileSync(file, 'utf8')) as k8s.KubernetesObject[]) {
    obj.metadata = { ...obj.metadata, namespace: cluster.namespace };
    await api.create(obj);
  }
}

/** What a watch has seen so far, and a way to wait for what it has not seen yet. */
export interface Watching<T> {
  readonly events: readonly { type: string; object: T }[];
  /** Resolves with the first object (seen before or after the call) for which `until` holds. */
  until(until: (type: string, object: T) => boolean, what: string, timeoutMs?: number): Promise<T>;
  stop(): void;
}

/**
 * Watches a collection (e.g. `/api/v1/namespaces/ns/pods`) and records every
 * event. Without a resourceVersion a watch starts with an ADDED event for each
 * object already there, so a state reached before the call is seen too.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#semantics-for-watch
 */
export async function watchCollection<T extends k8s.KubernetesObject>(
  cluster: TestCluster,
  path: string,
): Promise<Watching<T>> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  kc.setCurrentContext(cluster.context);
  const events: { type: string; object: T }[] = [];
  const waiters = new Set<(e: { type: string; object: T }) => void>();
  let ended: Error | undefined;
  const enders = new Set<(e: Error) => void>();
  const controller = await new k8s.Watch(kc).watch(
    path,
    {},
    (type: string, object: T) => {
      const e = { type, object };
      events.push(e);
      for (const w of waiters) w(e);
    },
    (err: unknown) => {
      const why =
        err === undefined || err === null ? 'closed' : err instanceof Error ? String(err) : JSON.stringify(err);
      ended = new Error(`the watch on ${path} ended: ${why}`);
      for (const f of enders) f(ended);
    },
  );
  return {
    events,
    until(until, what, timeoutMs = 60_000) {
      const seen = events.find((e) => until(e.type, e.object));
      if (seen) return Promise.resolve(seen.object);
      if (ended) return Promise.reject(ended);
      return new Promise<T>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
          enders.delete(reject);
        };
        const waiter = (e: { type: string; object: T }) => {
          if (!until(e.type, e.object)) return;
          done();
          resolve(e.object);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        waiters.add(waiter);
        enders.add(reject);
      });
    },
    stop: () => controller.abort(),
  };
}
