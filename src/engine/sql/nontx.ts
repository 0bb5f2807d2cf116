import { SqlLexer } from './lexer.js';
import { SplitError } from './split-error.js';
import type { Statement } from './splitter.js';

/** A statement that PostgreSQL refuses to run inside a transaction block. */
export interface NonTxFinding {
  /** Index of the statement in the list given. */
  index: number;
  /** Why, e.g. "CREATE INDEX CONCURRENTLY cannot run inside a transaction block". */
  reason: string;
}

/** A statement that begins, ends or prepares a transaction itself. */
export interface TxControlFinding {
  /** Index of the statement in the list given. */
  index: number;
  /** The command, uppercase: BEGIN, START TRANSACTION, COMMIT, COMMIT PREPARED, END, ROLLBACK, ROLLBACK TO SAVEPOINT, ROLLBACK PREPARED, ABORT, PREPARE TRANSACTION. */
  keyword: string;
}

const IN_TX = 'cannot run inside a transaction block';
const FALSE_VALUES = new Set(['false', 'off', '0', "'false'", "'off'", "'0'"]);

/**
 * Finds the statements that cannot run inside a transaction block
 * (PostgreSQL's PreventInTransactionBlock): CREATE/DROP INDEX CONCURRENTLY,
 * REINDEX CONCURRENTLY and REINDEX SCHEMA|DATABASE|SYSTEM, CREATE/DROP
 * DATABASE, ALTER DATABASE ... SET TABLESPACE, CREATE/DROP TABLESPACE,
 * ALTER SYSTEM, VACUUM, subscription commands that connect to the publisher,
 * ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY, CLUSTER without a table
 * and DISCARD ALL. Keywords are matched as tokens, so words inside strings,
 * quoted identifiers and comments do not count.
 */
export function findNonTransactional(statements: readonly Statement[]): NonTxFinding[] {
  const findings: NonTxFinding[] = [];
  statements.forEach((statement, index) => {
    const reason = nonTransactionalReason(tokens(statement.text));
    if (reason) findings.push({ index, reason });
  });
  return findings;
}

/**
 * Finds top-level transaction control statements (BEGIN, START TRANSACTION,
 * COMMIT, END, ROLLBACK, ABORT, their PREPARED forms and PREPARE
 * TRANSACTION), which would break the transaction the engine wraps a
 * migration in. `BEGIN` inside a DO block or function body is part of that
 * statement's text and is not a finding.
 */
export function findTransactionControl(statements: readonly Statement[]): TxControlFinding[] {
  const findings: TxControlFinding[] = [];
  statements.forEach((statement, index) => {
    const keyword = transactionControlKeyword(tokens(statement.text));
    if (keyword) findings.push({ index, keyword });
  });
  return findings;
}

function transactionControlKeyword(t: readonly string[]): string | undefined {
  const [first, second] = t;
  switch (first) {
    case 'begin':
      return second === 'atomic' ? undefined : 'BEGIN';
    case 'start':
      return second === 'transaction' ? 'START TRANSACTION' : undefined;
    case 'commit':
      return second === 'prepared' ? 'COMMIT PREPARED' : 'COMMIT';
    case 'end':
      return 'END';
    case 'abort':
      return 'ABORT';
    case 'prepare':
      return second === 'transaction' ? 'PREPARE TRANSACTION' : undefined;
    case 'rollback': {
      if (second === 'prepared') return 'ROLLBACK PREPARED';
      const next = second === 'work' || second === 'transaction' ? t[2] : second;
      return next === 'to' ? 'ROLLBACK TO SAVEPOINT' : 'ROLLBACK';
    }
    default:
      return undefined;
  }
}

