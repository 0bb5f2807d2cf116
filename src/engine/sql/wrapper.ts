import type { TxControlFinding } from './nontx.js';
import type { Statement } from './splitter.js';
import { itemAt } from '../../util/defined.js';

/**
 * A file wrapped in its own transaction: `BEGIN` (or `START TRANSACTION`) as
 * its first statement, `COMMIT` (or `END`) as its last, and no other
 * transaction control between (common with golang-migrate, which does not
 * wrap files itself). schemagate runs such a file as the migration's own
 * transaction, with its history row inside, and the BEGIN's modes
 * (`ISOLATION LEVEL SERIALIZABLE`, ...) kept.
 */
export interface Wrapper {
  begin: Statement;
  commit: Statement;
  /** The transaction modes the BEGIN gives, e.g. `ISOLATION LEVEL SERIALIZABLE`; empty when none. */
  modes: string;
  commitKeyword: string;
}

const OPENERS = new Set(['BEGIN', 'START TRANSACTION']);
const CLOSERS = new Set(['COMMIT', 'END']);

export function findWrapper(
  statements: readonly Statement[],
  control: readonly TxControlFinding[],
): Wrapper | undefined {
  const [open, close, ...more] = control;
  if (!open || !close || more.length > 0) return undefined;
  if (open.index !== 0 || !OPENERS.has(open.keyword)) return undefined;
  if (close.index !== statements.length - 1 || !CLOSERS.has(close.keyword)) return undefined;
  const begin = itemAt(statements, 0, 'the BEGIN statement');
  const commit = itemAt(statements, -1, 'the COMMIT statement');
  // COMMIT AND CHAIN opens another transaction at once: not a wrapper.
  if (/\band\s+chain\s*$/i.test(commit.text) && !/\band\s+no\s+chain\s*$/i.test(commit.text)) return undefined;
  const modes = begin.text.replace(/^(begin(\s+(work|transaction))?|start\s+transaction)\b/i, '').trim();
  return { begin, commit, modes, commitKeyword: close.keyword };
}

/** The text to send: the wrapper's BEGIN and COMMIT blanked, so every offset and line stays the file's. */
export function withoutWrapper(sql: string, wrapper: Wrapper | undefined): string {
  if (!wrapper) return sql;
  const blank = (t: string) => t.replace(/[^\n]/g, ' ');
  const { begin, commit } = wrapper;
  return (
    sql.slice(0, begin.start) +
    blank(sql.slice(begin.start, begin.end)) +
    sql.slice(begin.end, commit.start) +
    blank(sql.slice(commit.start, commit.end)) +
    sql.slice(commit.end)
  );
}

/** The BEGIN that opens the migration's transaction, with the file's modes. */
export function beginSql(wrapper: Wrapper | undefined, sessionModes?: string): string {
  // The session's modes first, then the file's own (`BEGIN ISOLATION LEVEL ...`): the later SET TRANSACTION wins.
  const session = sessionModes ? `SET TRANSACTION ${sessionModes};\n` : '';
  return wrapper?.modes ? `BEGIN;\n${session}SET TRANSACTION ${wrapper.modes};\n` : `BEGIN;\n${session}`;
}
