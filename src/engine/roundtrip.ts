import { basename, dirname, join } from 'node:path';
import type { RequiredTable } from '../config/types.js';
import { ExitCode, isSchemagateError, SchemagateError } from '../errors.js';
import { down } from './down.js';
import { type MigrationFile, readMigrationFolder } from './files.js';
import { migrate } from './migrate.js';
import {
  changeKey,
  describeObject,
  diffSnapshots,
  formatChange,
  type SchemaChange,
  withoutMembersOfWhole,
} from './schema-diff.js';
import { buildSnapshot, itemKey, readCatalog, type SchemaSnapshot } from './schema-snapshot.js';
import { type EngineOptions, withSession } from './session.js';
import { systemClock } from '../util/time.js';
import { verify } from './verify.js';
import { defined, itemAt } from '../util/defined.js';

export interface RoundTripStep {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}

export interface RoundTripResult {
  ok: boolean;
  steps: RoundTripStep[];
  /** Every problem found, each naming its file and how to fix it. */
  problems: string[];
  /** 0 when clean; 4 for a missing or wrong down script or a non-repeatable migration; 8 when verify failed; else the code of the error that stopped it (6: a script failed). */
  exitCode: ExitCode;
}

export interface RoundTripParams {
  /** What `db verify` checks (config verify.tables). */
  tables: readonly RequiredTable[];
  /** Called as each step ends. */
  onStep?: (step: RoundTripStep) => void;
}

/** The down script a migration would have: `003_x.down.sql` next to `003_x.sql`, `U1__x.sql` next to `V1__x.sql`. */
export function downScriptName(f: Pick<MigrationFile, 'file' | 'version'>): string {
  const dir = dirname(f.file);
  const name = basename(f.file);
  if (/^V/.test(name)) return join(dir, name.replace(/^V/, 'U'));
  return `${join(dir, name.replace(/(\.up)?\.sql$/, '.down.sql'))} (or ${join(dir, `rollback_${f.version.text}.sql`)})`;
}

class Stop extends Error {}

/**
 * The migration round trip, on an EMPTY scratch database: apply every
 * migration (one at a time, with a snapshot after each), verify, revert them
 * all newest first (each down script must bring back the snapshot from before
 * its migration), compare with the empty database, apply them all again and
 * compare with the first pass. Down scripts are checked to exist before
 * anything runs. Errors of a step end the run and are reported in the result;
 * only errors that are not schemagate's (bugs) are thrown.
 */
