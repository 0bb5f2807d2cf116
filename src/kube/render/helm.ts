/**
 * `schemagate render --for helm`: a chart whose templates come from the same
 * rendering as `up`, with Helm placeholders where values go (image, pull
 * policy, replicas, the database Secrets, resources, the release's
 * namespace). The migration Job is a `pre-install,pre-upgrade` hook: Helm
 * creates it after rendering and before any release object, waits until it
 * completes, and fails the release if it fails. `before-hook-creation`
 * deletes a previous hook Job of the same name before creating it (no "jobs.batch
 * already exists" after a failed or interrupted release), `hook-succeeded`
 * deletes it once it completed; a failed one stays for its logs.
 * https://helm.sh/docs/topics/charts_hooks/
 */
import type { Config } from '../../config/types.js';
import { UsageError } from '../../errors.js';
import type { KubernetesObject, V1Container, V1Deployment, V1PodTemplateSpec } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { GitopsTool, generatedBy, type GitopsRenderer } from './gitops.js';
import { splitImage } from './kustomize.js';
import { renderProduction, secretCommands } from './production.js';
import { toYaml } from './yaml.js';

export const HelmAnnotation = {
  hook: 'helm.sh/hook',
  weight: 'helm.sh/hook-weight',
  deletePolicy: 'helm.sh/hook-delete-policy',
} as const;

// Rendered in place of values, then replaced by Helm actions in the YAML text (all plain YAML scalars).
const P = {
  image: 'SGHELM-IMAGE',
  pull: 'SGHELM-PULL',
  namespace: 'SGHELM-NAMESPACE',
  replicas: 424242,
  migrationSecret: { name: 'SGHELM-MIGRATION-SECRET-NAME', key: 'SGHELM-MIGRATION-SECRET-KEY' },
  appSecret: { name: 'SGHELM-APP-SECRET-NAME', key: 'SGHELM-APP-SECRET-KEY' },
  migrationResources: 'SGHELM-RESOURCES-MIGRATION',
  backendResources: 'SGHELM-RESOURCES-BACKEND',
} as const;

const IMAGE = '{{ .Values.image.repository }}:{{ .Values.image.tag }}';

function helmize(yaml: string): string {
  const resources = (placeholder: string) => new RegExp(`^( *)resources: ${placeholder}$`, 'gm');
  const out = yaml
    .replace(
      resources(P.migrationResources),
      (_m, ind: string) =>
        `${ind}resources:\n${ind}  {{- toYaml .Values.resources.migration | nindent ${ind.length + 2} }}`,
    )
    .replace(
      resources(P.backendResources),
      (_m, ind: string) =>
        `${ind}resources:\n${ind}  {{- toYaml .Values.resources.backend | nindent ${ind.length + 2} }}`,
    )
    .replaceAll(`image: ${P.image}`, `image: "${IMAGE}"`)
    .replaceAll(P.image, IMAGE)
    .replaceAll(`imagePullPolicy: ${P.pull}`, 'imagePullPolicy: {{ .Values.image.pullPolicy }}')
    .replaceAll(`namespace: ${P.namespace}`, 'namespace: {{ .Release.Namespace | quote }}')
    .replaceAll(`replicas: ${P.replicas}`, 'replicas: {{ .Values.replicas }}')
    .replaceAll(`name: ${P.migrationSecret.name}`, 'name: {{ .Values.database.migrationSecret.name | quote }}')
    .replaceAll(`key: ${P.migrationSecret.key}`, 'key: {{ .Values.database.migrationSecret.key | quote }}')
    .replaceAll(`name: ${P.appSecret.name}`, 'name: {{ .Values.database.appSecret.name | quote }}')
    .replaceAll(`key: ${P.appSecret.key}`, 'key: {{ .Values.database.appSecret.key | quote }}');
  // A placeholder left over would ship a broken chart: a bug here, never the user's.
  if (out.includes('SGHELM') || out.includes(String(P.replicas)))
    throw new Error(`a Helm placeholder was left in a template:\n${out}`);
  return out;
}

/** The containers of schemagate's image, which take the image value and pull policy. */
function ownContainers(o: KubernetesObject): V1Container[] {
  // A Service has a spec without a template.
  const pod = (o as { spec?: { template?: V1PodTemplateSpec } }).spec?.template?.spec;
  return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])].filter((c) => c.image === P.image);
}

