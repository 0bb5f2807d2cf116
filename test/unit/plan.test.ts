import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import type { MigrationFile } from '../../src/engine/files.js';
import type { HistoryRow } from '../../src/engine/history.js';
import { buildPlan, PlanError, type PlanOptions } from '../../src/engine/plan.js';
import { parseVersion } from '../../src/engine/version.js';

/** Plans are computed from plain data: files as read, rows as stored (STYLE 4). */
const AT = new Date('2024-05-01T10:00:00.000Z');

function file(version: string, sum = `sum-${version}`): MigrationFile {
  const v = parseVersion(version)!;
  const name = `migrations/${version}_m${version.replace(/\./g, '_')}.sql`;
  return {
    version: v,
    description: `m${version}`,
    file: name,
    path: `/app/${name}`,
    sql: `SELECT ${version};`,
    checksum: sum,
    down: undefined,
  };
}

function row(version: string, over: Partial<HistoryRow> = {}): HistoryRow {
  return {
    kind: 'migration',
    version,
    description: `m${version}`,
    script: `migrations/${version}_m${version.replace(/\./g, '_')}.sql`,
    checksum: `sum-${version}`,
    appliedAt: AT,
    appliedBy: 'app',
    executionTimeMs: 1,
    success: true,
    statementsApplied: null,
    statementsTotal: null,
    statementChecksums: null,
    error: null,
    ...over,
  };
}

const plan = (files: MigrationFile[], rows: HistoryRow[], opts: PlanOptions = {}) => buildPlan(files, rows, opts);
const states = (p: ReturnType<typeof plan>) => p.entries.map((e) => [e.version, e.state]);
const runs = (p: ReturnType<typeof plan>) => p.toRun.map((f) => f.version.text);

