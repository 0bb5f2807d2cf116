import { readFileSync } from 'node:fs';
import type { ProbeEvent, ProbeReport } from './probe.js';
import type { Timed } from './timed.js';

/** Where a no-op run's time goes: the probe's timestamps turned into consecutive phases. */
export interface Phase {
  name: string;
  ms: number;
}

function find(events: readonly ProbeEvent[], pred: (e: ProbeEvent) => boolean, what: string): ProbeEvent {
  const e = events.find(pred);
  if (!e) throw new Error(`bench: the probe recorded no ${what}; events: ${events.map((x) => x.what).join(', ')}`);
  return e;
}

/** Consecutive phases from spawn to exit; they add up to the measured wall time. */
export function phasesOf(report: ProbeReport, run: Timed, migrationsDir: string): Phase[] {
  const ev = [...report.events].sort((a, b) => a.at - b.at);
  const readdir = find(ev, (e) => e.what === `readdir ${migrationsDir}`, `readdir of ${migrationsDir}`);
  const connect = find(ev, (e) => e.what === 'connect', 'connect');
  const end = find(ev, (e) => e.what === 'end', 'client.end()');
  const queries = ev.filter((e) => e.what.startsWith('query ') && e.at >= connect.at && e.at <= end.at);
  const bootstrapDone = report.origin + report.node.bootstrapComplete;
  const phases: Phase[] = [
    { name: 'spawn → process time origin (fork/exec)', ms: report.origin - run.spawnedAt },
    { name: 'node bootstrap (to bootstrapComplete)', ms: report.node.bootstrapComplete },
    { name: 'ESM loader start, probe module', ms: report.probeStart - bootstrapDone },
    { name: 'import pg', ms: report.pgImport.end - report.probeStart },
    { name: 'schemagate modules, config, argument parsing', ms: readdir.at - report.pgImport.end },
    { name: `read + normalise + hash the files`, ms: connect.at - readdir.at },
    { name: 'connect (TCP, startup, SCRAM auth)', ms: (connect.end ?? connect.at) - connect.at },
  ];
  let cursor = connect.end ?? connect.at;
  let gaps = 0;
  // A fresh run sends one query per migration: those are summed under one name, in order of first use.
  const byKey = new Map<string, Phase & { count: number }>();
  for (const q of queries) {
    gaps += Math.max(0, q.at - cursor);
    const key = q.what.startsWith('query BEGIN;') ? 'query BEGIN; <migration>; INSERT history; COMMIT' : q.what;
    const entry = byKey.get(key) ?? { name: key, ms: 0, count: 0 };
    entry.ms += (q.end ?? q.at) - q.at;
    entry.count++;
    byKey.set(key, entry);
    cursor = Math.max(cursor, q.end ?? q.at);
  }
  for (const e of byKey.values()) phases.push({ name: e.count > 1 ? `${e.name} (x${e.count})` : e.name, ms: e.ms });
  phases.push(
    { name: 'JS between queries (plan, logging)', ms: gaps + Math.max(0, end.at - cursor) },
    { name: 'client.end() → exit event', ms: report.exit - end.at },
    { name: 'exit event → parent sees exit', ms: run.exitedAt - report.exit },
  );
  return phases;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function groupOf(node: ProfileNode, root: string): string {
  const { functionName, url } = node.callFrame;
  if (functionName === '(idle)') return 'idle (waiting on I/O: files, database)';
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(program)' || functionName === '(root)') return 'V8/native (compiling, bootstrap)';
  if (url.startsWith('node:internal/modules') || url.includes('internal/modules/')) return 'node module loader';
  if (url.startsWith('node:')) return 'node built-ins';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return `package ${pkg[1]}`;
  const rel = url.replace(`file://${root}/`, '');
  if (rel.startsWith('dist/src/')) return `schemagate ${rel.slice('dist/src/'.length)}`;
  return rel || '(native)';
}

/**
 * Self time of a `--cpu-prof` profile by package or schemagate file, and the
 * inclusive time of a few named functions (how long their calls took on CPU).
 */
export function summarizeProfile(
  path: string,
  root: string,
  functions: readonly string[],
): { total: number; groups: Phase[]; inclusive: Phase[] } {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const groups = new Map<string, number>();
  const inclusive = new Map<string, number>(functions.map((f) => [f, 0]));
  for (let i = 0; i < p.samples.length; i++) {
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(p.samples[i]!)!;
    const g = groupOf(node, root);
    groups.set(g, (groups.get(g) ?? 0) + ms);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const name = byId.get(id)!.callFrame.functionName;
      if (inclusive.has(name) && !seen.has(name)) {
        seen.add(name);
        inclusive.set(name, inclusive.get(name)! + ms);
      }
    }
  }
  const sorted = (m: Map<string, number>) => [...m].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
  return { total: (p.endTime - p.startTime) / 1000, groups: sorted(groups), inclusive: sorted(inclusive) };
}
