/**
 * A deployer bound to k8s/rbac.yaml, for end-to-end tests that run the CLI
 * with the least rights it documents: the test's admin applies the file in
 * the test's namespace, asks the TokenRequest API for a token of its
 * ServiceAccount (what `kubectl create token` does), and writes a kubeconfig
 * with that token. Works on the double and on a real cluster alike.
 * https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#bound-service-account-token-volume
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { repoRoot } from './cli.js';
import type { TestCluster } from './cluster.js';

export const DEPLOYER = 'schemagate-deployer';

export interface Deployer {
  /** A kubeconfig with the same cluster and context name, authenticated as the ServiceAccount. */
  kubeconfig: string;
  /** `system:serviceaccount:<namespace>:schemagate-deployer` */
  user: string;
}

/** k8s/rbac.yaml's objects, moved into `namespace`. */
export function rbacObjects(namespace: string): k8s.KubernetesObject[] {
  const text = readFileSync(join(repoRoot, 'k8s/rbac.yaml'), 'utf8').replaceAll(
    'namespace: schemagate',
    `namespace: ${namespace}`,
  );
  return k8s.loadAllYaml(text) as k8s.KubernetesObject[];
}

/** @param edit changes k8s/rbac.yaml's objects before they are applied (e.g. a Role missing a rule) */
export async function asDeployer(
  cluster: TestCluster,
  edit: (objects: k8s.KubernetesObject[]) => k8s.KubernetesObject[] = (o) => o,
): Promise<Deployer> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  kc.setCurrentContext(cluster.context);
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  for (const o of edit(rbacObjects(cluster.namespace))) await objects.create(o);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({
    name: DEPLOYER,
    namespace: cluster.namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`no token for serviceaccount/${DEPLOYER} in ${cluster.namespace}`);
  const context = kc.getContextObject(cluster.context);
  const server = kc.getCluster(context?.cluster ?? '');
  if (!context || !server) throw new Error(`kubeconfig ${cluster.kubeconfigPath} has no context ${cluster.context}`);
  const deployer = new k8s.KubeConfig();
  deployer.loadFromOptions({
    clusters: [server],
    users: [{ name: DEPLOYER, token }],
    contexts: [{ name: cluster.context, cluster: server.name, user: DEPLOYER, namespace: cluster.namespace }],
    currentContext: cluster.context,
  });
  const path = join(mkdtempSync(join(tmpdir(), 'schemagate-deployer-')), 'kubeconfig');
  writeFileSync(path, deployer.exportConfig(), { mode: 0o600 });
  return { kubeconfig: path, user: `system:serviceaccount:${cluster.namespace}:${DEPLOYER}` };
}
