import type { Analysis } from './analyze.js';
import { readMigrations } from './files.js';
import { analyzeAll } from './analyze.js';
import { planFor, resolveTarget } from './migrate.js';
import { PlanError } from './plan.js';
import { type EngineOptions, withSession } from './session.js';
import { withoutWrapper } from './sql/wrapper.js';
import { defined } from '../util/defined.js';

export interface PlannedMigration {
  version: string;
  description: string;
  file: string;
  transactional: boolean;
  /** Why it runs outside a transaction. */
  reason: string | undefined;
  /** Non-transactional: the statement it resumes at (1-based), after a failed run. */
  resumeAt: number | undefined;
  statements: number;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  sql: string;
  /** The file's own BEGIN ... COMMIT, taken as the migration's transaction. */
  wrapper?: { beginLine: number; commitLine: number; modes: string } | undefined;
}

export interface DryRun {
  historyTable: string;
  current: string | undefined;
  migrations: PlannedMigration[];
}

function describe(a: Analysis): string | undefined {
  if (a.transactional) return undefined;
  if (a.nonTx.length === 0) return `marked ${a.marker ?? '-- schemagate:no-transaction'}`;
  return a.nonTx.map((n) => `line ${a.statements[n.index]?.line ?? '?'}: ${n.reason}`).join('; ');
}

/** What `migrate` would run, with transaction boundaries, without running it (no lock, no writes). */
export async function dryRun(opts: EngineOptions, params: { to?: string } = {}): Promise<DryRun> {
  const files = readMigrations(opts.migrationsDir, opts.format, { allowEmpty: opts.allowEmpty });
  const target = resolveTarget(files, params.to);
  return withSession(opts, 'plan', async (ctx) => {
    const plan = await planFor(ctx.history, files, opts, target);
    if (plan.problems.length > 0) throw new PlanError(plan.problems);
    const analyses = analyzeAll(plan.toRun);
    const rows = new Map(plan.entries.map((e) => [e.version, e.row]));
    return {
      historyTable: ctx.history.displayName,
      current: plan.current,
      migrations: plan.toRun.map((f) => {
        const a = defined(analyses.get(f.version.text), `the analysis of ${f.file}`);
        const row = rows.get(f.version.text);
        return {
          version: f.version.text,
          description: f.description,
          file: f.file,
          transactional: a.transactional,
          reason: describe(a),
          resumeAt: row && !row.success ? (row.statementsApplied ?? 0) + 1 : undefined,
          statements: a.statements.length,
          lockTimeoutMs: a.directives.lockTimeoutMs ?? opts.settings.lockTimeoutMs,
          statementTimeoutMs: a.directives.statementTimeoutMs ?? opts.settings.statementTimeoutMs,
          sql: withoutWrapper(f.sql, a.wrapper),
          ...(a.wrapper
            ? {
                wrapper: { beginLine: a.wrapper.begin.line, commitLine: a.wrapper.commit.line, modes: a.wrapper.modes },
              }
            : {}),
        };
      }),
    };
  });
}

/** The plan as an SQL script a person can read: what runs, in which transaction. */
export function renderDryRun(d: DryRun): string {
  const out: string[] = [];
  out.push(
    `-- schemagate plan: ${d.migrations.length} migration${d.migrations.length === 1 ? '' : 's'} to apply (history ${d.historyTable}, current version ${d.current ?? 'none'})`,
  );
  if (d.migrations.length === 0) out.push('-- nothing to do: the database is up to date');
  for (const m of d.migrations) {
    out.push('');
    if (m.transactional) {
      out.push(
        m.wrapper
          ? `-- ${m.version} ${m.description} (${m.file}): the file's own BEGIN (line ${m.wrapper.beginLine}) ... COMMIT (line ${m.wrapper.commitLine}) is its transaction, with its history row inside`
          : `-- ${m.version} ${m.description} (${m.file}): in one transaction with its history row`,
      );
      out.push(m.wrapper?.modes ? `BEGIN ${m.wrapper.modes};` : 'BEGIN;');
      out.push(`SET LOCAL lock_timeout = '${m.lockTimeoutMs}ms';`);
      out.push(`SET LOCAL statement_timeout = '${m.statementTimeoutMs}ms';`);
      out.push(m.sql.replace(/^(?:[ \t]*\n)+/, '').trimEnd());
      out.push(`-- + INSERT INTO ${d.historyTable} (version ${m.version})`);
      out.push('COMMIT;');
    } else {
      out.push(
        `-- ${m.version} ${m.description} (${m.file}): OUTSIDE a transaction (${m.reason}); ${m.statements} statements, each committed on its own, progress recorded after each${m.resumeAt ? `; resumes at statement ${m.resumeAt}` : ''}`,
      );
      out.push(`SET lock_timeout = '${m.lockTimeoutMs}ms';`);
      out.push(`SET statement_timeout = '${m.statementTimeoutMs}ms';`);
      out.push(m.sql.trimEnd());
    }
  }
  return out.join('\n') + '\n';
}
