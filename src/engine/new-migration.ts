import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { MigrationFormat } from '../config/types.js';
import { ExitCode, SchemagateError } from '../errors.js';
import { displayPath, type MigrationFile, readMigrationFolder } from './files.js';
import type { LayoutName } from './formats/types.js';
import { compareVersions } from './version.js';
import { itemAt } from '../util/defined.js';

/**
 * `schemagate new NAME`: the next migration file (and its down script where
 * the layout has one), named and numbered as the folder's newest migration
 * is, in the layout of the tool the folder was written for:
 *
 * | layout         | files                                      | empty folder  |
 * |----------------|--------------------------------------------|---------------|
 * | schemagate     | `005_x.sql`, `005_x.down.sql`              | `001`         |
 * | flyway         | `V5__x.sql` (and `U5__x.sql` when the folder has undo scripts) | `V1` |
 * | golang-migrate | `005_x.up.sql`, `005_x.down.sql` (also sqlx `-r`) | timestamp |
 * | dbmate         | `20240101120000_x.sql`, `-- migrate:up` / `-- migrate:down` sections | timestamp |
 * | sqlx           | `20240101120000_x.sql` (simple: no down script) | timestamp |
 * | goose          | `20240101120000_x.sql`, `-- +goose Up` / `-- +goose Down` sections | timestamp |
 *
 * Timestamps are UTC `YYYYMMDDHHMMSS`, as dbmate, goose, golang-migrate and
 * sqlx write them.
 */
export const LAYOUTS = ['schemagate', 'flyway', 'golang-migrate', 'dbmate', 'sqlx', 'goose'] as const;
export type Layout = (typeof LAYOUTS)[number];

export type Numbering = { kind: 'timestamp' } | { kind: 'sequence'; width: number };

/** What the folder already is: its layout, numbering and newest version. */
export interface FolderShape {
  layout: Layout;
  numbering: Numbering;
  /** The newest migration's version (numeric text), when there is one. */
  last: string | undefined;
  /** Flyway: the folder has undo scripts (`U5__x.sql`), so the new migration gets one too. */
  undo: boolean;
  /** The file the layout was read from, for the user (undefined: an empty folder). */
  from: string | undefined;
}

/** The sequence width a tool starts an empty folder with. */
const FIRST_WIDTH: Record<Layout, number> = {
  schemagate: 3,
  flyway: 1,
  'golang-migrate': 6,
  dbmate: 3,
  sqlx: 4,
  goose: 5,
};

const TIMESTAMP = /^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])([01]\d|2[0-3])[0-5]\d[0-5]\d$/;

/** The tool's own command for a layout `new` does not write: schemagate reads these folders, their tools create them. */
const OWN_COMMAND: Record<Exclude<LayoutName, Layout>, string> = {
  'sql-migrate': 'sql-migrate new NAME',
  'node-pg-migrate': 'node-pg-migrate create NAME --migration-file-language sql',
  drizzle: 'drizzle-kit generate (drizzle also writes its journal, meta/_journal.json)',
  prisma: 'prisma migrate dev --create-only --name NAME',
  diesel: 'diesel migration generate NAME',
};

function isWritable(layout: LayoutName): layout is Layout {
  return (LAYOUTS as readonly string[]).includes(layout);
}

/**
 * The folder's layout and newest migration, read by the same readers that
 * `db migrate` uses (so `new` never writes a file the engine would read
 * differently). Undefined for an empty or missing folder: the caller picks
 * the default. A layout whose tool keeps more than files (a journal, a
 * folder per migration) is refused with that tool's own command.
 */
export function detectLayout(dir: string, format: MigrationFormat = 'auto'): FolderShape | undefined {
  if (!existsSync(dir)) return undefined;
  const reading = readMigrationFolder(dir, format, { allowEmpty: true });
  const newest = reading.files.reduce<MigrationFile | undefined>(
    (a, f) => (a === undefined || compareVersions(f.version, a.version) > 0 ? f : a),
    undefined,
  );
  if (!newest) return undefined;
  if (!isWritable(reading.layout))
    throw new SchemagateError(
      'new.layout',
      `${displayPath(dir)} holds ${reading.layout} migrations, which schemagate reads but does not create`,
      {
        exitCode: ExitCode.usage,
        hint: `Create the migration with ${reading.layout}'s own command: ${OWN_COMMAND[reading.layout]}. schemagate then migrates it as ${reading.layout} would.`,
      },
    );
  // The number as the file writes it (`000042`), not the canonical version (`42`): its width is the folder's.
  const major = /^V?(\d+)/.exec(basename(newest.file))?.[1] ?? newest.version.text;
  const flyway = reading.layout === 'flyway';
  const downs = reading.files.filter((f) => f.down !== undefined);
  const undo = flyway && downs.some((f) => f.down !== undefined && /^U/.test(basename(f.down.file)));
  // Flat NNN_name.sql files read the same for schemagate and sqlx; timestamps without down scripts are sqlx's simple migrations.
  const layout =
    reading.layout === 'schemagate' && downs.length === 0 && TIMESTAMP.test(major) ? 'sqlx' : reading.layout;
  return {
    layout,
    numbering: TIMESTAMP.test(major) ? { kind: 'timestamp' } : { kind: 'sequence', width: major.length },
    last: major,
    undo,
    from: newest.file,
  };
}

