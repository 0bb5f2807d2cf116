import { SqlLexer } from '../engine/sql/lexer.js';
import { SplitError } from '../engine/sql/split-error.js';

/** A Squawk comment that says a file runs otherwise than schemagate runs it. */
export interface TransactionComment {
  /** UTF-16 offsets of the comment in the text. */
  start: number;
  end: number;
  message: string;
}

const DIRECTIVE = /^--\s*squawk-(enable|disable)-assume-in-transaction\b/;

/**
 * Squawk lets a file override how it is linted with
 * `-- squawk-enable-assume-in-transaction` or `-- squawk-disable-...`. schemagate
 * knows how it runs each file, so a comment that says otherwise would make
 * Squawk lint the file as something that never runs: reported, not obeyed silently.
 */
export function transactionComments(sql: string, transactional: boolean): TransactionComment[] {
  const found: TransactionComment[] = [];
  const lexer = new SqlLexer(sql, { comments: true });
  try {
    for (let t = lexer.next(); t; t = lexer.next()) {
      if (t.kind !== 'line-comment') continue;
      const m = DIRECTIVE.exec(sql.slice(t.start, t.end));
      if (!m || (m[1] === 'disable') !== transactional) continue;
      found.push({
        start: t.start,
        end: t.end,
        message: transactional
          ? 'this comment makes Squawk lint the file as if it ran without a transaction, but schemagate runs it in one (with its history row): findings that depend on the transaction would be missed'
          : 'this comment makes Squawk lint the file as if it ran in a transaction, but schemagate runs it without one (it is marked -- schemagate:no-transaction, or holds a statement that cannot run in a transaction)',
      });
    }
  } catch (e) {
    // An unterminated quote: the engine's analysis reports it with its position.
    if (!(e instanceof SplitError)) throw e;
  }
  return found;
}
