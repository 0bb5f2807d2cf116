import fs from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';

/**
 * Preloaded into a schemagate run (`node --import dist/bench/probe.js
 * dist/src/cli.js db migrate …`) to timestamp its phases without touching
 * src/: node's bootstrap, module loading, reading the migration files, the
 * connection, every query, and the exit. Times are epoch milliseconds
 * (timeOrigin + now), so the parent can line them up with its own spawn time.
 * Writes JSON to $SCHEMAGATE_BENCH_PROBE_OUT at exit.
 */
export interface ProbeEvent {
  at: number;
  end?: number;
  what: string;
}

export interface ProbeReport {
  /** When this process started (its performance.timeOrigin). */
  origin: number;
  /** node's own milestones, relative to origin (performance.nodeTiming). */
  node: { v8Start: number; environment: number; bootstrapComplete: number };
  probeStart: number;
  /** Loading `pg` here, before schemagate's modules (it would otherwise load as part of them). */
  pgImport: { at: number; end: number };
  events: ProbeEvent[];
  exit: number;
}

const epoch = () => performance.timeOrigin + performance.now();
const probeStart = epoch();
const events: ProbeEvent[] = [];
const out = process.env.SCHEMAGATE_BENCH_PROBE_OUT;

const dirs = new Set<string>();
const { readdirSync, readFileSync } = fs;
// Named imports of node:fs in ESM see these replacements after syncBuiltinESMExports().
(fs as { readdirSync: unknown }).readdirSync = function (this: unknown, ...args: unknown[]) {
  const at = epoch();
  const r = (readdirSync as (...a: unknown[]) => unknown).apply(this, args);
  const path = String(args[0]);
  if (!dirs.has(path)) {
    dirs.add(path);
    events.push({ at, end: epoch(), what: `readdir ${path}` });
  }
  return r;
};
let sqlReads = 0;
let firstSql: ProbeEvent | undefined;
(fs as { readFileSync: unknown }).readFileSync = function (this: unknown, ...args: unknown[]) {
  const at = epoch();
  const r = (readFileSync as (...a: unknown[]) => unknown).apply(this, args);
  const path = String(args[0]);
  if (path.endsWith('.sql')) {
    sqlReads++;
    if (!firstSql) {
      firstSql = { at, end: epoch(), what: 'first .sql read' };
      events.push(firstSql);
    }
  } else {
    events.push({ at, end: epoch(), what: `read ${path}` });
  }
  return r;
};
syncBuiltinESMExports();

const pgAt = epoch();
// The bundled CLI (npm run build) requires pg from its own file, chunks/pg.cjs: required here, it is the same module
// (one CommonJS cache), and so the same Client class the CLI uses.
const bundledPg = process.argv[1] ? join(dirname(process.argv[1]), 'chunks', 'pg.cjs') : undefined;
const pg = (
  bundledPg && fs.existsSync(bundledPg) ? createRequire(import.meta.url)(bundledPg) : (await import('pg')).default
) as typeof import('pg');
const pgImport = { at: pgAt, end: epoch() };

type Fn = (...args: unknown[]) => unknown;
const proto = pg.Client.prototype as unknown as Record<string, Fn>;
for (const method of ['connect', 'query', 'end'] as const) {
  const original = proto[method]!;
  proto[method] = function (this: unknown, ...args: unknown[]) {
    const first = args[0];
    const text =
      typeof first === 'string'
        ? first
        : typeof first === 'object' && first && 'text' in first
          ? String(first.text)
          : '';
    const event: ProbeEvent = {
      at: epoch(),
      what: method === 'query' ? `query ${text.replace(/\s+/g, ' ').trim().slice(0, 70)}` : method,
    };
    events.push(event);
    const r = original.apply(this, args);
    if (r && typeof (r as Promise<unknown>).then === 'function') {
      (r as Promise<unknown>).then(
        () => (event.end = epoch()),
        () => (event.end = epoch()),
      );
    }
    return r;
  };
}

process.on('exit', () => {
  if (!out) return;
  const t = performance.nodeTiming;
  const report: ProbeReport = {
    origin: performance.timeOrigin,
    node: { v8Start: t.v8Start, environment: t.environment, bootstrapComplete: t.bootstrapComplete },
    probeStart,
    pgImport,
    events: [...events, { at: epoch(), what: `${sqlReads} .sql files read` }],
    exit: epoch(),
  };
  fs.writeFileSync(out, JSON.stringify(report));
});
