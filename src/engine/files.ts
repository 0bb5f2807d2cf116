import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { MigrationFormat } from '../config/types.js';
import { ExitCode, SchemagateError } from '../errors.js';
import { checksum, normalizeSql } from './checksum.js';
import { fileSystemProblem, readSqlText } from './read-text.js';
import { compareVersions, parseVersion, type Version } from './version.js';

/** A versioned migration read from disk: its normalised text and checksum. */
export interface MigrationFile {
  readonly version: Version;
  readonly description: string;
  /** Path as shown to the user (relative to the working directory). */
  readonly file: string;
  readonly path: string;
  /** BOM-stripped, LF-normalised text: what is checksummed and sent. */
  readonly sql: string;
  readonly checksum: string;
  /** The down script, if there is one (read when needed). */
  readonly down: DownScript | undefined;
}

/** A down script: its own file, or (dbmate) the `-- migrate:down` section of the migration's file. */
export interface DownScript {
  readonly file: string;
  readonly path: string;
  /** dbmate: the 0-based line of the `-- migrate:down` marker; the section is what follows it. */
  readonly markerLine?: number;
}

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

export interface FileProblem {
  file: string;
  message: string;
}

/** Every problem found in a migrations or seeds folder, reported at once. */
export class FilesError extends SchemagateError {
  override readonly name = 'FilesError';
  readonly problems: readonly FileProblem[];
  constructor(problems: readonly FileProblem[]) {
    const lines = problems.map((p) => `  - ${p.file}: ${p.message}`).join('\n');
    const first = problems[0];
    super(
      'files',
      problems.length === 1 && first
        ? `${first.file}: ${first.message}`
        : `${problems.length} problems in the migration files:\n${lines}`,
      { exitCode: ExitCode.validation, context: first ? { file: first.file } : {} },
    );
    this.problems = problems;
  }
}

type Parsed =
  | { kind: 'up'; version: string; description: string }
  | { kind: 'down'; version: string; description: string | undefined }
  | { kind: 'invalid'; message: string };

const EXPECTED =
  "expected NNN_description.sql (e.g. 001_create_users.sql), NNN_description.down.sql, rollback_NNN.sql or Flyway's V1__description.sql";

/** Classifies one file name. Exported for unit tests. */
export function parseMigrationName(name: string, format: MigrationFormat): Parsed {
  const flywayAllowed = format !== 'schemagate';
  const plainAllowed = format !== 'flyway';
  let m: RegExpExecArray | null;
  if (flywayAllowed && (m = /^([VU])(\d+(?:[._]\d+)*)__(.+)\.sql$/.exec(name))) {
    const description = m[3]!.replace(/_/g, ' ');
    return m[1] === 'V' ? { kind: 'up', version: m[2]!, description } : { kind: 'down', version: m[2]!, description };
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
      message: `Flyway names need two underscores after the version: rename it to ${name.replace(/^(V\d+(?:[._]\d+)*)_/, '$1__')}`,
    };
  }
  if (plainAllowed && (m = /^rollback_(\d+)(?:_(.*))?\.sql$/.exec(name))) {
    return { kind: 'down', version: m[1]!, description: m[2] };
  }
  if (plainAllowed && (m = /^(\d+)(?:_(.*?))?(\.up|\.down)?\.sql$/.exec(name))) {
    const description = (m[2] ?? '').replace(/_/g, ' ');
    return m[3] === '.down'
      ? { kind: 'down', version: m[1]!, description }
      : { kind: 'up', version: m[1]!, description };
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

function listSqlFiles(dir: string, shown: string, what: string, configKey: string, flag: string): string[] {
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    throw new SchemagateError('files.missing-dir', `${what} folder not found: ${shown}`, {
      exitCode: ExitCode.validation,
      context: { file: shown },
      hint: `Create it, or point ${configKey} in schemagate.yaml (or ${flag}) at the folder that holds them.`,
    });
  }
  if (!stat.isDirectory()) {
    throw new SchemagateError('files.not-a-dir', `${shown} is not a folder`, {
      exitCode: ExitCode.validation,
      context: { file: shown },
      hint: `Point ${configKey} (or ${flag}) at the folder that holds the ${what.toLowerCase()} files.`,
    });
  }
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new SchemagateError('files.unreadable-dir', `${shown} ${fileSystemProblem(e, dir)}`, {
      exitCode: ExitCode.validation,
      context: { file: shown },
    });
  }
  return names.filter((n) => n.endsWith('.sql') && !n.startsWith('.')).sort();
}

