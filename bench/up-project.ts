/**
 * The sample project as the cluster benchmarks deploy it on the double: the
 * repository's migrations and seeds, a Namespace, the two Secrets and a
 * backend whose init containers are those listed, in a fresh folder.
 */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const INIT: Record<'wait-for-db' | 'verify-schema', string> = {
  'wait-for-db': `        - { name: wait-for-db, image: schemagate:dev, args: ["db", "wait", "--timeout", "30s"], env: [{ name: DATABASE_URL, valueFrom: { secretKeyRef: { name: schemagate-app, key: DATABASE_URL } } }] }`,
  'verify-schema': `        - { name: verify-schema, image: schemagate:dev, args: ["db", "verify"], env: [{ name: DATABASE_URL, valueFrom: { secretKeyRef: { name: schemagate-app, key: DATABASE_URL } } }] }`,
};

export interface UpProject {
  namespace: string;
  url: string;
  image: string;
  /** The folder's name prefix under the temporary directory. */
  prefix: string;
  initContainers: readonly (keyof typeof INIT)[];
  /** Appended to schemagate.yaml. */
  extraConfig?: string;
  /** More files under k8s/, by name. */
  manifests?: Record<string, string>;
}

export function upProject(p: UpProject): string {
  const dir = mkdtempSync(join(tmpdir(), p.prefix));
  cpSync(join(repo, 'migrations'), join(dir, 'migrations'), { recursive: true });
  cpSync(join(repo, 'seeds'), join(dir, 'seeds'), { recursive: true });
  mkdirSync(join(dir, 'k8s'));
  const secret = (name: string) =>
    `apiVersion: v1\nkind: Secret\nmetadata: { name: ${name} }\nstringData: { DATABASE_URL: "${p.url}" }\n`;
  writeFileSync(
    join(dir, 'k8s/namespace.yaml'),
    `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${p.namespace} }\n`,
  );
  writeFileSync(join(dir, 'k8s/secrets.yaml'), `${secret('schemagate-migrator')}---\n${secret('schemagate-app')}`);
  writeFileSync(
    join(dir, 'k8s/backend.yaml'),
    `apiVersion: apps/v1
kind: Deployment
metadata: { name: backend }
spec:
  replicas: 0
  selector: { matchLabels: { app: backend } }
  template:
    metadata: { labels: { app: backend } }
    spec:
      initContainers:
${p.initContainers.map((c) => INIT[c]).join('\n')}
      containers:
        - { name: app, image: node:22-alpine, command: ["node", "-e", "setInterval(() => {}, 1 << 30)"] }
`,
  );
  for (const [name, text] of Object.entries(p.manifests ?? {})) writeFileSync(join(dir, 'k8s', name), text);
  writeFileSync(
    join(dir, 'schemagate.yaml'),
    `kubernetes:\n  namespace: ${p.namespace}\n  image: ${p.image}\n  manifests: k8s\n  timeout: 60s\n` +
      (p.extraConfig ?? ''),
  );
  return dir;
}
