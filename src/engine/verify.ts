import type { RequiredTable } from '../config/types.js';
import { ExitCode, SchemagateError } from '../errors.js';
import type { Client } from './connect.js';
import { type MigrationFile, readMigrations } from './files.js';
import { invalidIndexAdvice, invalidIndexes } from './invalid-indexes.js';
import { buildPlan } from './plan.js';
import { type EngineOptions, withSession } from './session.js';
import { compareVersions, compareVersionTexts } from './version.js';

export interface VerifyProblem {
  kind:
    | 'pending'
    | 'changed'
    | 'missing-file'
    | 'failed'
    | 'reverting'
    | 'missing-table'
    | 'missing-column'
    | 'out-of-order'
    | 'invalid-index';
  /** The version, table or `table.column` concerned. */
  subject: string;
  message: string;
}

/** A version applied by a later release (newer than every migration this image or folder has): reported, not a problem. */
export interface NewerVersion {
  version: string;
  description: string;
  script: string;
  /** False: the later release's migration stopped part-way (its own concern, not this version's). */
  success: boolean;
}

export interface VerifyReport {
  ok: boolean;
  /** The highest applied version (a later release's, when one ran). */
  current: string | undefined;
  /** The highest version among the migration files here: what this image (or folder) knows. */
  known: string | undefined;
  /** Applied versions newer than `known`, oldest first. */
  newer: NewerVersion[];
  problems: VerifyProblem[];
}

export class VerifyError extends SchemagateError {
  override readonly name = 'VerifyError';
  readonly report: VerifyReport;
  constructor(report: VerifyReport) {
    super(
      'verify',
      `the database schema is not what the application needs (${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}):\n${report.problems.map((p) => `  - ${p.message}`).join('\n')}`,
      { exitCode: ExitCode.verify, hint: verifyHint(report) },
    );
    this.report = report;
  }
}

/**
 * What gets past each kind of problem: `db migrate` only for what it can do
 * (pending, half-applied), since it refuses an edited or deleted migration.
 */
export function verifyHint(report: VerifyReport): string {
  const of = (kind: VerifyProblem['kind']) => report.problems.filter((p) => p.kind === kind).map((p) => p.subject);
  const hints: string[] = [];
  const changed = of('changed');
  if (changed.length)
    hints.push(
      `An applied migration was edited (${changed.join(', ')}): undo the edit, or once you have checked it is harmless run \`schemagate db repair --accept ${changed[0]}\`.`,
    );
  const gone = of('missing-file');
  if (gone.length)
    hints.push(
      `An applied migration's file is gone (${gone.join(', ')}): restore it, or if it was deleted on purpose run \`schemagate db repair --forget ${gone[0]}\`.`,
    );
  if (of('pending').length || of('failed').length)
    hints.push(
      'Run `schemagate db migrate` (or `schemagate migrate` in a cluster) to apply pending migrations and resume a half-applied one.',
    );
  if (of('missing-table').length || of('missing-column').length)
    hints.push(
      'A required table or column is missing: add a migration that creates it, or fix verify.tables in schemagate.yaml.',
    );
  hints.push('`schemagate db status` shows every migration.');
  return hints.join(' ');
}

