import { ExitCode, SchemagateError } from '../errors.js';
import type { Client } from './connect.js';

/**
 * The migration lock as held: a session-level advisory lock on a connection of
 * its own that runs no migration SQL, so nothing a migration does
 * (`pg_advisory_unlock_all()`, `DISCARD ALL`, `RESET`, `SET ROLE`) can release
 * it. What a migration can still do, end that session (pg_terminate_backend),
 * is noticed: the connection's end aborts the run at once, and every history
 * write checks, in the same statement, that the lock is still held.
 */
export class LockLostError extends SchemagateError {
  override readonly name = 'LockLostError';
  constructor(name: string, why: string) {
    super(
      'lock.lost',
      `lost the migration lock on ${name}: ${why}. Stopped at once, so that no other runner can apply the same migration twice`,
      {
        exitCode: ExitCode.lockTimeout,
        hint: 'What was applied is recorded; the migration that was running was rolled back (or, outside a transaction, stopped after its last recorded statement). Run the command again to continue. If a migration ends other sessions (pg_terminate_backend), make it spare the migration lock session (application_name ending in "(lock)").',
      },
    );
  }
}

export class HeldLock {
  private lostWhy: string | undefined;
  private readonly controller = new AbortController();
  private closing = false;

  constructor(
    /** The connection that holds the lock, and runs only schemagate's own statements. */
    readonly client: Client,
    readonly pid: number,
    readonly key: bigint,
    /** What the lock protects, for messages: `public.schemagate_migrations`. */
    readonly name: string,
    /** The key the script connection holds while it may run SQL (see `runningKey`). */
    readonly runningKey: bigint,
  ) {
    const onGone = () => {
      if (!this.closing) this.markLost(`its session (pid ${pid}) ended`);
    };
    client.on('end', onGone);
    client.on('error', onGone);
  }

  /** Aborts when the lock is lost; its reason is the LockLostError. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get lost(): boolean {
    return this.lostWhy !== undefined;
  }

  /** Called before the connection is closed on purpose, so that closing is not taken for a loss. */
  closingOnPurpose(): void {
    this.closing = true;
  }

  markLost(why: string): LockLostError {
    this.lostWhy ??= why;
    const error = new LockLostError(this.name, this.lostWhy);
    if (!this.controller.signal.aborted) this.controller.abort(error);
    return error;
  }

  error(): LockLostError {
    return new LockLostError(this.name, this.lostWhy ?? `its session (pid ${this.pid}) no longer holds it`);
  }

  /** SQL that is true while the lock's session still holds it: for a WHERE of a history write on any connection. */
  heldSql(): string {
    const unsigned = BigInt.asUintN(64, this.key);
    return `EXISTS (SELECT 1 FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND granted AND pid = ${this.pid}
       AND objsubid = 1 AND classid::bigint = ${unsigned >> 32n} AND objid::bigint = ${unsigned & 0xffffffffn}
       AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()))`;
  }

  /** Throws a LockLostError unless the lock's session is alive and still holds it. */
  async assertHeld(): Promise<void> {
    if (this.lostWhy !== undefined) throw this.error();
    let held: boolean;
    try {
      const { rows } = await this.client.query<{ held: boolean }>(`SELECT ${this.heldSql()} AS held`);
      held = rows[0]?.held === true;
    } catch {
      // The only statement this connection runs failed: the connection is gone.
      throw this.markLost(`its session (pid ${this.pid}) ended`);
    }
    if (!held) throw this.markLost(`its session (pid ${this.pid}) no longer holds it`);
  }
}
