/**
 * `schemagate render --for flux`: plain manifests for a Flux Kustomization.
 * Flux applies them all at once (server-side apply), so the order is kept by
 * the objects themselves: the backend's init containers (db wait, db verify)
 * hold its pods until the migration Job has migrated the database. A Job's
 * pod template is immutable, so the Job's name carries its content hash: a
 * new migration (or image) is a new Job, never a patch of the old one, and
 * `prune: true` removes the previous one. `force: true` is still advised, as
 * Flux documents for Jobs: it recreates an object whose immutable field
 * changed instead of failing the reconciliation. No ttlSecondsAfterFinished:
 * Flux would recreate a Job its TTL deleted, and run it again. The example
 * Kustomizations order the database before the app with `dependsOn`.
 * https://fluxcd.io/flux/components/kustomize/kustomizations/#force
 * https://fluxcd.io/flux/components/kustomize/kustomizations/#dependencies
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { GitopsTool, generatedBy, type GitopsRenderer } from './gitops.js';
import { renderProduction, secretCommands } from './production.js';
import { toYaml } from './yaml.js';

function fluxKustomization(name: string, spec: Record<string, unknown>): KubernetesObject {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace: 'flux-system' },
    spec: { interval: '10m', prune: true, sourceRef: { kind: 'GitRepository', name: 'flux-system' }, ...spec },
  } as KubernetesObject;
}

export const renderForFlux: GitopsRenderer = (config, inputs) => {
  const r = renderProduction(config, inputs);
  const jobs = r.migration ? [r.migration] : [];
  const path = inputs.outDir ?? 'deploy/flux';
  const header = generatedBy(GitopsTool.flux);
  // The Job's deadline, plus time for the rollout behind it.
  const timeout = `${Math.ceil(config.kubernetes.migrationJob.activeDeadlineSeconds / 60) + 5}m`;
  const examples = [
    fluxKustomization('database', { path: './deploy/database', wait: true }),
    fluxKustomization(config.kubernetes.backend.deployment, {
      dependsOn: [{ name: 'database' }],
      path: `./${path}/app`,
      targetNamespace: inputs.namespace,
      force: true,
      wait: true,
      timeout,
    }),
  ];
  return {
    files: {
      'app/kustomization.yaml': `${header}apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${jobs.length ? '  - migration-job.yaml\n' : ''}  - backend.yaml\n`,
      ...(jobs.length ? { 'app/migration-job.yaml': header + toYaml(jobs) } : {}),
      'app/backend.yaml': header + toYaml(r.app),
      'flux-kustomizations.example.yaml': `${header}# Example Flux Kustomizations: the database (your PostgreSQL, or its operator's claim) before the app.\n${examples.map((o) => stringify(o, { lineWidth: 0 })).join('---\n')}`,
    },
    stdout: toYaml([...jobs, ...r.app]),
    warnings: r.warnings,
    next: [
      ...secretCommands(inputs.namespace, r.secrets),
      `commit ${path}/app and add a Flux Kustomization for it (${path}/flux-kustomizations.example.yaml: dependsOn the database, force: true, wait: true)`,
    ],
  };
};
