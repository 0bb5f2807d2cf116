import type { MigrationFormat } from '../../config/types.js';
import { checksum } from '../checksum.js';
import { compareVersions, parseVersion, type Version } from '../version.js';
import { inside, isBlankSql, type Listing } from './listing.js';
import { FilesError, type FileProblem, type LayoutName, type MigrationFile } from './types.js';
import { defined, group, itemAt } from '../../util/defined.js';

/*
 * The flat layouts that name a migration by its file: schemagate's own
 * (NNN_description.sql, .down.sql, rollback_NNN.sql), Flyway (V1__x.sql,
 * U1__x.sql), golang-migrate and sqlx (.up.sql / .down.sql), and dbmate,
 * whose up and down sections share one file.
 */

const DBMATE_DOWN = /^--\s*migrate:down\b.*$/m;
const DBMATE_UP = /^--\s*migrate:up\b/m;

/**
 * dbmate keeps up and down in one file (`-- migrate:up`, then `-- migrate:down`).
 * The up part is the text before the down marker, so its line numbers are the
 * file's; running the whole file would run the down part too.
 */
export function splitDbmate(sql: string): { up: string; markerLine: number | undefined } {
  if (!DBMATE_UP.test(sql)) return { up: sql, markerLine: undefined };
  const m = DBMATE_DOWN.exec(sql);
  if (!m) return { up: sql, markerLine: undefined };
  return { up: sql.slice(0, m.index), markerLine: sql.slice(0, m.index).split('\n').length - 1 };
}

type Parsed =
  | { kind: 'up'; version: string; description: string }
  | { kind: 'down'; version: string; description: string | undefined }
  | { kind: 'invalid'; message: string };

const EXPECTED =
  "expected NNN_description.sql (e.g. 001_create_users.sql), NNN_description.down.sql, rollback_NNN.sql or Flyway's V1__description.sql";

/** Classifies one file name (the `.sql` extension in any case). Exported for unit tests. */
export function parseMigrationName(fileName: string, format: MigrationFormat): Parsed {
  const name = fileName.replace(/\.sql$/i, '.sql');
  const flywayAllowed = format !== 'schemagate';
  const plainAllowed = format !== 'flyway';
  let m: RegExpExecArray | null;
  if (flywayAllowed && (m = /^([VU])(\d+(?:[._]\d+)*)__(.+)\.sql$/.exec(name))) {
    const description = group(m, 3).replace(/_/g, ' ');
    return m[1] === 'V'
      ? { kind: 'up', version: group(m, 2), description }
      : { kind: 'down', version: group(m, 2), description };
  }
  if (flywayAllowed && /^R__.+\.sql$/.test(name)) {
    return {
      kind: 'invalid',
      message:
        'Flyway repeatable migrations (R__) are not supported: turn it into a versioned migration (V<n>__description.sql)',
    };
  }
  if (flywayAllowed && /^V\d+(?:[._]\d+)*_[^_].*\.sql$/.test(name)) {
    return {
      kind: 'invalid',
      message: `Flyway names need two underscores after the version: rename it to ${fileName.replace(/^(V\d+(?:[._]\d+)*)_/, '$1__')}`,
    };
  }
  if (plainAllowed && (m = /^rollback_(\d+)(?:_(.*))?\.sql$/.exec(name))) {
    return { kind: 'down', version: group(m, 1), description: m[2] };
  }
  if (plainAllowed && (m = /^(\d+)(?:_(.*?))?(\.up|\.down)?\.sql$/.exec(name))) {
    const description = (m[2] ?? '').replace(/_/g, ' ');
    return m[3] === '.down'
      ? { kind: 'down', version: group(m, 1), description }
      : { kind: 'up', version: group(m, 1), description };
  }
  if (format === 'flyway') {
    return {
      kind: 'invalid',
      message: `not a Flyway migration name: expected V1__description.sql or U1__description.sql (migrations.format is "flyway")`,
    };
  }
  if (format === 'schemagate' && /^[VUR]\d*_/.test(name)) {
    return {
      kind: 'invalid',
      message: `Flyway names are not read when migrations.format is "schemagate": rename it to NNN_description.sql or set migrations.format to "auto"`,
    };
  }
  return {
    kind: 'invalid',
    message: `not a migration file name: ${EXPECTED}. Rename it, or move it out of this folder`,
  };
}

