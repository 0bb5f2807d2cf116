import type { KubernetesObject } from '@kubernetes/client-node';
import type { Config } from '../config/types.js';
import { analyze } from '../engine/analyze.js';
import { readMigrations, readSeeds } from '../engine/files.js';
import { existsSync } from 'node:fs';
import { isSchemagateError } from '../errors.js';
import type { ClusterRun } from './cluster-run.js';
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
    const files = readMigrations(config.migrations.dir, config.migrations.format);
    let nonTx = 0;
    const problems: string[] = [];
    for (const f of files) {
      try {
        if (!analyze({ file: f.file, version: f.version.text, sql: f.sql }).transactional) nonTx++;
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
            detail: `${files.length} files parse and validate (${nonTx} outside a transaction, ${withDown} with a down script)`,
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
  const { lintCheck } = await import('../lint/check.js');
  return [await lintCheck(config, signal)];
}

/** Renders the manifests; with a cluster, the API server validates them too (server-side dry run). */
export async function manifestChecks(run: ClusterRun, withCluster: boolean): Promise<Check[]> {
  let objects: KubernetesObject[];
  try {
    const { renderAll } = await import('../kube/render/index.js');
    objects = renderAll(run.config, { image: run.image, namespace: run.namespace, ...renderInputs(run.config) });
  } catch (e) {
    return [failed('manifests', e)];
  }
  const checks: Check[] = [
    {
      name: 'manifests',
      ok: true,
      detail: `${objects.length} objects render (${[...new Set(objects.map((o) => o.kind))].join(', ')})`,
    },
  ];
  if (!withCluster) return checks;
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
    const rejected = (await kube.dryRun(objects)).filter((r) => r.rejected !== undefined);
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
            detail: `the API server accepts all ${objects.length} objects`,
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
  return checks;
}
