import { cancellable, type EngineContext } from './context.js';
import type { Statement } from './sql/splitter.js';

interface PgNotice {
  severity?: string;
  message?: string;
  detail?: string;
  hint?: string;
}

/**
 * Sends one statement of a script on the script connection, cancelled if the
 * run is aborted. `COPY ... FROM STDIN` streams the data lines that follow it
 * in the file (pg-copy-streams speaks the COPY sub-protocol). Returns the
 * number of rows the statement reports.
 */
export async function runStatement(ctx: EngineContext, st: Statement): Promise<number> {
  return cancellable(ctx.conn, ctx.pid, ctx.signal, async () => {
    if (!st.copy) return (await ctx.client.query(st.text)).rowCount ?? 0;
    // Loaded for a COPY only: every run without one (a no-op above all) is spared the streams it needs.
    const [{ Readable }, { pipeline }, { from: copyFrom }] = await Promise.all([
      import('node:stream'),
      import('node:stream/promises'),
      import('pg-copy-streams'),
    ]);
    const stream = ctx.client.query(copyFrom(st.text));
    await pipeline(Readable.from([Buffer.from(st.copy.text, 'utf8')]), stream);
    return stream.rowCount;
  });
}

/**
 * Reports what PostgreSQL says while a script runs (RAISE WARNING, "index
 * ... does not exist, skipping", ...), each with the file and the line of
 * the statement that said it. Returns the function that stops listening.
 */
export function forwardNotices(ctx: EngineContext, file: string, current: () => Statement | undefined): () => void {
  const onNotice = (n: PgNotice) => {
    const severity = (n.severity ?? 'NOTICE').toUpperCase();
    const st = current();
    const where = st ? `${file}:${st.line}` : file;
    const extra = [n.detail ? `detail: ${n.detail}` : '', n.hint ? `hint: ${n.hint}` : ''].filter(Boolean).join('; ');
    ctx.notice(
      severity === 'WARNING' ? 'warning' : 'notice',
      `${where}: ${severity}: ${n.message ?? ''}${extra ? ` (${extra})` : ''}`,
    );
  };
  ctx.client.on('notice', onNotice);
  return () => ctx.client.off('notice', onNotice);
}
