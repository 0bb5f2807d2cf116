import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExitCode, SchemagateError } from '../errors.js';
import { registerSecret } from '../redact.js';

/**
 * The Kubernetes client, loaded only when a cluster command runs:
 * @kubernetes/client-node costs ~0.6 s to import, and the engine (run in
 * pods) must never pay for it.
 */
export type K8s = typeof import('@kubernetes/client-node');

export interface Cluster {
  k8s: K8s;
  kc: import('@kubernetes/client-node').KubeConfig;
  context: string;
  namespace: string;
  core: import('@kubernetes/client-node').CoreV1Api;
  batch: import('@kubernetes/client-node').BatchV1Api;
  apps: import('@kubernetes/client-node').AppsV1Api;
}

/**
 * `npm run build` also bundles client-node into one file (dist/vendor): the
 * same code, loaded in about half the time (~0.22 s instead of ~0.48 s, most of
 * it the ESM loader resolving hundreds of files). Without it (the container
 * image, tests run from source), the package itself.
 */
export async function loadK8s(): Promise<K8s> {
  const bundle = new URL('../../vendor/client-node.js', import.meta.url);
  if (existsSync(fileURLToPath(bundle))) return (await import(bundle.href)) as K8s;
  return import('@kubernetes/client-node');
}

export async function connectCluster(opts: {
  context?: string | undefined;
  namespace: string;
  kubeconfig?: string | undefined;
}): Promise<Cluster> {
  const k8s = await loadK8s();
  const kc = new k8s.KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (e) {
    throw new SchemagateError('kube.config', `could not read the kubeconfig: ${(e as Error).message}`, {
      exitCode: ExitCode.config,
      hint: 'Point KUBECONFIG at a valid kubeconfig (kind writes one with `kind create cluster`).',
      cause: e,
    });
  }
  const contexts = kc.getContexts().map((c) => c.name);
  const context = opts.context ?? kc.getCurrentContext();
  if (!context || !contexts.includes(context)) {
    throw new SchemagateError(
      'kube.context',
      context ? `kubeconfig has no context "${context}"` : 'kubeconfig has no current context',
      {
        exitCode: ExitCode.config,
        hint: contexts.length
          ? `Known contexts: ${contexts.join(', ')}. Pass --context or set kubernetes.context.`
          : 'Create a cluster first: kind create cluster --config kind-config.yaml',
      },
    );
  }
  kc.setCurrentContext(context);
  // Tokens and passwords of the kubeconfig never reach our output.
  for (const u of kc.getUsers()) {
    registerSecret(u.token);
    registerSecret(u.password);
  }
  return {
    k8s,
    kc,
    context,
    namespace: opts.namespace,
    core: kc.makeApiClient(k8s.CoreV1Api),
    batch: kc.makeApiClient(k8s.BatchV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
  };
}

/** The HTTP status of a client-node ApiException, if it is one. */
export function httpStatus(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Turns a failed API call into an error that names the object and the cluster. */
export function apiError(e: unknown, what: string, cluster: Pick<Cluster, 'context'>): SchemagateError {
  const status = httpStatus(e);
  const body = (e as { body?: unknown }).body;
  let reason = (e as Error).message ?? String(e);
  try {
    const parsed = typeof body === 'string' ? JSON.parse(body) : body;
    if (parsed && typeof parsed === 'object' && 'message' in parsed)
      reason = String((parsed as { message: unknown }).message);
  } catch {
    // keep the client's message
  }
  if (status === undefined && /ECONNREFUSED|ENOTFOUND|fetch failed|connect/i.test(reason)) {
    return new SchemagateError(
      'kube.unreachable',
      `could not reach the Kubernetes API of context "${cluster.context}" while trying to ${what}: ${reason}`,
      {
        exitCode: ExitCode.cluster,
        hint: 'Is the cluster running? `kubectl cluster-info` tells; for kind: `kind create cluster --config kind-config.yaml`.',
        cause: e,
      },
    );
  }
  return new SchemagateError(
    'kube.api',
    `Kubernetes refused to ${what}${status ? ` (HTTP ${status})` : ''}: ${reason}`,
    {
      exitCode: status === 403 ? ExitCode.refused : ExitCode.cluster,
      ...(status === 403
        ? { hint: 'The kubeconfig user lacks RBAC permission for this; ask for it, or use another context.' }
        : {}),
      cause: e,
    },
  );
}
