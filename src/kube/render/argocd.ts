/**
 * `schemagate render --for argocd`: the migration Job as a PreSync hook, so
 * Argo CD applies it first, waits for it to complete, and only then applies
 * the backend; a failed hook fails the sync and nothing else is applied.
 * BeforeHookCreation deletes the previous sync's Job just before the next
 * one is created, so it is kept (with its pod's logs) until then and never
 * collides with the next Job of the same name. No ttlSecondsAfterFinished:
 * Argo CD would see a Job its TTL deleted as missing. The backend runs at its
 * replicas, gated by its init containers (db wait, db verify).
 * https://argo-cd.readthedocs.io/en/stable/user-guide/resource_hooks/
 * https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { GitopsTool, generatedBy, type GitopsRenderer } from './gitops.js';
import { renderProduction, secretCommands } from './production.js';
import { toYaml } from './yaml.js';

export const ArgoAnnotation = {
  hook: 'argocd.argoproj.io/hook',
  deletePolicy: 'argocd.argoproj.io/hook-delete-policy',
} as const;

/** An Application for the folder `--out` wrote, with the namespace created by Argo CD. */
function application(name: string, namespace: string, path: string): KubernetesObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd' },
    spec: {
      project: 'default',
      source: { repoURL: 'https://git.example.com/your/repo.git', targetRevision: 'main', path },
      destination: { server: 'https://kubernetes.default.svc', namespace },
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
    },
  } as KubernetesObject;
}

export const renderForArgoCd: GitopsRenderer = (config, inputs) => {
  const r = renderProduction(config, inputs);
  const hooks: KubernetesObject[] = [];
  if (r.migration) {
    r.migration.metadata = {
      ...r.migration.metadata,
      annotations: {
        ...r.migration.metadata?.annotations,
        [ArgoAnnotation.hook]: 'PreSync',
        [ArgoAnnotation.deletePolicy]: 'BeforeHookCreation',
      },
    };
    hooks.push(r.migration);
  }
  const objects = [...hooks, ...r.app];
  const path = inputs.outDir ?? 'deploy/argocd';
  const header = generatedBy(GitopsTool.argocd);
  return {
    files: {
      'manifests/migration-job.yaml': header + toYaml(hooks),
      'manifests/backend.yaml': header + toYaml(r.app),
      'application.example.yaml': `${header}# An example Application for the folder above: point repoURL at your repository.\n${stringify(application(config.kubernetes.backend.deployment, inputs.namespace, `${path}/manifests`), { lineWidth: 0 })}`,
    },
    stdout: toYaml(objects),
    warnings: r.warnings,
    next: [
      ...secretCommands(inputs.namespace, r.secrets),
      `commit ${path}/manifests and point an Application at it (${path}/application.example.yaml); Argo CD runs the migration Job (PreSync), then applies the backend`,
    ],
  };
};
