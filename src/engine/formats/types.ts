import { ExitCode, SchemagateError } from '../../errors.js';
import type { Version } from '../version.js';

/**
 * The migration layouts schemagate reads: each turns a folder into the same
 * list of migrations (up text, down script, transaction mode, identity),
 * exactly as its own tool would run them.
 */
export const LayoutName = {
  schemagate: 'schemagate',
  flyway: 'flyway',
  golangMigrate: 'golang-migrate',
  dbmate: 'dbmate',
  sqlx: 'sqlx',
  goose: 'goose',
  sqlMigrate: 'sql-migrate',
  nodePgMigrate: 'node-pg-migrate',
  drizzle: 'drizzle',
  prisma: 'prisma',
  diesel: 'diesel',
} as const;
export type LayoutName = (typeof LayoutName)[keyof typeof LayoutName];

/** What each layout looks like, for messages that list the layouts schemagate reads. */
export const LAYOUT_SHAPES: Record<LayoutName, string> = {
  schemagate: 'NNN_description.sql with NNN_description.down.sql or rollback_NNN.sql',
  flyway: 'Flyway V1__description.sql with U1__description.sql',
  'golang-migrate': 'golang-migrate NNN_title.up.sql with NNN_title.down.sql',
  dbmate: 'dbmate TIMESTAMP_name.sql with -- migrate:up / -- migrate:down',
  sqlx: 'sqlx VERSION_description.sql (or .up.sql / .down.sql)',
  goose: 'goose NNN_name.sql with -- +goose Up / -- +goose Down',
  'sql-migrate': 'sql-migrate name.sql with -- +migrate Up / -- +migrate Down',
  'node-pg-migrate': 'node-pg-migrate TIMESTAMP_name.sql with -- Up Migration / -- Down Migration',
  drizzle: 'drizzle NNNN_tag.sql listed in meta/_journal.json',
  prisma: 'Prisma TIMESTAMP_name/migration.sql beside migration_lock.toml',
  diesel: 'diesel YYYY-MM-DD-HHMMSS_name/up.sql and down.sql (metadata.toml)',
};

export function layoutList(): string {
  return Object.values(LAYOUT_SHAPES).join('; ');
}

/** Statement blocks a tool sends as one statement (goose/sql-migrate StatementBegin ... StatementEnd): [start, end) offsets. */
export type Blocks = readonly (readonly [number, number])[];

/** A down script: its own file, or a section of the migration's file. */
export interface DownScript {
  readonly file: string;
  readonly path: string;
  /** dbmate: the 0-based line of the `-- migrate:down` marker; the section is what follows it. */
  readonly markerLine?: number;
  /** A section cut out of the migration's file (goose, sql-migrate, node-pg-migrate), lines kept. */
  readonly sql?: string;
  /** Why it runs outside a transaction, when its tool says so (the marker or setting). */
  readonly noTransaction?: string;
  readonly blocks?: Blocks;
}

/** A versioned migration read from disk: its normalised text and checksum. */
export interface MigrationFile {
  readonly version: Version;
  readonly description: string;
  /** Path as shown to the user (relative to the working directory). */
  readonly file: string;
  readonly path: string;
  /** BOM-stripped, LF-normalised text of what runs (a sectioned file: its up section, lines kept). */
  readonly sql: string;
  readonly checksum: string;
  /** The down script, if there is one (read when needed). */
  readonly down: DownScript | undefined;
  /** Why it runs outside a transaction, when its tool says so (`-- +goose NO TRANSACTION`, diesel's metadata.toml). */
  readonly noTransaction?: string;
  readonly blocks?: Blocks;
}

/** A folder read: its layout, its migrations in the order they run, and what was seen but not run. */
export interface FolderReading {
  layout: LayoutName;
  files: MigrationFile[];
  /** Files the layout's tool would not run either (drizzle: .sql files its journal does not list). */
  ignored: FileProblem[];
}

export interface FileProblem {
  file: string;
  message: string;
}

/** Every problem found in a migrations or seeds folder, reported at once. */
export class FilesError extends SchemagateError {
  override readonly name = 'FilesError';
  readonly problems: readonly FileProblem[];
  constructor(problems: readonly FileProblem[], hint?: string) {
    const lines = problems.map((p) => `  - ${p.file}: ${p.message}`).join('\n');
    const first = problems[0];
    super(
      'files',
      problems.length === 1 && first
        ? `${first.file}: ${first.message}`
        : `${problems.length} problems in the migration files:\n${lines}`,
      { exitCode: ExitCode.validation, context: first ? { file: first.file } : {}, ...(hint ? { hint } : {}) },
    );
    this.problems = problems;
  }
}
