/**
 * `schemagate render --for kustomize`: a base (the migration Job and the
 * backend, with `namespace:` and `images:` in its kustomization.yaml) and a
 * production overlay example (replicas, namespace). The image is set through
 * `images:`, Kustomize's own way; the migration Job's name carries a hash of
 * the image and the migrations, so a new release is rendered again (a Job's
 * pod template is immutable: an overlay that changed only its image would be
 * refused by `kubectl apply`).
 * https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/images/
 * https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/namespace/
 */
import { stringify } from 'yaml';
import { GitopsTool, generatedBy, type GitopsRenderer } from './gitops.js';
import { renderProduction, secretCommands } from './production.js';
import { toYaml } from './yaml.js';

/** `registry/app:1.2` -> name `registry/app`, tag `1.2`; a digest goes to `digest`. */
export function splitImage(image: string): { name: string; newTag?: string; digest?: string } {
  const at = image.indexOf('@');
  if (at >= 0) return { name: image.slice(0, at), digest: image.slice(at + 1) };
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (colon > slash) return { name: image.slice(0, colon), newTag: image.slice(colon + 1) };
  return { name: image };
}

export const renderForKustomize: GitopsRenderer = (config, inputs) => {
  const r = renderProduction(config, inputs);
  const jobs = r.migration ? [r.migration] : [];
  const path = inputs.outDir ?? 'deploy/kustomize';
  const header = generatedBy(GitopsTool.kustomize);
  const { name, ...pin } = splitImage(inputs.image);
  const base = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: inputs.namespace,
    resources: [...(jobs.length ? ['migration-job.yaml'] : []), 'backend.yaml'],
    images: [{ name, ...pin }],
  };
  const overlay = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['../../base'],
    namespace: inputs.namespace,
    replicas: [{ name: config.kubernetes.backend.deployment, count: Math.max(2, config.kubernetes.backend.replicas) }],
  };
  return {
    files: {
      'base/kustomization.yaml': header + stringify(base, { lineWidth: 0 }),
      ...(jobs.length ? { 'base/migration-job.yaml': header + toYaml(jobs) } : {}),
      'base/backend.yaml': header + toYaml(r.app),
      'overlays/production/kustomization.yaml': `# An example overlay: adjust namespace, replicas and patches here. Change the image with\n# \`schemagate render --for kustomize --image ...\` (the base), not here: the migration Job's name follows it.\n${stringify(overlay, { lineWidth: 0 })}`,
    },
    stdout: undefined,
    warnings: r.warnings,
    next: [
      ...secretCommands(inputs.namespace, r.secrets),
      `kubectl apply -k ${path}/overlays/production (or kubectl kustomize ${path}/overlays/production to see it)`,
    ],
  };
};
