import { ExitCode, SchemagateError } from '../errors.js';
import { codeFrame } from './sql/error-frame.js';
import { advanceCodePoints, lineColumnAt } from './sql/position.js';
import { SplitError, splitStatements } from './sql/splitter.js';
import { itemAt } from '../util/defined.js';

/**
 * Every statement of a script parsed by PostgreSQL's own parser (the npm
 * package libpg-query: PostgreSQL 17's grammar compiled to WebAssembly), so
 * `schemagate check` and `db plan` catch `CREATE TABLEE` without a database.
 * Only the raw grammar is checked: names, types and function bodies are
 * checked by the server (`db check` runs everything). Loaded only by those
 * two commands: `db migrate` and the pods never import the parser.
 */
export interface SyntaxProblem {
  file: string;
  line: number;
  column: number;
  /** The parser's message, e.g. `syntax error at or near "TABLEE"`. */
  message: string;
  frame: string;
}

export interface SqlScript {
  /** As shown to the user. */
  file: string;
  /** The text as the engine sends it (for dbmate, the section with the other one blanked). */
  sql: string;
}

interface Parser {
  parseSync(sql: string): unknown;
}

let loaded: Promise<Parser> | undefined;

/** PostgreSQL's parser, loaded once (about 15 ms for the WebAssembly module). */
export function loadParser(): Promise<Parser> {
  loaded ??= (async () => {
    try {
      const m = await import('libpg-query');
      await m.loadModule();
      return m;
    } catch (e) {
      loaded = undefined;
      throw new SchemagateError('syntax.parser', "PostgreSQL's parser (npm package libpg-query) could not be loaded", {
        exitCode: ExitCode.config,
        hint: 'Reinstall the dependencies (npm ci); libpg-query ships as WebAssembly and needs no compiler.',
        cause: e,
      });
    }
  })();
  return loaded;
}

/**
 * Parses each statement of each script (split as the engine splits it) and
 * returns every one the parser rejects, located in its file. Scripts the
 * splitter cannot split (an unterminated quote) are left to `analyze`, which
 * reports them with its own message.
 */
export async function checkSyntax(scripts: readonly SqlScript[]): Promise<SyntaxProblem[]> {
  const parser = await loadParser();
  const problems: SyntaxProblem[] = [];
  for (const script of scripts) {
    // Most scripts parse: one call for the whole text; only a rejected one is parsed statement by statement.
    try {
      parser.parseSync(script.sql);
      continue;
    } catch {
      // Located below, statement by statement.
    }
    let statements;
    try {
      statements = splitStatements(script.sql);
    } catch (e) {
      if (e instanceof SplitError) continue;
      throw e;
    }
    for (const st of statements) {
      try {
        parser.parseSync(st.text);
      } catch (e) {
        const details = (e as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
        // The parser's cursor counts characters (code points) from 0 within the text it was given.
        const offset = st.start + advanceCodePoints(st.text, 0, Math.max(0, details?.cursorPosition ?? 0));
        const { line, column } = lineColumnAt(script.sql, offset);
        problems.push({
          file: script.file,
          line,
          column,
          message: details?.message ?? (e as Error).message,
          frame: codeFrame(script.sql, line, column),
        });
      }
    }
  }
  return problems;
}

/** `file:line:column: message`, then the code frame with its caret. */
export function formatSyntaxProblem(p: SyntaxProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.message}\n${p.frame}`;
}

/** SQL that PostgreSQL's parser rejects: nothing ran, every statement is named. */
export class SyntaxCheckError extends SchemagateError {
  override readonly name = 'SyntaxCheckError';
  readonly problems: readonly SyntaxProblem[];
  constructor(problems: readonly SyntaxProblem[]) {
    const first = itemAt(problems, 0, 'the first problem');
    super(
      'syntax',
      problems.length === 1
        ? formatSyntaxProblem(first)
        : `${problems.length} statements do not parse:\n${problems.map(formatSyntaxProblem).join('\n')}`,
      {
        exitCode: ExitCode.validation,
        context: { file: first.file },
        hint: "Fix the SQL at the caret (PostgreSQL's parser read it); nothing was run.",
      },
    );
    this.problems = problems;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), problems: this.problems.map(({ frame: _frame, ...p }) => p) };
  }
}
