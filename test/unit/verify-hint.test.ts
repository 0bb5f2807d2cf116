import { describe, expect, it } from 'vitest';
import { type VerifyProblem, VerifyError, verifyHint } from '../../src/engine/verify.js';

const report = (problems: VerifyProblem[]) => ({ ok: false, current: '4', known: '4', newer: [], problems });

describe("db verify's hint fits what is wrong", () => {
  it('after drift, suggests repairing or undoing the edit, not db migrate (which refuses)', () => {
    const hint = verifyHint(
      report([{ kind: 'changed', subject: '3', message: 'migration migrations/003_x.sql (version 3) was changed' }]),
    );
    expect(hint).toBe(
      'An applied migration was edited (3): undo the edit, or once you have checked it is harmless run `schemagate db repair --accept 3`. `schemagate db status` shows every migration.',
    );
    expect(hint).not.toContain('db migrate');
  });

  it('names db repair --forget for a deleted file, db migrate for pending work, and verify.tables for a missing table', () => {
    expect(verifyHint(report([{ kind: 'missing-file', subject: '2', message: '' }]))).toContain(
      '`schemagate db repair --forget 2`',
    );
    expect(verifyHint(report([{ kind: 'pending', subject: '5', message: '' }]))).toContain('`schemagate db migrate`');
    expect(verifyHint(report([{ kind: 'missing-table', subject: 'public.users', message: '' }]))).toContain(
      'fix verify.tables in schemagate.yaml',
    );
    expect(new VerifyError(report([{ kind: 'changed', subject: '3', message: 'x' }])).hint).toContain(
      'db repair --accept 3',
    );
  });
});