export async function roundTrip(opts: EngineOptions, params: RoundTripParams): Promise<RoundTripResult> {
  const clock = opts.clock ?? systemClock;
  const steps: RoundTripStep[] = [];
  const problems: string[] = [];
  // Widened: `fail` below changes it, which narrowing cannot see.
  let exitCode = ExitCode.ok as ExitCode;
  const fail = (code: ExitCode) => {
    // The first failure decides; a verify failure (8) yields to a round-trip failure (4).
    if (exitCode === ExitCode.ok || exitCode === ExitCode.verify) exitCode = code;
  };
  const step = async (
    name: string,
    fn: () => Promise<{ ok: boolean; detail: string }> | { ok: boolean; detail: string },
  ): Promise<void> => {
    const started = clock.now();
    let r: { ok: boolean; detail: string };
    try {
      r = await fn();
    } catch (e) {
      if (!isSchemagateError(e)) throw e;
      const err = e;
      problems.push(`${err.message}${err.hint ? `\n${err.hint}` : ''}`);
      fail(err.exitCode);
      const s = { name, ok: false, ms: clock.now() - started, detail: err.message.split('\n')[0] ?? '' };
      steps.push(s);
      params.onStep?.(s);
      throw new Stop();
    }
    const s = { name, ok: r.ok, ms: clock.now() - started, detail: r.detail };
    steps.push(s);
    params.onStep?.(s);
  };
  const history = { schema: opts.schema, table: opts.table };
  let historySchemaIsOurs = false;
  const snapshot = async (): Promise<SchemaSnapshot> => {
    const s = buildSnapshot(await withSession(opts, 'check', (ctx) => readCatalog(ctx.client)), history);
    // A history table in a schema of its own brings that schema: it is not the migrations' doing.
    return historySchemaIsOurs ? { items: s.items.filter((i) => itemKey(i) !== `schema ${opts.schema}`) } : s;
  };
  const quiet = { ...opts, log: () => undefined };

  let files: MigrationFile[] = [];
  let empty: SchemaSnapshot = { items: [] };
  const first: SchemaSnapshot[] = [];
  try {
    await step('preflight', async () => {
      const reading = readMigrationFolder(opts.migrationsDir, opts.format, { allowEmpty: opts.allowEmpty });
      files = reading.files;
      for (const i of reading.ignored) problems.push(`warning: ${i.file}: ${i.message}`);
      empty = await snapshot();
      historySchemaIsOurs = !empty.items.some((i) => i.kind === 'schema' && i.name === opts.schema);
      const present = empty.items.filter((i) => i.kind !== 'schema' && i.kind !== 'extension');
      if (present.length > 0) {
        throw new SchemagateError(
          'check.not-empty',
          `the round trip needs an empty database, and this one holds ${present.length} object${present.length === 1 ? '' : 's'} (${present.slice(0, 3).map(describeObject).join(', ')}${present.length > 3 ? ', ...' : ''})`,
          {
            exitCode: ExitCode.refused,
            hint: 'Run `schemagate db check` without --database-url (a throwaway server), or with the URL of a server where it may create a scratch database.',
          },
        );
      }
      const missing = files.filter((f) => !f.down);
      for (const f of missing)
        problems.push(
          `${f.file}: no down script, so the round trip cannot revert it. Write ${downScriptName(f)} that undoes it.`,
        );
      if (missing.length > 0) {
        fail(ExitCode.validation);
        return {
          ok: false,
          detail: `${missing.length} of ${files.length} migration${files.length === 1 ? '' : 's'} without a down script: ${missing.map((f) => f.file).join(', ')}; nothing ran`,
        };
      }
      return {
        ok: true,
        detail: `${files.length} migration${files.length === 1 ? '' : 's'}, each with a down script; the database is empty`,
      };
    });
    if (exitCode !== ExitCode.ok) throw new Stop();

    await step('apply all', async () => {
      first.push(empty);
      for (const f of files) {
        opts.signal?.throwIfAborted();
        await migrate(quiet, { to: f.version.text });
        first.push(await snapshot());
      }
      return { ok: true, detail: `applied ${files.length} migration${files.length === 1 ? '' : 's'}` };
    });

    await step('verify', async () => {
      const r = await verify(quiet, params.tables);
      if (r.ok)
        return {
          ok: true,
          detail: `version ${r.current ?? '(none)'}, ${params.tables.length} required table${params.tables.length === 1 ? '' : 's'} present`,
        };
      for (const p of r.problems)
        problems.push(
          `after applying every migration, db verify fails: ${p.message}. Add it to a migration, or fix verify.tables in schemagate.yaml.`,
        );
      fail(ExitCode.verify);
      return {
        ok: false,
        detail: `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}: ${r.problems.map((p) => p.message).join('; ')}`,
      };
    });

    const full = itemAt(first, -1, 'the schema after the last migration');
    await step('snapshot', () => ({ ok: true, detail: summarise(full) }));

    // Per down script: the differences it leaves that were not there before it ran.
    const leftBy = new Map<string, MigrationFile>();
    let final: SchemaSnapshot = full;
    await step('revert all', async () => {
      let residual = new Set<string>();
      const inexact: string[] = [];
      for (let i = files.length; i >= 1; i--) {
        opts.signal?.throwIfAborted();
        const f = itemAt(files, i - 1, `migration ${i}`);
        const downFile = defined(f.down, `the down script of ${f.file}`).file;
        await down(quiet, { steps: 1 });
        final = await snapshot();
        const changes = diffSnapshots(itemAt(first, i - 1, `the schema before ${f.file}`), final);
        const fresh = changes.filter((c) => !residual.has(formatChange(c)));
        residual = new Set(changes.map(formatChange));
        if (fresh.length === 0) continue;
        for (const c of fresh) if (!leftBy.has(changeKey(c))) leftBy.set(changeKey(c), f);
        inexact.push(downFile);
        problems.push(
          `${downFile} does not undo ${f.file} exactly; after it ran, these differ from the schema before the migration:\n${withoutMembersOfWhole(
            fresh,
          )
            .map((c) => `  ${formatChange(c)}`)
            .join(
              '\n',
            )}\nMake the down script reverse every change of the migration (- is missing, + is left over, ~ differs).`,
        );
      }
      if (inexact.length > 0) fail(ExitCode.validation);
      return inexact.length === 0
        ? {
            ok: true,
            detail: `${files.length} down script${files.length === 1 ? '' : 's'} ran, newest first, each undoing its migration exactly`,
          }
        : {
            ok: false,
            detail: `${inexact.length} of ${files.length} down scripts do not undo their migration exactly: ${inexact.join(', ')}`,
          };
    });

    let leftovers: SchemaChange[] = [];
    await step('compare with the empty database', () => {
      leftovers = diffSnapshots(empty, final);
      if (leftovers.length === 0) return { ok: true, detail: 'nothing is left after reverting everything' };
      fail(ExitCode.validation);
      // A table left over is one difference, not one per column: count what is listed.
      const shown = withoutMembersOfWhole(leftovers);
      problems.push(
        `after reverting everything, the schema is not the empty one:\n${shown
          .map((c) => `  ${describeLeftover(c, first, files, leftBy)}`)
          .join('\n')}`,
      );
      return {
        ok: false,
        detail: `${shown.length} difference${shown.length === 1 ? '' : 's'} from the empty database: ${shown
          .slice(0, 5)
          .map((c) => `${c.sign} ${describeObject(c)}`)
          .join(', ')}${shown.length > 5 ? ', ...' : ''}`,
      };
    });
    // Applying again on top of leftovers would fail for reasons already reported.
    if (leftovers.length > 0) throw new Stop();

    const second: SchemaSnapshot[] = [empty];
    await step('apply all again', async () => {
      for (const f of files) {
        opts.signal?.throwIfAborted();
        await migrate(quiet, { to: f.version.text });
        second.push(await snapshot());
      }
      return { ok: true, detail: `applied ${files.length} migration${files.length === 1 ? '' : 's'} again` };
    });

    await step('compare with the first pass', () => {
      const changes = diffSnapshots(full, itemAt(second, -1, 'the schema after the second pass'));
      if (changes.length === 0) return { ok: true, detail: 'the second pass gives the same schema as the first' };
      fail(ExitCode.validation);
      const firstSeen = (c: SchemaChange) => {
        for (let i = 1; i < second.length; i++)
          if (
            diffSnapshots(itemAt(first, i, 'a first-pass schema'), itemAt(second, i, 'a second-pass schema')).some(
              (x) => changeKey(x) === changeKey(c),
            )
          )
            return itemAt(files, i - 1, `migration ${i}`).file;
        return undefined;
      };
      problems.push(
        `applied a second time, the migrations give a different schema than the first time (a migration that is not repeatable, or a down script that does not undo it exactly):\n${changes
          .map((c) => {
            const f = firstSeen(c);
            return `  ${formatChange(c)}${f ? `  (differs from the first pass after ${f})` : ''}`;
          })
          .join(
            '\n',
          )}\nA migration should give the same schema every time it runs on the same database: no values computed when it runs (clock_timestamp(), random(), current settings) in defaults or definitions.`,
      );
      return {
        ok: false,
        detail: `${changes.length} difference${changes.length === 1 ? '' : 's'} from the first pass: ${changes
          .slice(0, 5)
          .map((c) => `${c.sign} ${describeObject(c)}`)
          .join(', ')}${changes.length > 5 ? ', ...' : ''}`,
      };
    });
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
  }
  return { ok: exitCode === ExitCode.ok, steps, problems, exitCode };
}