/** The shape of an empty folder: the layout asked for (or the configured format), each tool's own default numbering. */
export function defaultShape(layout: Layout, numbering?: Numbering['kind']): FolderShape {
  const kind = numbering ?? (layout === 'schemagate' || layout === 'flyway' ? 'sequence' : 'timestamp');
  return {
    layout,
    numbering: kind === 'timestamp' ? { kind } : { kind, width: FIRST_WIDTH[layout] },
    last: undefined,
    undo: false,
    from: undefined,
  };
}

function utcStamp(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(now.getUTCFullYear(), 4)}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
}

/** The next version: now (UTC) for timestamps, never below the newest + 1; else the newest + 1 at the folder's width. */
export function nextVersion(shape: FolderShape, now: Date): string {
  const last = shape.last === undefined ? 0n : BigInt(shape.last);
  if (shape.numbering.kind === 'timestamp') {
    const stamp = BigInt(utcStamp(now));
    return String(stamp > last ? stamp : last + 1n);
  }
  return String(last + 1n).padStart(shape.numbering.width, '0');
}

/** `Add user notes!` -> `Add_user_notes`: the name part of a file name. */
export function slug(name: string): string {
  return name
    .trim()
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export interface NewFile {
  name: string;
  text: string;
}

/** The files of the new migration, with the text each tool's own `new`/`create` would give them. */
export function newMigrationFiles(shape: FolderShape, name: string, version: string): NewFile[] {
  const words = name.replace(/_/g, ' ');
  switch (shape.layout) {
    case 'schemagate':
      return [
        {
          name: `${version}_${name}.sql`,
          text: `-- ${version} ${words}: runs in one transaction with its history row.\n\n`,
        },
        { name: `${version}_${name}.down.sql`, text: `-- Reverts ${version}_${name}.sql (db down, db check).\n\n` },
      ];
    case 'flyway':
      return [
        { name: `V${version}__${name}.sql`, text: `-- V${version}: ${words}\n\n` },
        ...(shape.undo ? [{ name: `U${version}__${name}.sql`, text: `-- Undoes V${version}__${name}.sql.\n\n` }] : []),
      ];
    case 'golang-migrate':
      return [
        { name: `${version}_${name}.up.sql`, text: `-- ${version} ${words}\n\n` },
        { name: `${version}_${name}.down.sql`, text: `-- Reverts ${version}_${name}.up.sql.\n\n` },
      ];
    case 'sqlx':
      return [{ name: `${version}_${name}.sql`, text: `-- ${version} ${words}\n\n` }];
    case 'dbmate':
      // dbmate's own template (`dbmate new`).
      return [{ name: `${version}_${name}.sql`, text: '-- migrate:up\n\n\n-- migrate:down\n\n' }];
    case 'goose':
      // goose's annotations (https://pressly.github.io/goose/blog/2022/overview-sql-file), without the placeholder queries.
      return [{ name: `${version}_${name}.sql`, text: '-- +goose Up\n\n\n-- +goose Down\n\n' }];
  }
}

/**
 * Writes the files into `dir` (created if missing), refusing to overwrite
 * anything. Returns their paths as shown to the user.
 */
export function writeNewMigration(dir: string, files: readonly NewFile[]): string[] {
  const taken = files.map((f) => join(dir, f.name)).filter((p) => existsSync(p));
  if (taken.length > 0)
    throw new SchemagateError('new.exists', `${taken.map((p) => displayPath(p)).join(', ')} already exists`, {
      exitCode: ExitCode.validation,
      context: { file: displayPath(itemAt(taken, 0, 'the file that has the version')) },
      hint: 'Pick another name, or wait a second for the next timestamp.',
    });
  mkdirSync(dir, { recursive: true });
  return files.map((f) => {
    const path = join(dir, f.name);
    writeFileSync(path, f.text, { flag: 'wx' });
    return displayPath(path);
  });
}
