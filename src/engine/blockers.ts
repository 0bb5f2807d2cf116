import { withClient } from './connect.js';
import type { EngineContext } from './context.js';

export interface Blocker {
  pid: number;
  applicationName: string;
  state: string | null;
  xactStart: Date | null;
  query: string | null;
}

export function describeBlockers(blockers: readonly Blocker[]): string {
  return blockers
    .map((b) => {
      const parts = [`pid ${b.pid}`];
      if (b.applicationName) parts.push(`application_name "${b.applicationName}"`);
      if (b.state) parts.push(b.state);
      if (b.xactStart) parts.push(`transaction open since ${b.xactStart.toISOString()}`);
      if (b.query === '<insufficient privilege>')
        parts.push(
          'its state and query are hidden from this role (a session of another role: membership in pg_read_all_stats shows them)',
        );
      else if (b.query) parts.push(`last query: ${b.query.replace(/\s+/g, ' ').slice(0, 80)}`);
      return parts.join(', ');
    })
    .join('; ');
}

/**
 * Finds who blocks our backend while a statement waits for a lock. `lock_timeout`
 * errors (55P03) do not say who held the lock, and once they fire the wait is
 * over; so when a statement has run for most of `lock_timeout`, a second
 * connection asks `pg_blocking_pids()` and keeps the answer for the error.
 * Costs nothing for statements that finish quickly: the timer is cleared.
 */
export function watchBlockers(ctx: EngineContext, lockTimeoutMs: number): { stop(): Blocker[] } {
  let found: Blocker[] = [];
  if (lockTimeoutMs <= 0) return { stop: () => found };
  let stopped = false;
  const probe = async () => {
    await withClient(
      { ...ctx.conn, applicationName: `${ctx.conn.applicationName} (lock diagnostics)`, connectTimeoutMs: 2000 },
      async (c) => {
        const { rows } = await c.query<{
          pid: number;
          application_name: string;
          state: string | null;
          xact_start: Date | null;
          query: string | null;
        }>(
          `SELECT pid, application_name, state, xact_start, left(query, 200) AS query
           FROM pg_stat_activity WHERE pid = ANY (pg_blocking_pids($1)) ORDER BY pid`,
          [ctx.pid],
        );
        if (rows.length > 0) {
          found = rows.map((r) => ({
            pid: r.pid,
            applicationName: r.application_name,
            state: r.state,
            xactStart: r.xact_start,
            query: r.query,
          }));
        }
      },
    ).catch(() => undefined);
    if (!stopped) timer = setTimeout(() => void probe(), Math.max(50, lockTimeoutMs / 4));
  };
  let timer: NodeJS.Timeout | undefined = setTimeout(() => void probe(), Math.max(10, lockTimeoutMs * 0.6));
  timer.unref();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      return found;
    },
  };
}