/** Is `name` a down script of a flat layout (read when needed, never scanned for markers)? */
export function isFlatDownName(name: string): boolean {
  return /\.down\.sql$/i.test(name) || /^rollback_\d/i.test(name) || /^U\d/.test(name);
}

/** Which flat tool a folder looks written for, for `db status` and `schemagate new`. */
export function flatLayout(names: readonly string[], texts: ReadonlyMap<string, string>): LayoutName {
  if (names.some((n) => /^V\d/.test(n))) return 'flyway';
  for (const t of texts.values()) if (DBMATE_UP.test(t)) return 'dbmate';
  if (names.some((n) => /\.up\.sql$/i.test(n))) return 'golang-migrate';
  for (const t of texts.values()) if (/^--\s*no-transaction\b/.test(t)) return 'sqlx';
  return 'schemagate';
}

/**
 * Reads a flat folder in version order. All problems (bad names, duplicate
 * versions, orphan down scripts, empty files) are reported at once.
 */
export function readFlat(
  listing: Listing,
  texts: ReadonlyMap<string, string>,
  format: MigrationFormat,
): MigrationFile[] {
  const shownDir = listing.shown;
  const problems: FileProblem[] = [];
  const ups = new Map<string, { version: Version; description: string; name: string }>();
  const downs = new Map<string, string[]>();
  for (const name of listing.sql) {
    const shown = inside(shownDir, name);
    const parsed = parseMigrationName(name, format);
    if (parsed.kind === 'invalid') {
      problems.push({ file: shown, message: parsed.message });
      continue;
    }
    const version = defined(parseVersion(parsed.version), `the version of ${parsed.version}`);
    if (parsed.kind === 'down') {
      const list = downs.get(version.text) ?? [];
      list.push(name);
      downs.set(version.text, list);
      continue;
    }
    const other = ups.get(version.text);
    if (other) {
      problems.push({
        file: shown,
        message: `duplicate version ${version.text}: ${inside(shownDir, other.name)} has the same version. Give one of them the next free number`,
      });
      continue;
    }
    ups.set(version.text, { version, description: parsed.description, name });
  }
  for (const [v, list] of downs) {
    if (list.length > 1) {
      problems.push({
        file: inside(shownDir, itemAt(list, 1, 'the second down script')),
        message: `second down script for version ${v} (also ${inside(shownDir, itemAt(list, 0, 'the first down script'))}): keep one`,
      });
    }
    if (!ups.has(v)) {
      problems.push({
        file: inside(shownDir, itemAt(list, 0, 'the first down script')),
        message: `down script for version ${v}, but there is no migration ${v}: rename it to match its migration, or delete it`,
      });
    }
  }
  const files: MigrationFile[] = [];
  for (const { version, description, name } of ups.values()) {
    const path = inside(listing.dir, name);
    const shown = inside(shownDir, name);
    const { up: sql, markerLine } = splitDbmate(texts.get(name) ?? '');
    if (isBlankSql(sql)) {
      problems.push({
        file: shown,
        message: 'the migration is empty (only whitespace or comments): write its SQL, or delete the file',
      });
      continue;
    }
    const downName = downs.get(version.text)?.[0];
    if (downName && markerLine !== undefined) {
      problems.push({
        file: shown,
        message: `has a -- migrate:down section and a down script ${inside(shownDir, downName)}: keep one`,
      });
      continue;
    }
    files.push({
      version,
      description,
      file: shown,
      path,
      sql,
      checksum: checksum(sql),
      down: downName
        ? { file: inside(shownDir, downName), path: inside(listing.dir, downName) }
        : markerLine !== undefined
          ? { file: shown, path, markerLine }
          : undefined,
    });
  }
  if (problems.length > 0) throw new FilesError(problems);
  return files.sort((a, b) => compareVersions(a.version, b.version));
}
