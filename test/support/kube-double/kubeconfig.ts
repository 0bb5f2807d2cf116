/**
 * Writes a kubeconfig for the double, named like a kind cluster
 * (`kind-<name>`), so tools see a local development context.
 * https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The token of the double's own kubeconfig: the cluster admin (group system:masters). */
export const ADMIN_TOKEN = 'kube-double';

export async function writeKubeconfig(
  server: string,
  contextName: string,
  dir?: string,
  as: { token: string; file: string } = { token: ADMIN_TOKEN, file: `${contextName}.kubeconfig` },
): Promise<string> {
  const target = dir ?? (await mkdtemp(join(tmpdir(), 'kube-double-')));
  const path = join(target, as.file);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    'current-context': contextName,
    clusters: [
      // Plain HTTP: client-node requires insecure-skip-tls-verify for an http:// server.
      { name: contextName, cluster: { server, 'insecure-skip-tls-verify': true } },
    ],
    users: [{ name: contextName, user: { token: as.token } }],
    contexts: [{ name: contextName, context: { cluster: contextName, user: contextName, namespace: 'default' } }],
  };
  // JSON is YAML: every kubeconfig reader accepts it, and the double need not load a YAML library.
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return path;
}
