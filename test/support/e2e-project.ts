import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cli, type CliResult, project, repoRoot } from './cli.js';
import { schemagateImage, type TestCluster } from './cluster.js';

/**
 * A project folder for an end-to-end test: the sample app's migrations and
 * seeds, a schemagate.yaml pointing at the test's namespace, and manifests
 * whose Secrets hold the test database's URL. The image is schemagate's
 * (SCHEMAGATE_E2E_IMAGE on a real cluster, which must have it loaded; on the
 * double it runs the built CLI). The database URL the pods use can differ
 * from the one the test checks with (SCHEMAGATE_E2E_DB_URL_IN_CLUSTER).
 */
export const E2E_IMAGE = process.env['SCHEMAGATE_E2E_IMAGE'] ?? 'schemagate:e2e';

export interface E2EProject {
  dir: string;
  /** The image its Jobs run (on the double, one of its own whose WORKDIR is `dir`). */
  image: string;
  /** Runs the CLI in the project with KUBECONFIG set to the test cluster. */
  run(args: string[], opts?: { env?: Record<string, string | undefined>; timeout?: number }): Promise<CliResult>;
  /** Writes k8s/secrets.yaml (the migration and application roles' Secrets), e.g. after `noSecrets`. */
  writeSecrets(): void;
}

export interface ProjectOptions {
  /** Extra YAML under `kubernetes:` (indented by the caller with 2 spaces). */
  kubernetes?: string;
  /** Extra top-level YAML of schemagate.yaml (e.g. a `backend:` section). */
  config?: string;
  /** Extra migrations (name -> SQL). */
  migrations?: Record<string, string>;
  /** Leave the Secrets out (to test a missing Secret). */
  noSecrets?: boolean;
  replicas?: number;
  /** Leave `kubernetes.timeout` unset (each wait's own deadline) instead of 60s. */
  noTimeout?: boolean;
  /** Also render the Namespace (k8s/namespace.yaml), as the repository's manifests do. */
  namespaceManifest?: boolean;
  /** Files under k8s/ (e.g. `jobs/migrate.yaml`), replacing the defaults. */
  manifests?: Record<string, string>;

  /** The database URL in the Secrets, instead of the test database's (e.g. one nothing answers on). */
  secretUrl?: string;
}

const BACKEND = (image: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: backend
  labels: { app.kubernetes.io/name: backend }
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app.kubernetes.io/name: backend }
  template:
    metadata:
      labels: { app.kubernetes.io/name: backend }
    spec:
      initContainers:
        - name: wait-for-db
          image: schemagate:dev
          args: ["db", "wait", "--timeout", "30s"]
          env:
            - name: DATABASE_URL
              valueFrom: { secretKeyRef: { name: schemagate-app, key: DATABASE_URL } }
        - name: verify-schema
          image: schemagate:dev
          args: ["db", "verify"]
          env:
            - name: DATABASE_URL
              valueFrom: { secretKeyRef: { name: schemagate-app, key: DATABASE_URL } }
      containers:
        - name: app
          image: ${image}
          command: ["node", "-e", "setInterval(() => {}, 1 << 30)"]
`;

export function e2eProject(cluster: TestCluster, dbUrl: string, opts: ProjectOptions = {}): E2EProject {
  const inCluster = opts.secretUrl ?? process.env['SCHEMAGATE_E2E_DB_URL_IN_CLUSTER'] ?? dbUrl;
  // On the double, each project's image runs the built CLI in the project's folder (its WORKDIR), as /app in the real image.
  const image = cluster.double ? `schemagate:e2e-${Math.random().toString(36).slice(2, 8)}` : E2E_IMAGE;
  const dir = project({
    'schemagate.yaml': [
      'verify:',
      '  tables:',
      '    - name: users',
      '      columns: [id, username, email]',
      '    - user_profiles',
      // As the repository's schemagate.yaml: the sample's 001-004 predate the lint gate.
      'lint:',
      '  since: 4',
      'kubernetes:',
      `  namespace: ${cluster.namespace}`,
      `  image: ${image}`,
      '  manifests: k8s',
      ...(opts.noTimeout ? [] : ['  timeout: 60s']),
      ...(opts.kubernetes ? [opts.kubernetes] : []),
      ...(opts.config ? [opts.config] : []),
      '',
    ].join('\n'),
  });
  cpSync(join(repoRoot, 'migrations'), join(dir, 'migrations'), { recursive: true });
  cpSync(join(repoRoot, 'seeds'), join(dir, 'seeds'), { recursive: true });
  for (const [name, sql] of Object.entries(opts.migrations ?? {})) writeFileSync(join(dir, 'migrations', name), sql);
  cluster.double?.setImageConfig(image, schemagateImage(dir));
  mkdirSync(join(dir, 'k8s'), { recursive: true });
  const writeSecrets = () => {
    const secret = (name: string) => `apiVersion: v1
kind: Secret
metadata:
  name: ${name}
type: Opaque
stringData:
  DATABASE_URL: "${inCluster}"
`;
    writeFileSync(join(dir, 'k8s/secrets.yaml'), `${secret('schemagate-migrator')}---\n${secret('schemagate-app')}`);
  };
  if (!opts.noSecrets) writeSecrets();
  writeFileSync(
    join(dir, 'k8s/backend.yaml'),
    BACKEND(cluster.isDouble ? 'node:22-alpine' : E2E_IMAGE, opts.replicas ?? 0),
  );
  if (opts.namespaceManifest) cpSync(join(repoRoot, 'k8s/namespace.yaml'), join(dir, 'k8s/namespace.yaml'));
  for (const [name, text] of Object.entries(opts.manifests ?? {})) {
    mkdirSync(dirname(join(dir, 'k8s', name)), { recursive: true });
    writeFileSync(join(dir, 'k8s', name), text);
  }
  return {
    dir,
    writeSecrets,
    image,
    run: (args, o = {}) =>
      cli(args, {
        cwd: dir,
        timeout: o.timeout ?? 120_000,
        env: { KUBECONFIG: cluster.kubeconfigPath, CI: '1', ...o.env },
      }),
  };
}

/** A copy of the cluster's kubeconfig whose context is renamed, e.g. to look like a production cluster. */
export function renamedKubeconfig(cluster: TestCluster, context: string): string {
  const text = readFileSync(cluster.kubeconfigPath, 'utf8');
  const path = `${cluster.kubeconfigPath}.${context}`;
  writeFileSync(
    path,
    text.split(`"${cluster.context}"`).join(`"${context}"`).split(`: ${cluster.context}\n`).join(`: ${context}\n`),
  );
  return path;
}