describe('buildPlan: states', () => {
  it('on an empty history, every file is pending and runs in version order', () => {
    const p = plan([file('1'), file('2'), file('10')], []);
    expect(states(p)).toEqual([
      ['1', 'pending'],
      ['2', 'pending'],
      ['10', 'pending'],
    ]);
    expect(runs(p)).toEqual(['1', '2', '10']);
    expect(p.problems).toEqual([]);
    expect(p.current).toBeUndefined();
    expect(p.baseline).toBeUndefined();
  });

  it('marks applied files with matching checksums applied and runs only the rest', () => {
    const p = plan([file('1'), file('2'), file('3')], [row('1'), row('2')]);
    expect(states(p)).toEqual([
      ['1', 'applied'],
      ['2', 'applied'],
      ['3', 'pending'],
    ]);
    expect(runs(p)).toEqual(['3']);
    expect(p.current).toBe('2');
  });

  it('takes the current version numerically: 10 is above 9', () => {
    expect(plan([file('9'), file('10')], [row('10'), row('9')]).current).toBe('10');
  });

  it('reports an applied file whose checksum changed, with its file, version, date and the repair command', () => {
    const p = plan([file('1', 'edited'), file('2')], [row('1')]);
    expect(states(p)).toEqual([
      ['1', 'changed'],
      ['2', 'pending'],
    ]);
    expect(p.problems).toEqual([
      {
        version: '1',
        file: 'migrations/1_m1.sql',
        message:
          'migrations/1_m1.sql was changed after it was applied (version 1, applied 2024-05-01T10:00:00.000Z): the database will not get the edit. Revert the edit and put the change in a new migration; if the edit changes nothing (a comment, formatting), accept it with `schemagate db repair --accept 1`',
      },
    ]);
  });

  it('reports an applied version whose file is gone, naming the folder and the repair command', () => {
    const p = plan([file('2')], [row('1'), row('2')], { dir: 'db/migrations/' });
    expect(states(p)).toEqual([
      ['1', 'missing'],
      ['2', 'applied'],
    ]);
    expect(p.entries[0]!.file).toBeUndefined();
    expect(p.problems).toEqual([
      {
        version: '1',
        file: 'migrations/1_m1.sql',
        message:
          'version 1 (migrations/1_m1.sql) was applied 2024-05-01T10:00:00.000Z but its file is not in db/migrations/: restore the file, or if it was removed on purpose, forget it with `schemagate db repair --forget 1`',
      },
    ]);
  });

  it('names the folder relative to the working directory when given its absolute path', () => {
    expect(plan([], [row('4')], { dir: join(process.cwd(), 'db', 'migrations') }).problems[0]!.message).toContain(
      'its file is not in db/migrations/:',
    );
  });

  it('names the folder "migrations/" when no folder is given', () => {
    expect(plan([], [row('4')]).problems[0]!.message).toContain('its file is not in migrations/:');
  });

  it('marks a half-applied run failed and resumes it before anything pending', () => {
    const p = plan(
      [file('1'), file('2'), file('3')],
      [row('1'), row('2', { success: false, statementsApplied: 1, statementsTotal: 3 })],
    );
    expect(states(p)).toEqual([
      ['1', 'applied'],
      ['2', 'failed'],
      ['3', 'pending'],
    ]);
    expect(runs(p)).toEqual(['2', '3']);
    expect(p.problems).toEqual([]);
    // A failed run is not the current version.
    expect(p.current).toBe('1');
  });

  it('resumes a failed run ahead of a lower pending one that is allowed out of order', () => {
    const p = plan([file('1'), file('2'), file('3')], [row('1'), row('3', { success: false })], { outOfOrder: true });
    expect(runs(p)).toEqual(['3', '2']);
  });

  it('treats files up to the baseline as baselined, and the baseline as the current version', () => {
    const p = plan([file('1'), file('2'), file('3')], [row('2', { kind: 'baseline', script: '', checksum: '' })]);
    expect(states(p)).toEqual([
      ['1', 'baselined'],
      ['2', 'baselined'],
      ['3', 'pending'],
    ]);
    expect(runs(p)).toEqual(['3']);
    expect(p.baseline).toBe('2');
    expect(p.current).toBe('2');
    expect(p.problems).toEqual([]);
  });

  it('uses the highest of several baselines', () => {
    const p = plan(
      [file('1'), file('5'), file('10')],
      [row('5', { kind: 'baseline' }), row('10', { kind: 'baseline' })],
    );
    expect(p.baseline).toBe('10');
    expect(runs(p)).toEqual([]);
  });

  it('refuses a pending file below the current version, unless out-of-order is allowed', () => {
    const files = [file('1'), file('2'), file('3')];
    const rows = [row('1'), row('3')];
    const refused = plan(files, rows);
    expect(states(refused)).toEqual([
      ['1', 'applied'],
      ['2', 'out-of-order'],
      ['3', 'applied'],
    ]);
    expect(runs(refused)).toEqual([]);
    expect(refused.problems).toEqual([
      {
        version: '2',
        file: 'migrations/2_m2.sql',
        message:
          'migrations/2_m2.sql (version 2) is pending, but version 3 is already applied: it would run out of order. Renumber it above 3, or allow out-of-order migrations with migrations.outOfOrder: true; if its changes are already in the database (its history row was deleted), record it as applied with `schemagate db repair --mark-applied 2`',
      },
    ]);
    const allowed = plan(files, rows, { outOfOrder: true });
    expect(states(allowed)).toEqual(states(refused));
    expect(runs(allowed)).toEqual(['2']);
    expect(allowed.problems).toEqual([]);
  });

  it('ignores seed rows', () => {
    const p = plan([file('1')], [row('01_users.sql', { kind: 'seed' }), row('1')]);
    expect(states(p)).toEqual([['1', 'applied']]);
    expect(p.problems).toEqual([]);
  });

  it('sorts entries by version, missing ones included', () => {
    const p = plan([file('2'), file('10')], [row('9'), row('2'), row('10')]);
    expect(p.entries.map((e) => e.version)).toEqual(['2', '9', '10']);
  });
});