/** `table public.x (created by migrations/003_x.sql; migrations/003_x.down.sql left it)`. */
function describeLeftover(
  c: SchemaChange,
  first: readonly SchemaSnapshot[],
  files: readonly MigrationFile[],
  leftBy: ReadonlyMap<string, MigrationFile>,
): string {
  const key = `${c.kind} ${c.name}`;
  let createdBy: string | undefined;
  for (let i = 1; i < first.length && !createdBy; i++) {
    const has = (s: SchemaSnapshot) => s.items.some((x) => itemKey(x) === key);
    if (has(itemAt(first, i, 'a schema')) && !has(itemAt(first, i - 1, 'a schema')))
      createdBy = itemAt(files, i - 1, `migration ${i}`).file;
  }
  const by = leftBy.get(changeKey(c));
  if (c.sign === '-')
    return `${formatChange(c)}  (was there before any migration ran; ${by?.down ? `${by.down.file} removed it` : 'removed by a down script'})`;
  if (c.sign === '~')
    return `${formatChange(c)}  (${by?.down ? `changed by ${by.down.file}` : 'changed by a down script'})`;
  const origin = createdBy ? `created by ${createdBy}` : 'created by a down script';
  return `${describeObject(c)}  (${origin}; ${by?.down ? `${by.down.file} does not remove it` : 'left by a down script'})`;
}

function summarise(s: SchemaSnapshot): string {
  const counts = new Map<string, number>();
  for (const i of s.items) counts.set(i.kind, (counts.get(i.kind) ?? 0) + 1);
  const parts = [...counts].map(([k, n]) => `${n} ${k}${n === 1 ? '' : k.endsWith('x') ? 'es' : 's'}`);
  return `${s.items.length} objects: ${parts.join(', ')}`;
}
