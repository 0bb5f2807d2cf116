import { join } from 'node:path';
import type { MigrationFormat } from '../../config/types.js';
import { ExitCode, SchemagateError } from '../../errors.js';
import { readDiesel, looksLikeDiesel } from './diesel.js';
import { hasJournal, readDrizzle } from './drizzle.js';
import { flatLayout, isFlatDownName, readFlat } from './flat.js';
import { goose } from './goose.js';
import { inside, isDocumentation, listFolder, readSql, SQL_FILE, type Listing } from './listing.js';
import { nodePgMigrate } from './node-pg-migrate.js';
import { looksLikePrisma, readPrisma } from './prisma.js';
import { readSectioned, type SectionTool } from './sectioned.js';
import { sqlMigrate } from './sql-migrate.js';
import {
  FilesError,
  LAYOUT_SHAPES,
  layoutList,
  type FileProblem,
  type FolderReading,
  type LayoutName,
} from './types.js';

/*
 * Which layout a migrations folder is written in, decided from the folder
 * alone: drizzle's journal, Prisma's or diesel's folder per migration, or
 * flat files, whose section markers tell goose, sql-migrate and
 * node-pg-migrate apart from the layouts that name everything by the file.
 */

const SECTIONED: Partial<Record<LayoutName, SectionTool>> = {
  goose,
  'sql-migrate': sqlMigrate,
  'node-pg-migrate': nodePgMigrate,
};

const MARKERS: [LayoutName, RegExp][] = [
  ['goose', /^\s*--\s*\+goose\b/im],
  ['sql-migrate', /^--\s*\+migrate\b/im],
  ['node-pg-migrate', /^\s*--[\s-]*(up|down)\s+migration/im],
];
/** Any of MARKERS, in one pass over a file: most files hold none. */
const ANY_MARKER = new RegExp(MARKERS.map(([, re]) => re.source).join('|'), 'im');

export interface ReadOptions {
  /** An empty folder is not an error (a new project; `--allow-empty`). @default false */
  allowEmpty?: boolean;
}

export class EmptyMigrationsError extends SchemagateError {
  override readonly name = 'EmptyMigrationsError';
  constructor(shown: string, layout: LayoutName | undefined) {
    super(
      'files.empty',
      `no migrations in ${shown}${layout ? ` (read as ${LAYOUT_SHAPES[layout]})` : ''}: nothing would be applied or checked`,
      {
        exitCode: ExitCode.validation,
        context: { file: shown },
        hint: `schemagate reads these layouts: ${layoutList()}. Point --migrations (migrations.dir) at the folder that holds them; where an empty folder is expected, pass --allow-empty.`,
      },
    );
  }
}

/**
 * The texts of the flat files that can hold markers (down scripts of flat
 * layouts are read when needed). A file that cannot be read as UTF-8 text,
 * and a folder named like a migration (`4_x.sql/`, which reading names as
 * such), is a problem: added to `problems` when given, else thrown with
 * every such file named.
 */
function readTexts(listing: Listing, problems?: FileProblem[]): Map<string, string> {
  const found: FileProblem[] = problems ?? [];
  const reading = textsOf(listing, found);
  let step = reading.next();
  while (!step.done) step = reading.next();
  if (!problems && found.length > 0) throw new FilesError(found);
  return step.value;
}

/** readTexts' work, one file per step: run to the end at once, or with pauses (readMigrationFolderYielding). */
function* textsOf(listing: Listing, found: FileProblem[]): Generator<undefined, Map<string, string>> {
  const texts = new Map<string, string>();
  const names = [...listing.sql, ...listing.folders.filter((f) => SQL_FILE.test(f))].sort();
  for (const n of names) {
    if (isFlatDownName(n)) continue;
    const text = readSql(inside(listing.dir, n), inside(listing.shown, n), found);
    if (text !== undefined) texts.set(n, text);
    yield;
  }
  return texts;
}

/** Flat files' layout from their section markers; two tools' markers in one folder is an error. */
function markedLayout(listing: Listing, texts: ReadonlyMap<string, string>): LayoutName | undefined {
  const found = new Map<LayoutName, string>();
  for (const [name, text] of texts) {
    if (!ANY_MARKER.test(text)) continue;
    for (const [layout, re] of MARKERS) if (!found.has(layout) && re.test(text)) found.set(layout, name);
  }
  if (found.size > 1) {
    throw new FilesError(
      [...found].map(([layout, name]) => ({
        file: join(listing.shown, name),
        message: `has ${layout} section markers, and other files of the folder another tool's: one folder holds one tool's migrations`,
      })),
    );
  }
  return found.keys().next().value;
}

/** Everything in a flat folder that no flat layout reads, each named with what to do. */
function strayEntries(listing: Listing, layout: LayoutName): FileProblem[] {
  const problems: FileProblem[] = [];
  for (const f of listing.folders) {
    // Reported as a file that cannot be read (readTexts).
    if (SQL_FILE.test(f)) continue;
    problems.push({
      file: join(listing.shown, f),
      message: `a folder among ${LAYOUT_SHAPES[layout]} files: schemagate reads folders only as Prisma (<folder>/migration.sql) or diesel (<folder>/up.sql) migrations, never beside files. Move it out of the folder`,
    });
  }
  for (const o of listing.other) {
    if (isDocumentation(o)) continue;
    const message = /\.go$/i.test(o)
      ? 'a goose Go migration: schemagate runs SQL only. Rewrite it as a .sql migration, or apply it with goose and record it with `schemagate db adopt`'
      : /\.(c|m)?(js|ts)$/i.test(o)
        ? 'a JavaScript migration (node-pg-migrate, umzug): schemagate runs SQL only. Rewrite it as a .sql migration'
        : 'fits no migration layout schemagate reads. Move it out of the folder';
    problems.push({ file: join(listing.shown, o), message });
  }
  return problems;
}

