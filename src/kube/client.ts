/**
 * Connecting to a cluster: find the kubeconfig, pick the context, load
 * `@kubernetes/client-node`, and make sure the API server answers before
 * anyone says "connected".
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, SchemagateError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { ClientNodeApi } from './client-node-api.js';
import type { KubeApi } from './api.js';

/**
 * The Kubernetes client, loaded only when a cluster command runs:
 * @kubernetes/client-node costs ~0.6 s to import, and the engine (run in
 * pods) must never pay for it.
 */
export type K8s = typeof import('@kubernetes/client-node');

/**
 * `npm run build` also bundles client-node into one file (dist/vendor): the
 * same code, loaded in about half the time (~0.22 s instead of ~0.48 s, most of
 * it the ESM loader resolving hundreds of files). Without it (the container
 * image, tests run from source), the package itself. `../../vendor` is the
 * same folder from dist/src/kube/ and from the CLI bundle's dist/src/chunks/
 * (test/integration/loads.test.ts runs a cluster command from the bundle).
 */
export async function loadK8s(): Promise<K8s> {
  const bundle = new URL('../../vendor/client-node.js', import.meta.url);
  if (existsSync(fileURLToPath(bundle))) return (await import(bundle.href)) as K8s;
  return import('@kubernetes/client-node');
}

export interface ConnectOptions {
  /** @default the kubeconfig's current context */
  context?: string | undefined;
  namespace: string;
  /** A kubeconfig file. @default `$KUBECONFIG` (its files merged), else `~/.kube/config`, else the pod's service account */
  kubeconfig?: string | undefined;
  /** Where KUBECONFIG, HOME and KUBERNETES_SERVICE_HOST are read. @default process.env */
  env?: NodeJS.ProcessEnv;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** The kubeconfig files to read, as kubectl finds them; `[]` for in-cluster. Fails naming what was looked for. */
export function kubeconfigFiles(opts: Pick<ConnectOptions, 'kubeconfig' | 'env'>): string[] {
  const env = opts.env ?? process.env;
  if (opts.kubeconfig) {
    if (existsSync(opts.kubeconfig)) return [opts.kubeconfig];
    throw noKubeconfig(`the kubeconfig ${opts.kubeconfig} does not exist`);
  }
  const listed = (env['KUBECONFIG'] ?? '').split(delimiter).filter((p) => p !== '');
  if (listed.length > 0) {
    // kubectl skips files of KUBECONFIG that do not exist; so do we, unless none does.
    const found = listed.filter((p) => existsSync(p));
    if (found.length > 0) return found;
    throw noKubeconfig(
      `KUBECONFIG names ${listed.join(', ')}, and ${listed.length === 1 ? 'it does' : 'none of them does'} not exist`,
    );
  }
  const home = join(env['HOME'] ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return [home];
  if (env['KUBERNETES_SERVICE_HOST'] && existsSync(SERVICE_ACCOUNT_TOKEN)) return [];
  throw noKubeconfig(`KUBECONFIG is not set and ${home} does not exist`);
}

function noKubeconfig(why: string): SchemagateError {
  return new SchemagateError('kube.no-config', `no cluster configured: ${why}`, {
    exitCode: ExitCode.config,
    hint: 'Create a local cluster (kind create cluster --config kind-config.yaml) or point KUBECONFIG at a kubeconfig. Without a cluster, the same pipeline runs on an embedded PostgreSQL: add --local.',
  });
}

/**
 * Reads the kubeconfig, selects the context and asks the API server for its
 * version, so that a caller reports "connected" only once the cluster
 * answered. Tokens and passwords of the kubeconfig never reach the output.
 */
export async function connectApi(opts: ConnectOptions): Promise<{ api: KubeApi; serverVersion: string }> {
  const files = kubeconfigFiles(opts);
  const k8s = await loadK8s();
  const kc = new k8s.KubeConfig();
  try {
    if (files.length === 0) kc.loadFromCluster();
    for (const [i, file] of files.entries()) {
      if (i === 0) kc.loadFromFile(file);
      else {
        const more = new k8s.KubeConfig();
        more.loadFromFile(file);
        kc.mergeConfig(more, true);
      }
    }
  } catch (e) {
    throw new SchemagateError(
      'kube.config',
      `could not read the kubeconfig ${files.join(', ') || '(in-cluster)'}: ${e instanceof Error ? e.message : String(e)}`,
      {
        exitCode: ExitCode.config,
        hint: 'Point KUBECONFIG at a valid kubeconfig (kind writes one with `kind create cluster`).',
        cause: e,
      },
    );
  }
  for (const u of kc.getUsers()) {
    registerSecret(u.token);
    registerSecret(u.password);
  }
  const contexts = kc.getContexts().map((c) => c.name);
  const context = opts.context ?? kc.getCurrentContext();
  if (!context || !contexts.includes(context)) {
    throw new SchemagateError(
      'kube.context',
      context
        ? `kubeconfig ${files.join(', ')} has no context "${context}"`
        : `kubeconfig ${files.join(', ')} has no current context`,
      {
        exitCode: ExitCode.config,
        hint: contexts.length
          ? `Known contexts: ${contexts.join(', ')}. Pass --context or set kubernetes.context.`
          : 'Create a cluster first: kind create cluster --config kind-config.yaml',
      },
    );
  }
  kc.setCurrentContext(context);
  const api = new ClientNodeApi(k8s, kc, context, opts.namespace);
  const serverVersion = await api.serverVersion();
  return { api, serverVersion };
}