function nonTransactionalReason(t: readonly string[]): string | undefined {
  const [first, second, third] = t;
  switch (first) {
    case 'vacuum':
      return `VACUUM ${IN_TX}`;
    case 'discard':
      return second === 'all' ? `DISCARD ALL ${IN_TX}` : undefined;
    case 'cluster':
      return clusterHasNoTable(t.slice(1)) ? `CLUSTER without a table name ${IN_TX}` : undefined;
    case 'reindex':
      return reindexReason(t.slice(1));
    case 'create': {
      const object = second === 'unique' ? third : second;
      if (object === 'index' && t[second === 'unique' ? 3 : 2] === 'concurrently')
        return `CREATE INDEX CONCURRENTLY ${IN_TX}`;
      if (second === 'database') return `CREATE DATABASE ${IN_TX}`;
      if (second === 'tablespace') return `CREATE TABLESPACE ${IN_TX}`;
      if (second === 'subscription' && !optionIsFalse(t, 'create_slot') && !optionIsFalse(t, 'connect')) {
        return `CREATE SUBSCRIPTION ${IN_TX} when it creates a replication slot (add WITH (create_slot = false) or mark the file no-transaction)`;
      }
      return undefined;
    }
    case 'drop':
      if (second === 'index' && third === 'concurrently') return `DROP INDEX CONCURRENTLY ${IN_TX}`;
      if (second === 'database') return `DROP DATABASE ${IN_TX}`;
      if (second === 'tablespace') return `DROP TABLESPACE ${IN_TX}`;
      if (second === 'subscription') return `DROP SUBSCRIPTION ${IN_TX} when the subscription has a replication slot`;
      return undefined;
    case 'alter':
      if (second === 'system') return `ALTER SYSTEM ${IN_TX}`;
      if (second === 'database' && hasSequence(t, ['set', 'tablespace']))
        return `ALTER DATABASE ... SET TABLESPACE ${IN_TX}`;
      if (second === 'subscription') return alterSubscriptionReason(t);
      if (second === 'table') {
        const detach = indexOfSequence(t, ['detach', 'partition']);
        if (detach >= 0 && t.indexOf('concurrently', detach) >= 0)
          return `ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY ${IN_TX}`;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** `REINDEX [(options)] {INDEX|TABLE|SCHEMA|DATABASE|SYSTEM} [CONCURRENTLY] name` */
function reindexReason(rest: readonly string[]): string | undefined {
  let i = 0;
  let concurrently = false;
  if (rest[0] === '(') {
    const close = rest.indexOf(')');
    const options = rest.slice(1, close === -1 ? rest.length : close);
    const at = options.indexOf('concurrently');
    concurrently = at >= 0 && !FALSE_VALUES.has(options[at + 1] ?? '');
    i = close === -1 ? rest.length : close + 1;
  }
  const kind = rest[i];
  if (rest[i + 1] === 'concurrently') concurrently = true;
  if (concurrently) return `REINDEX CONCURRENTLY ${IN_TX}`;
  if (kind === 'schema' || kind === 'database' || kind === 'system') return `REINDEX ${kind.toUpperCase()} ${IN_TX}`;
  return undefined;
}

/** `CLUSTER`, `CLUSTER VERBOSE` and `CLUSTER (VERBOSE)` recluster every table. */
function clusterHasNoTable(rest: readonly string[]): boolean {
  let i = 0;
  if (rest[0] === '(') {
    const close = rest.indexOf(')');
    i = close === -1 ? rest.length : close + 1;
  }
  if (rest[i] === 'verbose') i++;
  return i >= rest.length;
}

function alterSubscriptionReason(t: readonly string[]): string | undefined {
  if (hasSequence(t, ['refresh', 'publication'])) return `ALTER SUBSCRIPTION ... REFRESH PUBLICATION ${IN_TX}`;
  for (const verb of ['set', 'add', 'drop']) {
    if (hasSequence(t, [verb, 'publication']) && !optionIsFalse(t, 'refresh')) {
      return `ALTER SUBSCRIPTION ... ${verb.toUpperCase()} PUBLICATION ${IN_TX} unless WITH (refresh = false)`;
    }
  }
  if (hasSequence(t, ['set', '(']) && (t.includes('failover') || optionIsFalse(t, 'two_phase'))) {
    return `ALTER SUBSCRIPTION ... SET (failover | two_phase = false) ${IN_TX}`;
  }
  return undefined;
}

/** `name = false` (or off, 0) among the tokens; a bare `name` means true. */
function optionIsFalse(t: readonly string[], name: string): boolean {
  const at = t.indexOf(name);
  if (at < 0) return false;
  const value = t[at + 1] === '=' ? t[at + 2] : t[at + 1];
  return FALSE_VALUES.has(value ?? '');
}

function indexOfSequence(t: readonly string[], sequence: readonly string[]): number {
  outer: for (let i = 0; i + sequence.length <= t.length; i++) {
    for (let j = 0; j < sequence.length; j++) if (t[i + j] !== sequence[j]) continue outer;
    return i;
  }
  return -1;
}

function hasSequence(t: readonly string[], sequence: readonly string[]): boolean {
  return indexOfSequence(t, sequence) >= 0;
}

/**
 * The statement's tokens without comments: words and quoted strings
 * lowercased, other tokens as their text, except that quoted identifiers
 * become `"` and dollar-quoted strings `$$`, so that neither can be mistaken
 * for a keyword. Stops at an unterminated construct (the splitter reports it).
 */
function tokens(text: string): string[] {
  const out: string[] = [];
  const lexer = new SqlLexer(text);
  try {
    for (let token = lexer.next(); token; token = lexer.next()) {
      switch (token.kind) {
        case 'quoted-ident':
          out.push('"');
          break;
        case 'dollar-string':
          out.push('$$');
          break;
        default:
          out.push(text.slice(token.start, token.end).toLowerCase());
      }
    }
  } catch (e) {
    if (!(e instanceof SplitError)) throw e;
  }
  return out;
}