describe('buildPlan: target (migrate --to)', () => {
  it('runs pending migrations up to and including the target', () => {
    const p = plan([file('1'), file('2'), file('3'), file('4')], [row('1')], { target: parseVersion('3')! });
    expect(runs(p)).toEqual(['2', '3']);
    expect(states(p)).toEqual([
      ['1', 'applied'],
      ['2', 'pending'],
      ['3', 'pending'],
      ['4', 'pending'],
    ]);
  });

  it('compares the target numerically (--to 10 includes 9)', () => {
    expect(runs(plan([file('9'), file('10'), file('11')], [], { target: parseVersion('010')! }))).toEqual(['9', '10']);
  });

  it('does not resume a failed run above the target', () => {
    const p = plan([file('1'), file('2'), file('3')], [row('1'), row('3', { success: false })], {
      target: parseVersion('2')!,
      outOfOrder: true,
    });
    expect(runs(p)).toEqual(['2']);
  });

  it('still reports problems above the target', () => {
    const p = plan([file('1', 'edited'), file('2')], [row('1')], { target: parseVersion('1')! });
    expect(p.problems.map((x) => x.version)).toEqual(['1']);
  });
});

describe('PlanError', () => {
  it('shows a single problem as it is, says nothing was changed, and exits 4', () => {
    const p = plan([file('1', 'edited')], [row('1')]);
    const e = new PlanError(p.problems);
    expect(e.message).toBe(p.problems[0]!.message);
    expect(e.hint).toBe('Nothing was changed in the database.');
    expect(e.exitCode).toBe(ExitCode.validation);
    expect(e.context).toEqual({ file: 'migrations/1_m1.sql', version: '1' });
  });

  it('lists several problems under one header', () => {
    const p = plan([file('1', 'edited'), file('2'), file('4')], [row('1'), row('3'), row('4')]);
    const e = new PlanError(p.problems);
    expect(e.message).toBe(
      [
        '3 problems stop the migration before anything runs:',
        '  - migrations/1_m1.sql was changed after it was applied (version 1, applied 2024-05-01T10:00:00.000Z): the database will not get the edit. Revert the edit and put the change in a new migration; if the edit changes nothing (a comment, formatting), accept it with `schemagate db repair --accept 1`',
        '  - migrations/2_m2.sql (version 2) is pending, but version 4 is already applied: it would run out of order. Renumber it above 4, or allow out-of-order migrations with migrations.outOfOrder: true; if its changes are already in the database (its history row was deleted), record it as applied with `schemagate db repair --mark-applied 2`',
        '  - version 3 (migrations/3_m3.sql) was applied 2024-05-01T10:00:00.000Z but its file is not in migrations/: restore the file, or if it was removed on purpose, forget it with `schemagate db repair --forget 3`',
      ].join('\n'),
    );
  });
});

describe('buildPlan: history rows schemagate did not write', () => {
  const plan = (files: MigrationFile[], rows: HistoryRow[], opts: PlanOptions = {}) => buildPlan(files, rows, opts);

  it('names a row whose version is not in canonical form (02, abc) as matching no file, with the repair that takes it', () => {
    const p = plan(
      [file('1'), file('2'), file('3')],
      [row('1'), row('2'), row('02', { script: 'hand' }), row('abc', { script: 'hand' })],
    );
    expect(p.entries.filter((e) => e.state === 'missing').map((e) => e.version)).toEqual(['02', 'abc']);
    expect(p.problems.map((x) => x.message)).toEqual([
      'the history has a row with version "02", which is not how schemagate records a version (it would be "2"): it was written by hand or by another tool, and matches no migration file. If it means nothing, forget it with `schemagate db repair --forget 02`',
      'the history has a row with version "abc", which is not how schemagate records a version: it was written by hand or by another tool, and matches no migration file. If it means nothing, forget it with `schemagate db repair --forget abc`',
    ]);
    // Neither counts as the current version: 3 is still pending, not out of order.
    expect(p.current).toBe('2');
    expect(p.toRun.map((f) => f.version.text)).toEqual(['3']);
  });

  it('reads an applied row with down-script progress as half-reverted, which stops migrate', () => {
    const p = plan([file('1'), file('2')], [row('1'), row('2', { statementsApplied: 1, statementsTotal: 3 })]);
    expect(p.entries.map((e) => [e.version, e.state])).toEqual([
      ['1', 'applied'],
      ['2', 'reverting'],
    ]);
    expect(p.problems.map((x) => x.message)).toEqual([
      'migrations/2_m2.sql (version 2) is half-reverted: its down script ran 1 of 3 statements before it stopped. Finish reverting it with `schemagate db down`, or, if you restored what it reverted by hand, record it as applied with `schemagate db repair --mark-applied 2`',
    ]);
  });
});
