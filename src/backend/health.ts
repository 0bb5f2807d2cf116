import type { VerifyReport } from '../engine/verify.js';
import { redact } from '../redact.js';
import type { TargetState } from '../wait/check.js';

/** What /health answers: 200 with the applied version, or 503 with what is wrong. */
export interface Health {
  ok: boolean;
  /** The applied migration version (null before the first one); a later release's, when one ran. */
  version: string | null;
  /** The newest migration this backend's image has (null when it has none). */
  known: string | null;
  /** Versions applied by a later release, which this image does not know: fine, it still has what it needs. */
  newer: Array<{ version: string; description: string }>;
  problems: Array<{ kind: string; subject?: string; message: string }>;
  /**
   * Each of `backend.dependencies` as one attempt found it (Redis: PING).
   * Reported, not judged: `ok` and the status stay about the schema, so an
   * outage of a shared cache does not take every replica out of the Service
   * at once (the init container already held the start until they answered).
   */
  dependencies: TargetState[];
  checkedAt: string;
}

export interface HealthCheckOptions {
  /** `db verify` against the database: `verify(engineOptions, config.verify.tables)`. */
  verify: () => Promise<VerifyReport>;
  /** One look at `backend.dependencies`. @default none */
  dependencies?: () => Promise<TargetState[]>;
  /** How long a result is reused. @default 2000 */
  ttlMs?: number;
  now?: () => number;
}

/**
 * `db verify`, reused for `ttlMs` and shared by concurrent requests, so probes
 * and curious users never open more than one verify session at a time.
 */
export function healthCheck(opts: HealthCheckOptions): () => Promise<Health> {
  const ttl = opts.ttlMs ?? 2000;
  const now = opts.now ?? Date.now;
  let cached: { at: number; health: Health } | undefined;
  let running: Promise<Health> | undefined;
  const run = async (): Promise<Health> => {
    const checkedAt = new Date(now()).toISOString();
    const dependencies = opts.dependencies?.() ?? Promise.resolve([]);
    const schema = await schemaHealth(checkedAt);
    return { ...schema, dependencies: await dependencies };
  };
  const schemaHealth = async (checkedAt: string): Promise<Omit<Health, 'dependencies'>> => {
    try {
      const r = await opts.verify();
      return {
        ok: r.ok,
        version: r.current ?? null,
        known: r.known ?? null,
        newer: r.newer.map((n) => ({ version: n.version, description: n.description })),
        problems: r.problems.map((p) => ({ kind: p.kind, subject: p.subject, message: p.message })),
        checkedAt,
      };
    } catch (e) {
      // Cannot reach the database, or cannot read the migrations: not healthy either.
      return {
        ok: false,
        version: null,
        known: null,
        newer: [],
        problems: [{ kind: 'database', message: redact(e instanceof Error ? e.message : String(e)) }],
        checkedAt,
      };
    }
  };
  return async () => {
    if (cached && now() - cached.at < ttl) return cached.health;
    running ??= run().then((health) => {
      cached = { at: now(), health };
      running = undefined;
      return health;
    });
    return running;
  };
}