function fromFormat(format: MigrationFormat): LayoutName | undefined {
  return format === 'auto' ? undefined : format;
}

/**
 * The layout of a migrations folder, without reading it all: what
 * `schemagate new` uses to name the next migration. Undefined for a folder
 * that holds nothing yet. Throws for a folder that mixes tools' markers.
 */
export function detectLayout(dir: string, format: MigrationFormat = 'auto'): LayoutName | undefined {
  const forced = fromFormat(format);
  if (forced) return forced;
  const listing = listFolder(dir, 'Migrations', 'migrations.dir', '--migrations');
  return layoutOf(listing, undefined);
}

function layoutOf(listing: Listing, texts: ReadonlyMap<string, string> | undefined): LayoutName | undefined {
  const folderLayout = folderLayoutOf(listing, 'auto');
  if (folderLayout) return folderLayout;
  if (listing.sql.length === 0) return undefined;
  const t = texts ?? readTexts(listing);
  return markedLayout(listing, t) ?? flatLayout(listing.sql, t);
}

/**
 * Reads a migrations folder in its layout (detected, or set by
 * `migrations.format`): the migrations in the order their tool runs them.
 * Files and folders that fit the layout's tool no more than schemagate, and
 * a folder with no migrations (unless `allowEmpty`), are errors (exit 4)
 * that name them and the layouts schemagate reads.
 */
export function readMigrationFolder(
  dir: string,
  format: MigrationFormat = 'auto',
  opts: ReadOptions = {},
): FolderReading {
  const listing = listFolder(dir, 'Migrations', 'migrations.dir', '--migrations');
  return readListing(listing, format, opts, (unreadable) => readTexts(listing, unreadable));
}

/** Files read between two pauses of readMigrationFolderYielding: about a millisecond of work. */
const FILES_PER_PAUSE = 50;

/**
 * readMigrationFolder, pausing every few files while it reads a flat folder,
 * so that a connection being opened meanwhile goes on with its handshake
 * instead of waiting for the whole folder (`db migrate` connects while it
 * reads). The same result and the same errors.
 */
export async function readMigrationFolderYielding(
  dir: string,
  format: MigrationFormat = 'auto',
  opts: ReadOptions = {},
): Promise<FolderReading> {
  const listing = listFolder(dir, 'Migrations', 'migrations.dir', '--migrations');
  if (folderLayoutOf(listing, format)) return readListing(listing, format, opts, () => new Map());
  const found: FileProblem[] = [];
  const reading = textsOf(listing, found);
  let step = reading.next();
  for (let i = 1; !step.done; i++) {
    if (i % FILES_PER_PAUSE === 0) await new Promise((resolve) => setImmediate(resolve));
    step = reading.next();
  }
  const texts = step.value;
  return readListing(listing, format, opts, (unreadable) => {
    unreadable.push(...found);
    return texts;
  });
}

/** The layouts that are a folder per migration or a journal: read by their own readers. */
function folderLayoutOf(listing: Listing, format: MigrationFormat): LayoutName | undefined {
  if (format === 'drizzle' || format === 'prisma' || format === 'diesel') return format;
  if (format !== 'auto') return undefined;
  if (hasJournal(listing.dir)) return 'drizzle';
  if (looksLikePrisma(listing)) return 'prisma';
  if (looksLikeDiesel(listing)) return 'diesel';
  return undefined;
}

/** A listed folder read in its layout; `texts` reads the flat files' texts, adding what cannot be read to `unreadable`. */
function readListing(
  listing: Listing,
  format: MigrationFormat,
  opts: ReadOptions,
  texts: (unreadable: FileProblem[]) => Map<string, string>,
): FolderReading {
  const hint = `schemagate reads these layouts: ${layoutList()}.`;
  const folderLayout = folderLayoutOf(listing, format);
  let reading: FolderReading;
  if (folderLayout) {
    const stray =
      folderLayout === 'diesel'
        ? listing.other
            .filter((o) => !isDocumentation(o))
            .map((o) => ({ file: join(listing.shown, o), message: 'not read by diesel: move it out of the folder' }))
        : [];
    if (stray.length > 0) throw new FilesError(stray, hint);
    reading =
      folderLayout === 'drizzle'
        ? { layout: folderLayout, ...readDrizzle(listing) }
        : {
            layout: folderLayout,
            files: folderLayout === 'prisma' ? readPrisma(listing) : readDiesel(listing),
            ignored: [],
          };
  } else {
    const unreadable: FileProblem[] = [];
    const read = texts(unreadable);
    const layout = fromFormat(format) ?? markedLayout(listing, read) ?? flatLayout(listing.sql, read);
    const stray = strayEntries(listing, layout);
    if (unreadable.length + stray.length > 0) {
      const all = [...unreadable, ...stray].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
      throw new FilesError(all, stray.length > 0 ? hint : undefined);
    }
    const tool = SECTIONED[layout];
    const flatFormat: MigrationFormat = format === 'schemagate' || format === 'flyway' ? format : 'auto';
    reading = {
      layout,
      files: tool ? readSectioned(listing, read, tool) : readFlat(listing, read, flatFormat),
      ignored: [],
    };
  }
  if (reading.files.length === 0 && !opts.allowEmpty)
    throw new EmptyMigrationsError(
      listing.shown,
      listing.sql.length + listing.folders.length > 0 ? reading.layout : undefined,
    );
  return reading;
}
