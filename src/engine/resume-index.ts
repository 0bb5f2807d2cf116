import { ident, literal } from './connect.js';
import { type EngineContext, logLine } from './context.js';
import { runStatement } from './run-statement.js';
import { SqlLexer } from './sql/lexer.js';
import { SplitError } from './sql/split-error.js';
import type { Statement } from './sql/splitter.js';
import { itemAt } from '../util/defined.js';

/**
 * A non-transactional statement that a stopped run may have left half done,
 * in a state that running it again would trip over:
 * - `CREATE INDEX CONCURRENTLY name` cancelled or killed part-way leaves an
 *   INVALID index `name` (PostgreSQL does not remove it), and running it again
 *   fails with "already exists"; one that completed just before the kill, and
 *   before its progress was recorded, leaves a valid one.
 * - `DROP INDEX CONCURRENTLY name` that completed before its progress was
 *   recorded finds nothing to drop the second time.
 */
type IndexStatement = { verb: 'create'; name: string; table: string } | { verb: 'drop'; name: string };

/** `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON [ONLY] table` or `DROP INDEX CONCURRENTLY [IF EXISTS] name`. */
export function indexStatement(text: string): IndexStatement | undefined {
  const words: string[] = [];
  const lexer = new SqlLexer(text);
  try {
    for (let t = lexer.next(); t && words.length < 14; t = lexer.next()) {
      const raw = text.slice(t.start, t.end);
      words.push(t.kind === 'quoted-ident' ? raw : t.kind === 'word' ? raw.toLowerCase() : raw);
    }
  } catch (e) {
    if (!(e instanceof SplitError)) throw e;
    return undefined;
  }
  let i = 0;
  const next = (w: string) => (words[i] === w ? (i++, true) : false);
  const name = (): string | undefined => {
    let n = words[i++];
    if (!n || n === 'on') return undefined;
    while (words[i] === '.' && words[i + 1]) {
      n += `.${words[i + 1]}`;
      i += 2;
    }
    return n;
  };
  if (next('create')) {
    next('unique');
    if (!next('index') || !next('concurrently')) return undefined;
    if (next('if')) {
      if (!next('not') || !next('exists')) return undefined;
    }
    const index = name();
    if (!index || !next('on')) return undefined;
    next('only');
    const table = name();
    return table ? { verb: 'create', name: index, table } : undefined;
  }
  if (next('drop')) {
    if (!next('index') || !next('concurrently')) return undefined;
    if (next('if') && !next('exists')) return undefined;
    const index = name();
    return index && words[i] !== ',' ? { verb: 'drop', name: index } : undefined;
  }
  return undefined;
}

/** The identifier as PostgreSQL folds it: quoted kept (quotes doubled inside), unquoted lowercased. */
function unquote(part: string): string {
  return part.startsWith('"') ? part.slice(1, -1).replace(/""/g, '"') : part.toLowerCase();
}

/**
 * Before resuming a non-transactional script at `st` (the statement a stopped
 * run did not record as done): repairs what that statement itself left.
 * Returns `skip` when the statement had in fact completed. `interrupted` is
 * true when the run stopped without an error of the statement (a kill or a
 * cancellation); a statement that failed with an error of its own did not
 * complete, so its index, if valid, is someone else's and is left alone.
 */
export async function prepareResumeAt(
  ctx: EngineContext,
  file: string,
  index: number,
  st: Statement,
  interrupted: boolean,
): Promise<'run' | 'skip'> {
  const s = indexStatement(st.text);
  if (!s) return 'run';
  const where = `${file}: statement ${index + 1} (line ${st.line})`;
  if (s.verb === 'drop') {
    const { rows } = await ctx.client.query<{ t: string | null }>(`SELECT to_regclass(${literal(s.name)})::text AS t`);
    if (rows[0]?.t || !interrupted) return 'run';
    logLine(ctx, `${where} had completed before the run stopped: index ${s.name} is gone; continuing after it`);
    return 'skip';
  }
  const parts = s.name.split('.');
  const indexName = unquote(itemAt(parts, -1, 'the index name'));
  const { rows } = await ctx.client.query<{ schema: string; valid: boolean }>(
    `SELECT n.nspname AS schema, i.indisvalid AS valid
       FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE i.indrelid = to_regclass(${literal(s.table)}) AND c.relname = ${literal(indexName)}`,
  );
  const found = rows[0];
  if (!found) return 'run';
  const qualified = `${ident(found.schema)}.${ident(indexName)}`;
  if (!found.valid) {
    logLine(
      ctx,
      `${where} was stopped while it built index ${found.schema}.${indexName}, which PostgreSQL left INVALID: dropping it (DROP INDEX CONCURRENTLY) and building it again`,
    );
    await runStatement(ctx, {
      text: `DROP INDEX CONCURRENTLY ${qualified}`,
      start: st.start,
      end: st.end,
      line: st.line,
      column: st.column,
    });
    return 'run';
  }
  if (!interrupted) return 'run';
  logLine(
    ctx,
    `${where} had completed before the run stopped: index ${found.schema}.${indexName} exists and is valid; continuing after it`,
  );
  return 'skip';
}