function chartYaml(config: Config, appVersion: string): string {
  return stringify(
    {
      apiVersion: 'v2',
      name: config.kubernetes.backend.deployment,
      description: 'The application, its database migration Job (a pre-install,pre-upgrade hook) and its schema gate',
      type: 'application',
      version: '0.1.0',
      appVersion,
    },
    { lineWidth: 0 },
  );
}

export const renderForHelm: GitopsRenderer = (config, inputs) => {
  const k = config.kubernetes;
  if (splitImage(inputs.image).digest)
    throw new UsageError(
      `--image ${inputs.image}: the chart takes an image as repository and tag (values.yaml image.repository, image.tag), not a digest`,
      'Pass --image with an immutable tag (e.g. registry.example.com/app:1.4.2); helm upgrade --set image.tag=... changes it per release.',
    );
  const placeholders: Config = {
    ...config,
    kubernetes: {
      ...k,
      migrationJob: { ...k.migrationJob, secret: { ...P.migrationSecret } },
      backend: { ...k.backend, secret: { ...P.appSecret } },
    },
  };
  const r = renderProduction(placeholders, {
    ...inputs,
    image: P.image,
    shownImage: inputs.image,
    namespace: P.namespace,
    replicas: P.replicas,
  });
  for (const o of [...(r.migration ? [r.migration] : []), ...r.app])
    for (const c of ownContainers(o)) c.imagePullPolicy = P.pull;

  const deployment = r.app.find((o) => o.kind === 'Deployment') as V1Deployment;
  const main = deployment.spec?.template.spec?.containers.find((c) => c.image === P.image);
  const backendResources = main?.resources ?? {};
  if (main) main.resources = P.backendResources as never;
  const migrationResources = r.migration?.spec?.template.spec?.containers[0]?.resources ?? {};
  const files: Record<string, string> = {};
  const header = generatedBy(GitopsTool.helm);
  if (r.migration) {
    const c = r.migration.spec?.template.spec?.containers.find((x) => x.image === P.image);
    if (c) c.resources = P.migrationResources as never;
    r.migration.metadata = {
      ...r.migration.metadata,
      annotations: {
        ...r.migration.metadata?.annotations,
        [HelmAnnotation.hook]: 'pre-install,pre-upgrade',
        [HelmAnnotation.weight]: '0',
        [HelmAnnotation.deletePolicy]: 'before-hook-creation,hook-succeeded',
      },
    };
    files['templates/migration-job.yaml'] = header + helmize(toYaml([r.migration]));
  }
  files['templates/backend.yaml'] = header + helmize(toYaml(r.app));

  const { name, newTag } = splitImage(inputs.image);
  const tag = newTag ?? 'latest';
  const [migrationSecret, appSecret] = [k.migrationJob.secret, k.backend.secret];
  const values = {
    image: { repository: name, tag, pullPolicy: k.imagePullPolicy },
    replicas: k.backend.replicas,
    database: { migrationSecret, appSecret },
    resources: { migration: migrationResources, backend: backendResources },
  };
  files['Chart.yaml'] = header + chartYaml(config, tag);
  files['values.yaml'] =
    `${header}# The database Secrets are not created by this chart: create them first (see NOTES.txt).\n` +
    stringify(values, { lineWidth: 0 });
  files['.helmignore'] = '.git/\n*.orig\n';
  files['templates/NOTES.txt'] =
    'The migration Job ran before this release (a pre-install/pre-upgrade hook); the backend pods start once db verify passes.\n' +
    'kubectl -n {{ .Release.Namespace }} rollout status deployment/' +
    k.backend.deployment +
    '\n';
  const path = inputs.outDir ?? 'deploy/helm';
  return {
    files,
    stdout: undefined,
    warnings: r.warnings,
    next: [
      ...secretCommands(
        inputs.namespace,
        [migrationSecret, appSecret].filter(
          (x, i, all) => all.findIndex((y) => y.name === x.name && y.key === x.key) === i,
        ),
      ),
      `helm upgrade --install ${k.backend.deployment} ${path} --namespace ${inputs.namespace} --set image.tag=...`,
    ],
  };
};
