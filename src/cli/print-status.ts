import { ExitCode } from '../errors.js';
import { invalidIndexAdvice } from '../engine/invalid-indexes.js';
import type { StatusReport } from '../engine/status.js';
import { formatDuration } from '../util/time.js';
import type { Output, Style } from './output.js';

const STYLE: Record<string, Style> = {
  applied: 'green',
  baselined: 'dim',
  pending: 'yellow',
  'out-of-order': 'yellow',
  changed: 'red',
  missing: 'red',
  failed: 'red',
  reverting: 'red',
};

/**
 * `db status` exit code: what stops `db migrate` or needs a hand (drift, a
 * missing file, out of order, a half-applied or half-reverted run, an
 * invalid index: 4) beats pending (7) beats up to date (0).
 */
export function statusExitCode(r: StatusReport): ExitCode {
  const { problems, invalidIndexes } = newer(r);
  if (problems.length + r.counts.failed + invalidIndexes.length > 0) return ExitCode.validation;
  if (r.counts.pending + r.counts['out-of-order'] > 0) return ExitCode.pending;
  return ExitCode.ok;
}

/** A report from an older image's `db status` Job (read as JSON) may lack the newer fields. */
function newer(r: StatusReport): Pick<StatusReport, 'problems' | 'invalidIndexes'> {
  const partial = r as Partial<Pick<StatusReport, 'problems' | 'invalidIndexes'>>;
  return { problems: partial.problems ?? [], invalidIndexes: partial.invalidIndexes ?? [] };
}

export function printStatus(out: Output, r: StatusReport): void {
  out.result(`database  ${r.database}`);
  out.result(`history   ${r.historyTable}`);
  out.result(`current   ${r.current ?? '(none)'}${r.baseline ? `  (baseline ${r.baseline})` : ''}`);
  if (r.layout) out.result(`layout    ${r.layout}`);
  for (const f of r.foreign ?? [])
    out.result(
      out.paint(
        'yellow',
        `found ${f.title}'s history ${f.table}: this database was migrated by ${f.title}. Take it over with \`schemagate db adopt${(r.foreign?.length ?? 0) > 1 ? ` --from ${f.tool}` : ''}\` (\`--dry-run\` first shows what it records)`,
      ),
    );
  for (const w of r.warnings ?? []) out.result(out.paint('yellow', `warning: ${w.file}: ${w.message}`));
  out.result('');
  if (r.migrations.length === 0) out.result('  no migrations');
  const vw = Math.max(7, ...r.migrations.map((m) => m.version.length));
  const sw = Math.max(5, ...r.migrations.map((m) => m.state.length));
  // When it was applied and how long it took are two columns: a timestamp and a duration side by side read as one.
  const took = (m: StatusReport['migrations'][number]) =>
    m.appliedAt && m.executionTimeMs !== undefined ? formatDuration(m.executionTimeMs) : '';
  const tw = Math.max(4, ...r.migrations.map((m) => took(m).length));
  out.result(
    `  ${'VERSION'.padEnd(vw)}  ${'STATE'.padEnd(sw)}  ${'APPLIED (UTC)'.padEnd(19)}  ${'TOOK'.padEnd(tw)}  FILE`,
  );
  for (const m of r.migrations) {
    const applied = m.appliedAt ? m.appliedAt.replace('T', ' ').slice(0, 19) : '';
    let line = `  ${m.version.padEnd(vw)}  ${out.paint(STYLE[m.state] ?? 'bold', m.state.padEnd(sw))}  ${applied.padEnd(19)}  ${took(m).padEnd(tw)}  ${m.file ?? ''}`;
    const pad = `\n  ${''.padEnd(vw)}  `;
    if (m.state === 'failed' || m.state === 'reverting') {
      const what = m.state === 'failed' ? 'stopped after statement' : 'its down script stopped after statement';
      const why = (m.error ?? '').split('\n')[0];
      line += `${pad}${out.paint('red', `${what} ${m.statementsApplied} of ${m.statementsTotal ?? '?'}`)}${why ? `: ${why}` : ' (the run was stopped)'}`;
    }
    if (m.fix) line += `${pad}fix: ${m.fix}`;
    out.result(line);
  }
  for (const ix of newer(r).invalidIndexes) {
    out.result('');
    out.result(`  ${out.paint('red', 'invalid index')} ${invalidIndexAdvice(ix)}`);
  }
  if (r.seeds.length > 0) {
    out.result('');
    out.result(
      `  seeds: ${r.seeds.map((s) => `${s.name} ${out.paint(s.state === 'applied' ? 'green' : 'yellow', s.state)}`).join(', ')}`,
    );
  }
  out.result('');
  const c = r.counts;
  const parts = [`${c.applied} applied`, `${c.pending} pending`];
  if (c['out-of-order']) parts.push(`${c['out-of-order']} out of order`);
  if (c.changed) parts.push(`${c.changed} changed`);
  if (c.missing) parts.push(`${c.missing} missing`);
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.reverting) parts.push(`${c.reverting} half-reverted`);
  const invalid = newer(r).invalidIndexes.length;
  if (invalid) parts.push(`${invalid} invalid index${invalid === 1 ? '' : 'es'}`);
  if (c.baselined) parts.push(`${c.baselined} below the baseline`);
  out.result(parts.join(', '));
}
