import { readFileSync } from 'node:fs';
import { normalizeSql } from '../engine/checksum.js';
import { codeFrame } from '../engine/sql/error-frame.js';
import type { Finding } from './lint.js';
import type { LintReport } from './run.js';

type Paint = (style: 'red' | 'yellow' | 'dim' | 'bold', text: string) => string;
const plain: Paint = (_s, t) => t;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What was linted and against which PostgreSQL, in one line. */
export function describeScope(r: LintReport): string {
  const n = plural(r.targets.length, 'migration');
  const s = r.scope;
  const what =
    s.kind === 'pending'
      ? `${n} pending on ${s.database}${s.current ? ` (at version ${s.current})` : ''}`
      : s.kind === 'since'
        ? `${n} after version ${s.since} (${s.from})`
        : `all ${n} (no database given)`;
  const pg = r.pgVersion
    ? `PostgreSQL ${r.pgVersion.version} (from ${r.pgVersion.from})`
    : "PostgreSQL version not given (Squawk's default: a current one)";
  return `${what}; ${pg}; Squawk ${r.squawk.version}`;
}

/** `file:line:column: error rule: message`, a code frame, then Squawk's help, schemagate's note and the rule's page. */
export function formatFinding(f: Finding, source: string | undefined, paint: Paint = plain, brief = false): string {
  const level = f.severity === 'error' ? paint('red', 'error') : paint('yellow', 'warning');
  const lines = [`${f.file}:${f.line}:${f.column}: ${level} ${paint('bold', f.rule)}: ${f.message}`];
  if (source !== undefined) lines.push(codeFrame(source, f.line, f.column, { above: 0, below: 0 }));
  if (f.help) lines.push(`  help: ${f.help}`);
  if (brief) return lines.join('\n');
  if (f.note) lines.push(`  note: ${f.note}`);
  if (f.url) lines.push(paint('dim', `  see: ${f.url}`));
  return lines.join('\n');
}

/** The whole report as text: findings (with frames), plan problems, and a summary line. */
export function renderLint(r: LintReport, paint: Paint = plain): string[] {
  const sources = new Map<string, string | undefined>();
  const source = (f: Finding) => {
    if (!sources.has(f.file)) {
      const t = r.targets.find((x) => x.file === f.file);
      sources.set(f.file, t ? normalizeSql(readFileSync(t.path, 'utf8')) : undefined);
    }
    return sources.get(f.file);
  };
  const out = r.findings.map((f) => `${formatFinding(f, source(f), paint)}\n`);
  if (r.scope.kind === 'pending' && r.scope.problems.length > 0) {
    out.push(
      `${paint('yellow', 'note:')} db migrate will refuse to run on this database until these are fixed (see \`schemagate db status\`):\n${r.scope.problems.map((p) => `  - ${p.message}`).join('\n')}\n`,
    );
  }
  out.push(`lint: ${describeScope(r)}`);
  out.push(summary(r));
  return out;
}

export function summary(r: LintReport): string {
  if (r.targets.length === 0) return 'nothing to lint';
  if (r.findings.length === 0) return `no findings in ${plural(r.targets.length, 'migration')}`;
  const counts = [r.errors ? plural(r.errors, 'error') : '', r.warnings ? plural(r.warnings, 'warning') : ''];
  return `${counts.filter(Boolean).join(', ')} in ${plural(new Set(r.findings.map((f) => f.file)).size, 'file')}`;
}
