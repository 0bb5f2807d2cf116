/**
 * schemagate's programmatic API: what a team calls from its own scripts and
 * tests. Database commands take the configuration and the database URL as the
 * CLI does; `check` and `render` need no database. Loading it loads neither
 * listr2 nor @kubernetes/client-node.
 */
export {
  check,
  migrate,
  readConfig,
  render,
  status,
  verify,
  type ApiOptions,
  type CheckReport,
} from './api/commands.js';
export {
  ConfigError,
  ExitCode,
  isSchemagateError,
  JobFailedError,
  KubeApiError,
  SchemagateError,
  UsageError,
  type ConfigIssue,
  type ErrorContext,
} from './errors.js';
export type { Config } from './config/types.js';
export type { AppliedMigration, MigrateResult } from './engine/migrate.js';
export type { StatusEntry, StatusReport, SeedStatus } from './engine/status.js';
export type { VerifyProblem, VerifyReport } from './engine/verify.js';
export type { Check } from './tasks/check.js';
export { packageVersion as version } from './util/package-version.js';
