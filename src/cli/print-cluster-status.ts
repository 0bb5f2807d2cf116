import type { ClusterStatus } from '../tasks/cluster-status.js';
import type { Output } from './output.js';
import { printStatus } from './print-status.js';

function age(iso: string | undefined): string {
  if (!iso) return '';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 120
    ? `${s}s`
    : s < 7200
      ? `${Math.round(s / 60)}m`
      : s < 172800
        ? `${Math.round(s / 3600)}h`
        : `${Math.round(s / 86400)}d`;
}

export function printClusterStatus(out: Output, s: ClusterStatus): void {
  out.result(`context   ${s.context}`);
  out.result(`namespace ${s.namespace}`);
  out.result('');
  if (s.jobs.length === 0)
    out.result('  no migration or seed Jobs (their TTL may have removed them; the database below is what counts)');
  for (const j of s.jobs) {
    const cond = j.conditions.map((c) => `${c.type}${c.reason ? `(${c.reason})` : ''}`).join(', ');
    const style = j.state === 'complete' ? 'green' : j.state === 'failed' ? 'red' : 'yellow';
    out.result(
      `  ${j.kind.padEnd(8)} job/${j.name}  ${out.paint(style, j.state)}  attempts: ${j.attempts.succeeded} succeeded, ${j.attempts.failed} failed, ${j.attempts.active} active  age ${age(j.created)}${cond ? `  [${cond}]` : ''}`,
    );
  }
  out.result('');
  if (s.backend) {
    const b = s.backend;
    out.result(
      `  backend  deployment/${b.name}  ${b.available}/${b.replicas} available, ${b.updated} updated  ${b.rolledOut ? out.paint('green', 'rolled out') : out.paint('yellow', 'rolling out')}`,
    );
  } else {
    out.result('  backend  not deployed');
  }
  out.result('');
  if ('error' in s.database) out.result(`  database: ${out.paint('red', s.database.error)}`);
  else printStatus(out, s.database);
}
