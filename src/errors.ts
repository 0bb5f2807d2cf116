/**
 * One error hierarchy for the whole tool. Every error carries an exit code,
 * the object it is about (file, key, version, pod, Job) and its cause; the CLI
 * prints `message` (and `hint`) and exits with `exitCode`.
 *
 * Exit codes are part of the public contract (README "Exit codes").
 */
export const ExitCode = {
  /** Everything asked for was done. */
  ok: 0,
  /** An unexpected failure (a bug, or an error nobody classified). */
  failure: 1,
  /** Bad command line: unknown command or flag, bad flag value. */
  usage: 2,
  /** Bad configuration file or environment (schemagate.yaml, DATABASE_URL). */
  config: 3,
  /** Bad migration or seed files: names, duplicates, drift, missing files. */
  validation: 4,
  /** The database could not be reached or refused us (network, auth, timeout). */
  connection: 5,
  /** A migration or seed failed while running and would fail again: an SQL error in the file. */
  migration: 6,
  /** `db status`: there are pending migrations (nothing is wrong otherwise). */
  pending: 7,
  /** `db verify`: the schema is not what the application needs. */
  verify: 8,
  /** Another runner held the advisory lock past the deadline. */
  lockTimeout: 9,
  /** A Kubernetes Job, pod or rollout failed, or a wait hit its deadline. */
  cluster: 10,
  /** A destructive command was refused (context guard, missing --yes). */
  refused: 11,
  /** `lint`: a migration to apply is dangerous for a live database (Squawk found an error). */
  lint: 12,
  /**
   * The migration or seed files a pod sees differ from the ones its Job was
   * made for (an image built before the last edit, or not loaded).
   */
  filesDiffer: 13,
  /**
   * A migration or seed failed on something that passes: a lock or statement
   * timeout, a serialization failure or deadlock. Another attempt may succeed.
   */
  transient: 14,
  /** Interrupted by SIGINT / SIGTERM: the running work was cancelled and rolled back. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Exit codes after which another attempt of a Job's pod cannot succeed: the
 * same files, flags and configuration give the same failure. The Jobs'
 * podFailurePolicy fails the Job at once on them. Ascending.
 */
export const FINAL_EXIT_CODES: readonly ExitCode[] = [
  ExitCode.usage,
  ExitCode.config,
  ExitCode.validation,
  ExitCode.migration,
  ExitCode.verify,
  ExitCode.refused,
  ExitCode.filesDiffer,
];

/**
 * Exit codes of failures that pass: the database unreachable or gone away,
 * another runner holding the lock, a lock or statement timeout, a
 * serialization failure. The Jobs retry them (up to backoffLimit). Ascending.
 */
export const TRANSIENT_EXIT_CODES: readonly ExitCode[] = [
  ExitCode.connection,
  ExitCode.lockTimeout,
  ExitCode.transient,
];

export interface ErrorContext {
  /** The file the error is about, relative to the working directory when possible. */
  file?: string;
  /** The configuration key path, e.g. `migrations.lockTimeout`. */
  key?: string;
  /** The migration or seed version. */
  version?: string;
  /** A Kubernetes object, e.g. `job/schemagate-migrate-1a2b3c`. */
  object?: string;
}

export class SchemagateError extends Error {
  override readonly name: string = 'SchemagateError';
  readonly exitCode: ExitCode;
  readonly context: ErrorContext;
  /** How to get past the error, shown after the message. */
  readonly hint: string | undefined;
  /** A short stable identifier, for `--json` output and tests. */
  readonly code: string;

  constructor(
    code: string,
    message: string,
    options: { exitCode?: ExitCode; hint?: string; context?: ErrorContext; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = options.exitCode ?? ExitCode.failure;
    this.hint = options.hint;
    this.context = options.context ?? {};
  }

  toJSON(): Record<string, unknown> {
    return {
      error: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...this.context,
      exitCode: this.exitCode,
    };
  }
}

export class UsageError extends SchemagateError {
  override readonly name = 'UsageError';
  constructor(message: string, hint?: string) {
    super('usage', message, { exitCode: ExitCode.usage, ...(hint ? { hint } : {}) });
  }
}

/** One problem in a configuration file: where it is, what was expected, what was found. */
export interface ConfigIssue {
  key: string;
  message: string;
}

export class ConfigError extends SchemagateError {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];
  constructor(file: string, issues: readonly ConfigIssue[], hint?: string) {
    const lines = issues.map((i) => `  - ${i.key}: ${i.message}`).join('\n');
    super(
      'config',
      `${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'} in the configuration:\n${lines}`,
      {
        exitCode: ExitCode.config,
        context: { file },
        ...(hint ? { hint } : {}),
      },
    );
    this.issues = issues;
  }
}

/**
 * A Kubernetes API call that failed: what was being done, on which context,
 * and the HTTP status (undefined when the API server was not reached). Code
 * that expects a status checks it (`status === 404`); everything else
 * propagates as it is.
 */
export class KubeApiError extends SchemagateError {
  override readonly name = 'KubeApiError';
  constructor(
    code: 'kube.api' | 'kube.unreachable',
    message: string,
    readonly status: number | undefined,
    /** The API server's own message (or the client's, when the server was not reached). */
    readonly reason: string,
    options: { exitCode: ExitCode; hint?: string; context?: ErrorContext; cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/**
 * A Job failed (`finished`: its Failed condition, after its pods ran), or
 * cannot succeed (a container that can never start): the Job, and the last
 * log lines of its failed attempt.
 */
export class JobFailedError extends SchemagateError {
  override readonly name = 'JobFailedError';
  constructor(
    code: string,
    message: string,
    hint: string,
    readonly job: string,
    readonly lastLines: readonly string[],
    readonly finished: boolean,
  ) {
    super(code, message, { exitCode: ExitCode.cluster, hint, context: { object: `job/${job}` } });
  }
}

export function isSchemagateError(e: unknown): e is SchemagateError {
  return e instanceof SchemagateError;
}

/** Wraps anything thrown into an Error (nothing in this codebase throws non-errors). */
export function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