export function displayPath(path: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/**
 * Reads every migration in `dir`, in version order. All problems (bad names,
 * duplicate versions, orphan down scripts, empty files) are reported at once.
 */
export function readMigrations(dir: string, format: MigrationFormat = 'auto'): MigrationFile[] {
  const shownDir = displayPath(dir);
  const names = listSqlFiles(dir, shownDir, 'Migrations', 'migrations.dir', '--migrations');
  const problems: FileProblem[] = [];
  const ups = new Map<string, { version: Version; description: string; name: string }>();
  const downs = new Map<string, string[]>();
  for (const name of names) {
    const shown = join(shownDir, name);
    const parsed = parseMigrationName(name, format);
    if (parsed.kind === 'invalid') {
      problems.push({ file: shown, message: parsed.message });
      continue;
    }
    const version = parseVersion(parsed.version)!;
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
        message: `duplicate version ${version.text}: ${join(shownDir, other.name)} has the same version. Give one of them the next free number`,
      });
      continue;
    }
    ups.set(version.text, { version, description: parsed.description, name });
  }
  for (const [v, list] of downs) {
    if (list.length > 1) {
      problems.push({
        file: join(shownDir, list[1]!),
        message: `second down script for version ${v} (also ${join(shownDir, list[0]!)}): keep one`,
      });
    }
    if (!ups.has(v)) {
      problems.push({
        file: join(shownDir, list[0]!),
        message: `down script for version ${v}, but there is no migration ${v}: rename it to match its migration, or delete it`,
      });
    }
  }
  const files: MigrationFile[] = [];
  for (const { version, description, name } of ups.values()) {
    const path = join(dir, name);
    const shown = join(shownDir, name);
    const read = readSqlText(path);
    if ('problem' in read) {
      problems.push({ file: shown, message: read.problem });
      continue;
    }
    const { up: sql, markerLine } = splitDbmate(normalizeSql(read.text));
    if (!/\S/.test(stripComments(sql))) {
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
        message: `has a -- migrate:down section and a down script ${join(shownDir, downName)}: keep one`,
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
        ? { file: join(shownDir, downName), path: join(dir, downName) }
        : markerLine !== undefined
          ? { file: shown, path, markerLine }
          : undefined,
    });
  }
  if (problems.length > 0) throw new FilesError(problems);
  return files.sort((a, b) => compareVersions(a.version, b.version));
}

/** A seed file: run in name order, each in its own transaction. */
export interface SeedFile {
  /** The file name: the seed's identity in the history table. */
  readonly name: string;
  readonly file: string;
  readonly path: string;
  readonly sql: string;
  readonly checksum: string;
}

export function readSeeds(dir: string): SeedFile[] {
  const shownDir = displayPath(dir);
  const names = listSqlFiles(dir, shownDir, 'Seeds', 'seeds.dir', '--seeds');
  const problems: FileProblem[] = [];
  const seeds: SeedFile[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const read = readSqlText(path);
    if ('problem' in read) {
      problems.push({ file: join(shownDir, name), message: read.problem });
      continue;
    }
    const sql = normalizeSql(read.text);
    seeds.push({ name, file: join(shownDir, name), path, sql, checksum: checksum(sql) });
  }
  if (problems.length > 0) throw new FilesError(problems);
  return seeds;
}

export function readDownScript(down: DownScript): string {
  const read = readSqlText(down.path);
  if ('problem' in read) throw new FilesError([{ file: down.file, message: read.problem }]);
  const text = normalizeSql(read.text);
  if (down.markerLine === undefined) return text;
  // The section after the marker, with the lines above it blanked: error lines stay the file's.
  const lines = text.split('\n');
  return '\n'.repeat(down.markerLine + 1) + lines.slice(down.markerLine + 1).join('\n');
}

/** Removes `--` and `/* *\/` comments (quotes are not a concern for an emptiness test). */
function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}
