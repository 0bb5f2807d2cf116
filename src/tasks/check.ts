import type { KubernetesObject } from '@kubernetes/client-node';
import type { Config } from '../config/types.js';
import { analyze } from '../engine/analyze.js';
import { fileScript, readMigrationFolder, readSeeds } from '../engine/files.js';
import { existsSync } from 'node:fs';
import { isSchemagateError } from '../errors.js';
import type { ClusterRun } from './cluster-run.js';
import { renderAll } from '../kube/render/index.js';
import { renderInputs } from './render-inputs.js';

/** One line of `schemagate check`: what was checked, and what was found. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  hint?: string | undefined;
}

/** A check that found a problem. Anything but a SchemagateError is a bug, not a finding: it propagates. */
function failed(name: string, e: unknown): Check {
  if (!isSchemagateError(e)) throw e;
  return { name, ok: false, detail: e.message, hint: e.hint };
}

/** Checks that need no cluster and no database: files, their SQL, the manifests. */
export function offlineChecks(config: Config): Check[] {
  const checks: Check[] = [
    {
      name: 'configuration',
      ok: true,
      detail: config.file ? `${config.file} is valid` : 'no schemagate.yaml: every key takes its default',
    },
  ];
  try {
    const { layout, files, ignored } = readMigrationFolder(config.migrations.dir, config.migrations.format);
    let nonTx = 0;
    const problems: string[] = [];
    for (const f of files) {
      try {
        if (!analyze(fileScript(f)).transactional) nonTx++;
      } catch (e) {
        if (!isSchemagateError(e)) throw e;
        problems.push(e.message);
      }
    }
    const withDown = files.filter((f) => f.down).length;
    checks.push(
      problems.length
        ? { name: 'migrations', ok: false, detail: problems.join('\n') }
        : {
            name: 'migrations',
            ok: true,
            detail: `${files.length} files parse and validate (layout ${layout}; ${nonTx} outside a transaction, ${withDown} with a down script)${ignored.map((i) => `\nwarning: ${i.file}: ${i.message}`).join('')}`,
          },
    );
  } catch (e) {
    checks.push(failed('migrations', e));
  }
  try {
    const seeds = existsSync(config.seeds.dir) ? readSeeds(config.seeds.dir) : [];
    for (const s of seeds) analyze({ file: s.file, version: s.name, sql: s.sql });
    checks.push({ name: 'seeds', ok: true, detail: `${seeds.length} files parse` });
  } catch (e) {
    checks.push(failed('seeds', e));
  }
  return checks;
}

/** `schemagate lint --offline` as a check line: errors fail it, warnings are shown under it. Skipped when the files do not validate. */
export async function lintChecks(config: Config, before: readonly Check[], signal?: AbortSignal): Promise<Check[]> {
  if (!config.lint.enabled || before.some((c) => c.name === 'migrations' && !c.ok)) return [];
  const { lintCheck } = await import('./lint-check.js');
  return [await lintCheck(config, signal)];
}

/** Renders the manifests: a check, and the objects for the cluster checks (undefined when they do not render). */
export function manifestChecks(
  config: Config,
  image: string,
  namespace: string,
): { checks: Check[]; objects: KubernetesObject[] | undefined } {
  let objects: KubernetesObject[];
  try {
    objects = renderAll(config, { image, namespace, ...renderInputs(config) });
  } catch (e) {
    return { checks: [failed('manifests', e)], objects: undefined };
  }
  const kinds = [...new Set(objects.map((o) => o.kind))].join(', ');
  return { checks: [{ name: 'manifests', ok: true, detail: `${objects.length} objects render (${kinds})` }], objects };
}

/** Against the cluster: it answers, the API server accepts the objects (server-side dry run), the database is current, the backend's dependencies answer. */
export async function clusterChecks(run: ClusterRun, objects: readonly KubernetesObject[]): Promise<Check[]> {
  const checks: Check[] = [];
  const { clusterStatus, connectFor } = await import('./cluster-status.js');
  let kube;
  try {
    kube = await connectFor(run);
    checks.push({ name: 'cluster', ok: true, detail: `context ${kube.context}, Kubernetes ${kube.serverVersion}` });
  } catch (e) {
    checks.push(failed('cluster', e));
    return checks;
  }
  try {
    // As `up` does: an existing Namespace is not applied (that needs cluster-scoped rights), so not dry-run either.
    const toApply: KubernetesObject[] = [];
    for (const o of objects)
      if (!(o.kind === 'Namespace' && o.metadata?.name && (await kube.namespaceExists(o.metadata.name))))
        toApply.push(o);
    const rejected = (await kube.dryRun(toApply)).filter((r) => r.rejected !== undefined);
    checks.push(
      rejected.length
        ? {
            name: 'manifests (server dry run)',
            ok: false,
            detail: rejected.map((r) => `${r.object}: ${r.rejected}`).join('\n'),
          }
        : {
            name: 'manifests (server dry run)',
            ok: true,
            detail: `the API server accepts all ${toApply.length} objects`,
          },
    );
  } catch (e) {
    checks.push(failed('manifests (server dry run)', e));
  }
  try {
    const s = await clusterStatus(run, kube);
    if ('error' in s.database)
      checks.push({
        name: 'database',
        ok: false,
        detail: s.database.error,
        hint: 'Is postgres running and the Secret right? `schemagate status` shows the Jobs.',
      });
    else {
      const c = s.database.counts;
      const pending = c.pending + c['out-of-order'];
      const bad = c.changed + c.missing + c.failed;
      checks.push({
        name: 'database',
        ok: pending === 0 && bad === 0,
        detail: `postgres answers; ${c.applied} applied, ${pending} pending${bad ? `, ${bad} changed/missing/failed` : ''}`,
        ...(pending || bad ? { hint: 'Run `schemagate migrate` (or `tilt trigger db-migrate`).' } : {}),
      });
    }
  } catch (e) {
    checks.push(failed('database', e));
  }
  try {
    const { dependencyCheck } = await import('./dependency-check.js');
    const dependencies = await dependencyCheck(run, kube);
    if (dependencies) checks.push(dependencies);
  } catch (e) {
    checks.push(failed('dependencies (from the cluster)', e));
  }
  return checks;
}
