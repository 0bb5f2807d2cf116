import { ExitCode, SchemagateError } from '../errors.js';

/** The history kinds, as the errors name them (the same as HistoryKind). */
type Kind = 'migration' | 'seed' | 'baseline';

/** Another session holds a lock on the history table past lock_timeout. */
export class HistoryLockedError extends SchemagateError {
  override readonly name = 'HistoryLockedError';
  constructor(table: string, holders: string) {
    super(
      'history.locked',
      `the migration history ${table} is locked by another session${holders ? ` (${holders})` : ''}: gave up after lock_timeout`,
      {
        exitCode: ExitCode.lockTimeout,
        hint: 'Something holds a lock on the history table (LOCK TABLE, or a long transaction that changed it). Let it finish, or end it with SELECT pg_terminate_backend(pid); then run again. migrations.lockTimeout sets how long to wait.',
      },
    );
  }
}

/** Texts of the errors a history write raises in SQL (see assertHeldSql and deleteSql). */
export const LOCK_LOST_MARK = 'schemagate: the migration lock is no longer held by its session';
export const ROW_GONE_MARK = 'schemagate: the history row to delete is not there';

/** A history write found another runner's row where there should be none (or none where there should be one). */
export class HistoryConflictError extends SchemagateError {
  override readonly name = 'HistoryConflictError';
  constructor(table: string, kind: Kind, version: string, what: string, cause?: unknown) {
    super(
      'history.conflict',
      `${kind} ${version} was ${what} in ${table} by another runner while this one held the migration lock: nothing of this run's ${kind} ${version} was recorded over it`,
      {
        exitCode: ExitCode.lockTimeout,
        hint: 'Two runners wrote the same history, which the migration lock should prevent: is another tool (or an older schemagate) writing this history table without the lock? Check `schemagate db status`, then run again.',
        context: { version },
        ...(cause ? { cause } : {}),
      },
    );
  }
}
