import { SqlLexer } from './lexer.js';
import { lineColumnAt } from './position.js';
import { SplitError } from './split-error.js';
import type { Statement } from './splitter.js';

/** A psql meta-command (`\set`, `\i`, `\connect`, ...) found in a script. */
export interface MetaCommand {
  /** The command as written, e.g. `\connect`. */
  command: string;
  /** 0-based offset in the source. */
  offset: number;
  line: number;
  column: number;
}

/** What to do instead of a meta-command that people put in migrations. */
const INSTEAD: Record<string, string> = {
  '\\i': 'put the SQL of the included file into this migration (or into a migration of its own)',
  '\\ir': 'put the SQL of the included file into this migration (or into a migration of its own)',
  '\\include': 'put the SQL of the included file into this migration (or into a migration of its own)',
  '\\c': 'schemagate migrates the one database of its URL: keep migrations of another database in their own folder',
  '\\connect':
    'schemagate migrates the one database of its URL: keep migrations of another database in their own folder',
  '\\set': 'write the value into the SQL itself (psql variables are not expanded)',
  '\\copy': 'use COPY ... FROM STDIN with the data lines after it, ended by a line \\.',
};

export function metaCommandAdvice(command: string): string {
  return INSTEAD[command.toLowerCase()] ?? 'remove it, or do its work in SQL';
}

/**
 * Finds psql meta-commands: a backslash outside strings, quoted identifiers
 * and comments (SQL has no other use for one), at the start of a line or
 * after a query (`\gset`). The server would reject them as syntax errors,
 * and only when the migration runs, after earlier ones applied.
 */
export function findMetaCommands(sql: string, statements: readonly Statement[]): MetaCommand[] {
  const found: MetaCommand[] = [];
  for (const st of statements) {
    const lexer = new SqlLexer(st.text);
    try {
      for (let t = lexer.next(); t; t = lexer.next()) {
        if (t.kind !== 'punct' || st.text.charCodeAt(t.start) !== 92 /* \ */) continue;
        const offset = st.start + t.start;
        const command = /^\\[A-Za-z!?]*/.exec(sql.slice(offset))?.[0] ?? '\\';
        found.push({ command, offset, ...lineColumnAt(sql, offset) });
      }
    } catch (e) {
      if (!(e instanceof SplitError)) throw e;
    }
  }
  return found;
}
