import { ExitCode, SchemagateError } from '../errors.js';
import type { Blocks } from './formats/types.js';
import { fileScript, type MigrationFile } from './files.js';
import { parseDirectives, type Directives } from './sql/directives.js';
import { findMetaCommands, metaCommandAdvice } from './sql/meta.js';
import { findNonTransactional, findTransactionControl, type NonTxFinding } from './sql/nontx.js';
import { SplitError, splitStatements, type Statement } from './sql/splitter.js';
import { findWrapper, type Wrapper } from './sql/wrapper.js';
import { itemAt } from '../util/defined.js';

/** How a script will run, decided from its text before anything runs. */
export interface Analysis {
  directives: Directives;
  statements: Statement[];
  /** False when marked `-- schemagate:no-transaction` or when a statement cannot run in a transaction. */
  transactional: boolean;
  /** Why it runs outside a transaction (empty when marked, or transactional). */
  nonTx: NonTxFinding[];
  /** The marker of the file's own tool that runs it outside a transaction (`-- +goose NO TRANSACTION`). */
  marker?: string | undefined;
  /** The file's own BEGIN ... COMMIT: it becomes the migration's transaction, with the history row inside. */
  wrapper?: Wrapper | undefined;
}

/** A script to analyse: its text, and what its layout's tool says about it. */
export interface ScriptInput {
  file: string;
  version: string;
  sql: string;
  /** The tool's marker that runs it outside a transaction. */
  noTransaction?: string | undefined;
  /** Statement blocks the tool sends as one statement each (goose and sql-migrate StatementBegin/End). */
  blocks?: Blocks | undefined;
}

/** Statements that start inside one block become one statement spanning them, as the tool sends it. */
function mergeBlocks(sql: string, statements: Statement[], blocks: Blocks | undefined): Statement[] {
  if (!blocks || blocks.length === 0) return statements;
  const out: Statement[] = [];
  for (const st of statements) {
    const block = blocks.find(([a, b]) => st.start >= a && st.start < b);
    const prev = out.at(-1);
    if (block && prev && prev.start >= block[0] && prev.start < block[1]) {
      out[out.length - 1] = { ...prev, end: st.end, text: sql.slice(prev.start, st.end) };
      continue;
    }
    out.push(st);
  }
  return out;
}

export class ScriptError extends SchemagateError {
  override readonly name = 'ScriptError';
  constructor(file: string, version: string, message: string, hint: string) {
    super('script.invalid', message, { exitCode: ExitCode.validation, context: { file, version }, hint });
  }
}

/**
 * Splits and inspects a script. Throws a ScriptError (naming file, line and
 * column) for what would fail or misbehave at run time: unterminated quotes,
 * bad directives, psql meta-commands, or transaction control inside a
 * transactional migration.
 */
export function analyze(script: ScriptInput): Analysis {
  const { directives, problems } = parseDirectives(script.sql);
  if (script.noTransaction) directives.noTransaction = true;
  if (problems.length > 0) {
    const p = itemAt(problems, 0, 'the first problem');
    throw new ScriptError(
      script.file,
      script.version,
      `${script.file}:${p.line}: ${p.message}`,
      'Directives are comments at the top of the file: -- schemagate:no-transaction, -- schemagate:lock-timeout 10s, -- schemagate:statement-timeout 5m.',
    );
  }
  let statements: Statement[];
  try {
    statements = mergeBlocks(script.sql, splitStatements(script.sql), script.blocks);
  } catch (e) {
    if (e instanceof SplitError) {
      throw new ScriptError(
        script.file,
        script.version,
        `${script.file}:${e.line}:${e.column}: ${e.message}`,
        'Close the quote, dollar quote or comment; nothing was run.',
      );
    }
    throw e;
  }
  const meta = findMetaCommands(script.sql, statements)[0];
  if (meta) {
    throw new ScriptError(
      script.file,
      script.version,
      `${script.file}:${meta.line}:${meta.column}: ${meta.command} is a psql meta-command: schemagate sends SQL to the server and does not run psql commands`,
      `Instead, ${metaCommandAdvice(meta.command)}. Nothing was run.`,
    );
  }
  const nonTx = findNonTransactional(statements);
  const transactional = !directives.noTransaction && nonTx.length === 0;
  const marker = script.noTransaction;
  const control = directives.noTransaction ? [] : findTransactionControl(statements);
  const wrapper = findWrapper(statements, control);
  if (wrapper && nonTx.length > 0) {
    const n = itemAt(nonTx, 0, 'the first non-transactional statement');
    const st = itemAt(statements, n.index, `statement ${n.index + 1}`);
    throw new ScriptError(
      script.file,
      script.version,
      `${script.file}:${st.line}:${st.column}: ${n.reason}, and the file wraps it in its own BEGIN (line ${wrapper.begin.line}) ... ${wrapper.commitKeyword} (line ${wrapper.commit.line})`,
      'Remove the BEGIN and COMMIT lines: schemagate then runs the file outside a transaction, one statement at a time, recording its progress.',
    );
  }
  if (wrapper) {
    return {
      directives,
      statements: statements.slice(1, -1),
      transactional: true,
      nonTx,
      marker,
      wrapper,
    };
  }
  if (transactional) {
    const c = control[0];
    if (c) {
      const st = itemAt(statements, c.index, `statement ${c.index + 1}`);
      throw new ScriptError(
        script.file,
        script.version,
        `${script.file}:${st.line}:${st.column}: ${c.keyword} inside a migration: schemagate runs each migration in its own transaction (with its history row), and takes a file's own transaction only when BEGIN (or START TRANSACTION) is its first statement and COMMIT (or END) its last, with no other transaction control between`,
        'Remove the BEGIN/COMMIT lines, or make them the first and last statements of the file; or, if the file must manage its own transactions, put `-- schemagate:no-transaction` at its top.',
      );
    }
  }
  return { directives, statements, transactional, nonTx, marker };
}

/** Analyses every script that will run, so a bad file stops the run before the first one runs. */
export function analyzeAll(files: readonly MigrationFile[]): Map<string, Analysis> {
  const out = new Map<string, Analysis>();
  for (const f of files) out.set(f.version.text, analyze(fileScript(f)));
  return out;
}