/** Which of the required tables and columns are missing. */
export async function missingTables(
  client: Client,
  defaultSchema: string,
  tables: readonly RequiredTable[],
): Promise<VerifyProblem[]> {
  if (tables.length === 0) return [];
  const wanted = tables.map((t) => {
    const [schema, name] = t.name.includes('.') ? (t.name.split('.', 2) as [string, string]) : [defaultSchema, t.name];
    return { schema, name, columns: t.columns, shown: t.name };
  });
  const { rows } = await client.query<{ table_schema: string; table_name: string; column_name: string }>(
    `SELECT table_schema, table_name, column_name FROM information_schema.columns
      WHERE (table_schema, table_name) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
    [wanted.map((w) => w.schema), wanted.map((w) => w.name)],
  );
  const found = new Map<string, Set<string>>();
  for (const r of rows) {
    const k = `${r.table_schema}.${r.table_name}`;
    const columns = found.get(k) ?? new Set<string>();
    found.set(k, columns);
    columns.add(r.column_name);
  }
  const problems: VerifyProblem[] = [];
  for (const w of wanted) {
    const cols = found.get(`${w.schema}.${w.name}`);
    if (!cols) {
      problems.push({
        kind: 'missing-table',
        subject: `${w.schema}.${w.name}`,
        message: `table ${w.schema}.${w.name} does not exist`,
      });
      continue;
    }
    for (const c of w.columns) {
      if (!cols.has(c))
        problems.push({
          kind: 'missing-column',
          subject: `${w.schema}.${w.name}.${c}`,
          message: `column ${w.schema}.${w.name}.${c} does not exist`,
        });
    }
  }
  return problems;
}

/**
 * Is the database ready for the application? Every migration file applied with
 * a matching checksum, nothing half-applied, and the required tables and
 * columns present. Read-only; what the backend's init container and /health run.
 *
 * Forward-compatible: versions applied by a later release, newer than every
 * file here, are reported (`newer`), not problems. During a rolling release
 * the new migration runs while the old pods still serve; they need their own
 * migrations applied unchanged, and stay ready.
 */
export async function verify(opts: EngineOptions, tables: readonly RequiredTable[]): Promise<VerifyReport> {
  const files = readMigrations(opts.migrationsDir, opts.format, { allowEmpty: opts.allowEmpty });
  const known = files.reduce<MigrationFile | undefined>(
    (max, f) => (!max || compareVersions(f.version, max.version) > 0 ? f : max),
    undefined,
  );
  return withSession(opts, 'verify', async (ctx) => {
    const plan = buildPlan(files, await ctx.history.list(), { outOfOrder: opts.outOfOrder, dir: opts.migrationsDir });
    const problems: VerifyProblem[] = [];
    const newer: NewerVersion[] = [];
    for (const e of plan.entries) {
      const f = e.file?.file ?? e.row?.script ?? e.version;
      if (e.state === 'missing' && e.row && (!known || compareVersionTexts(e.version, known.version.text) > 0)) {
        newer.push({ version: e.version, description: e.description, script: e.row.script, success: e.row.success });
        continue;
      }
      if (e.state === 'pending' || e.state === 'out-of-order')
        problems.push({
          kind: 'pending',
          subject: e.version,
          message: `migration ${f} (version ${e.version}) is not applied`,
        });
      else if (e.state === 'changed')
        problems.push({
          kind: 'changed',
          subject: e.version,
          message: `migration ${f} (version ${e.version}) was changed after it was applied`,
        });
      else if (e.state === 'missing')
        problems.push({
          kind: 'missing-file',
          subject: e.version,
          message: `version ${e.version} is applied but its file ${f} is not in this image or folder`,
        });
      else if (e.state === 'failed')
        problems.push({
          kind: 'failed',
          subject: e.version,
          message: `migration ${f} (version ${e.version}) is half-applied: ${e.row?.statementsApplied ?? 0} of ${e.row?.statementsTotal ?? '?'} statements ran before it stopped`,
        });
      else if (e.state === 'reverting')
        problems.push({
          kind: 'reverting',
          subject: e.version,
          message: `migration ${f} (version ${e.version}) is half-reverted: its down script ran ${e.row?.statementsApplied ?? 0} of ${e.row?.statementsTotal ?? '?'} statements before it stopped`,
        });
    }
    problems.push(...(await missingTables(ctx.client, opts.schema, tables)));
    for (const ix of await invalidIndexes(ctx.client))
      problems.push({ kind: 'invalid-index', subject: ix.index, message: invalidIndexAdvice(ix) });
    newer.sort((a, b) => compareVersionTexts(a.version, b.version));
    return { ok: problems.length === 0, current: plan.current, known: known?.version.text, newer, problems };
  });
}
