import { ExitCode, SchemagateError } from '../../errors.js';

/**
 * A SQL text that cannot be split into statements because a quoted string,
 * quoted identifier, dollar-quoted string, block comment or BEGIN ATOMIC body
 * never ends. `offset`, `line` and `column` point at where it starts.
 */
export class SplitError extends SchemagateError {
  override readonly name = 'SplitError';
  /** 0-based UTF-16 offset of the unterminated construct in the source. */
  readonly offset: number;
  /** 1-based line of `offset`. */
  readonly line: number;
  /** 1-based column of `offset`, in code points. */
  readonly column: number;

  constructor(what: string, offset: number, line: number, column: number, hint?: string) {
    super('sql-unterminated', `unterminated ${what} starting at line ${line}, column ${column}`, {
      exitCode: ExitCode.validation,
      ...(hint ? { hint } : {}),
    });
    this.offset = offset;
    this.line = line;
    this.column = column;
  }
}
