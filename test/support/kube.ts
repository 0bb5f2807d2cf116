import * as k8s from '@kubernetes/client-node';
import type { TestCluster } from './cluster.js';

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
    deployment: async (name: string) => apps.readNamespacedDeployment({ name, namespace }).catch(() => undefined),
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
    close: async () => void (await core.deleteNamespace({ name: namespace }).catch(() => undefined)),
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
