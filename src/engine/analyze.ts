import { ExitCode, SchemagateError } from '../errors.js';
import { parseDirectives, type Directives } from './sql/directives.js';
import { findMetaCommands, metaCommandAdvice } from './sql/meta.js';
import { findNonTransactional, findTransactionControl, type NonTxFinding } from './sql/nontx.js';
import { SplitError, splitStatements, type Statement } from './sql/splitter.js';

/** How a script will run, decided from its text before anything runs. */
export interface Analysis {
  directives: Directives;
  statements: Statement[];
  /** False when marked `-- schemagate:no-transaction` or when a statement cannot run in a transaction. */
  transactional: boolean;
  /** Why it runs outside a transaction (empty when marked, or transactional). */
  nonTx: NonTxFinding[];
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
export function analyze(script: { file: string; version: string; sql: string }): Analysis {
  const { directives, problems } = parseDirectives(script.sql);
  if (problems.length > 0) {
    const p = problems[0]!;
    throw new ScriptError(
      script.file,
      script.version,
      `${script.file}:${p.line}: ${p.message}`,
      'Directives are comments at the top of the file: -- schemagate:no-transaction, -- schemagate:lock-timeout 10s, -- schemagate:statement-timeout 5m.',
    );
  }
  let statements: Statement[];
  try {
    statements = splitStatements(script.sql);
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
  if (transactional) {
    const control = findTransactionControl(statements);
    const c = control[0];
    if (c) {
      const st = statements[c.index]!;
      throw new ScriptError(
        script.file,
        script.version,
        `${script.file}:${st.line}:${st.column}: ${c.keyword} inside a migration: schemagate already runs each migration in its own transaction (with its history row)`,
        'Remove the BEGIN/COMMIT lines; or, if the file must manage its own transactions, put `-- schemagate:no-transaction` at its top.',
      );
    }
  }
  return { directives, statements, transactional, nonTx };
}
