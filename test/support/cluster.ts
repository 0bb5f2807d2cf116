/**
 * The cluster an end-to-end test runs against: the Kubernetes API double by
 * default, or a real cluster when SCHEMAGATE_E2E_REAL=1 (then KUBECONFIG, or
 * ~/.kube/config, and its current context, or SCHEMAGATE_E2E_CONTEXT).
 * Either way the test gets a fresh namespace, removed again by close().
 *
 * A real cluster is opt-in on purpose: a developer's shell usually has
 * KUBECONFIG set, and tests must never land on it by accident.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { parse } from 'yaml';
import { fileURLToPath } from 'node:url';
import { startKubeDouble, type ImageConfig, type KubeDouble, type NodeCapacity } from './kube-double/index.js';

export interface TestClusterOptions {
  /** Prefix of the namespace created for the test file. @default "e2e" */
  namespacePrefix?: string;
  /** The double's time scale (ignored on a real cluster). @default 0.01 */
  timeScale?: number;
  /** Images the double cannot pull (ignored on a real cluster). */
  absentImages?: string[];
  /** Images the double can pull, all others absent (ignored on a real cluster). */
  presentImages?: string[];
  /** ENTRYPOINT/CMD/WORKDIR of the double's images (ignored on a real cluster). @default schemagate's images run the built CLI */
  images?: Record<string, ImageConfig>;
  /** What the double's node offers the scheduler (ignored on a real cluster). @default 8 cpu, 16Gi, 110 pods */
  node?: NodeCapacity;
  /** Images only on the double's node, as `kind load` puts them (ignored on a real cluster). */
  loadedImages?: string[];
  /** Images the double runs as a local PostgreSQL (ignored on a real cluster). */
  postgresImages?: string[];
  /** Images the double runs as a local redis-server (ignored on a real cluster). */
  redisImages?: string[];
}

/**
 * On the double, schemagate's image (`schemagate:*`) runs the CLI built in
 * this checkout, as the real image's ENTRYPOINT runs the CLI in /app.
 */
export function schemagateImage(workingDir?: string): ImageConfig {
  const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'src', 'cli.js');
  return { entrypoint: [process.execPath, cli], ...(workingDir ? { workingDir } : {}) };
}

export interface TestCluster {
  kubeconfigPath: string;
  context: string;
  namespace: string;
  isDouble: boolean;
  /** Set when running against the double: inspect objects, drop watches, compact. */
  double?: KubeDouble;
  /** Deletes the namespace (real cluster) or stops the double. */
  close(): Promise<void>;
}

/** For afterAll: closes the cluster when beforeAll got as far as starting it (a failed start leaves it unset). */
export async function closeIfStarted(cluster: TestCluster | undefined): Promise<void> {
  await cluster?.close();
}

function namespaceName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

export async function testCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const namespace = namespaceName(opts.namespacePrefix ?? 'e2e');
  if (process.env['SCHEMAGATE_E2E_REAL'] === '1') return realCluster(namespace);
  const double = await startKubeDouble({
    timeScale: opts.timeScale ?? 0.01,
    ...(opts.absentImages ? { absentImages: opts.absentImages } : {}),
    ...(opts.presentImages ? { presentImages: opts.presentImages } : {}),
    images: opts.images ?? { 'schemagate:*': schemagateImage() },
    ...(opts.node ? { node: opts.node } : {}),
    ...(opts.loadedImages ? { loadedImages: opts.loadedImages } : {}),
    ...(opts.postgresImages ? { postgresImages: opts.postgresImages } : {}),
    ...(opts.redisImages ? { redisImages: opts.redisImages } : {}),
  });
  const created = await fetch(`${double.server}/api/v1/namespaces`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }),
  });
  if (created.status !== 201)
    throw new Error(`creating namespace ${namespace} on the double: HTTP ${created.status} ${await created.text()}`);
  return {
    kubeconfigPath: double.kubeconfigPath,
    context: double.contextName,
    namespace,
    isDouble: true,
    double,
    close: () => double.close(),
  };
}

async function realCluster(namespace: string): Promise<TestCluster> {
  const kubeconfigPath =
    (process.env['KUBECONFIG'] ?? '').split(delimiter).find((p) => p !== '') ?? join(homedir(), '.kube', 'config');
  const file = parse(readFileSync(kubeconfigPath, 'utf8')) as { 'current-context'?: string };
  const context = process.env['SCHEMAGATE_E2E_CONTEXT'] ?? file['current-context'] ?? '';
  if (!context)
    throw new Error(`SCHEMAGATE_E2E_REAL=1 but ${kubeconfigPath} has no current-context; set SCHEMAGATE_E2E_CONTEXT`);
  // Loaded only for a real cluster: the double must stay free of client-node.
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  kc.setCurrentContext(context);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({
    body: { metadata: { name: namespace, labels: { 'app.kubernetes.io/created-by': 'schemagate-e2e' } } },
  });
  return {
    kubeconfigPath,
    context,
    namespace,
    isDouble: false,
    async close() {
      await core.deleteNamespace({ name: namespace, body: { propagationPolicy: 'Background' } });
    },
  };
}
