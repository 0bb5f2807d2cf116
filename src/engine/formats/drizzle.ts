import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checksum } from '../checksum.js';
import { parseVersion } from '../version.js';
import { isDocumentation, readSql, type Listing } from './listing.js';
import { FilesError, type FileProblem, type MigrationFile } from './types.js';
import { defined } from '../../util/defined.js';

/*
 * drizzle-kit's folder (drizzle-orm src/migrator.ts readMigrationFiles): the
 * journal `meta/_journal.json` lists `{ idx, version, when, tag, breakpoints }`
 * entries; drizzle runs `<tag>.sql` for each entry, in the journal's order,
 * and nothing else. `--> statement-breakpoint` lines split statements for
 * drizzle and are comments to PostgreSQL. A migration's identity here is its
 * `idx`; drizzle has no down scripts, so `<tag>.down.sql` beside it is read
 * as one.
 */

export const JOURNAL = join('meta', '_journal.json');

interface Entry {
  idx: number;
  tag: string;
  when: number;
}

export function hasJournal(dir: string): boolean {
  return existsSync(join(dir, JOURNAL));
}

function readJournal(listing: Listing, problems: FileProblem[]): Entry[] {
  const shown = join(listing.shown, JOURNAL);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(listing.dir, JOURNAL), 'utf8'));
  } catch (e) {
    problems.push({ file: shown, message: `not valid JSON (${(e as Error).message}): drizzle cannot read it either` });
    return [];
  }
  const entries = (parsed as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(entries)) {
    problems.push({
      file: shown,
      message: 'has no "entries" list: expected { "entries": [{ "idx": 0, "tag": "0000_name", ... }] }',
    });
    return [];
  }
  const out: Entry[] = [];
  entries.forEach((raw, i) => {
    const e = raw as Partial<Entry> | null;
    const idx = e?.idx;
    if (!e || typeof e.tag !== 'string' || typeof idx !== 'number' || !Number.isInteger(idx) || idx < 0) {
      problems.push({ file: shown, message: `entry ${i} needs a whole-number "idx" and a "tag"` });
      return;
    }
    const previous = out.at(-1);
    if (previous && idx <= previous.idx) {
      problems.push({
        file: shown,
        message: `entry "${e.tag}" has idx ${idx}, not above the idx ${previous.idx} of "${previous.tag}" before it: the journal is out of order`,
      });
      return;
    }
    out.push({ idx, tag: e.tag, when: typeof e.when === 'number' ? e.when : 0 });
  });
  return out;
}

export function readDrizzle(listing: Listing): { files: MigrationFile[]; ignored: FileProblem[] } {
  const problems: FileProblem[] = [];
  const entries = readJournal(listing, problems);
  const present = new Set(listing.sql);
  const used = new Set<string>();
  const files: MigrationFile[] = [];
  for (const e of entries) {
    const name = `${e.tag}.sql`;
    const shown = join(listing.shown, name);
    if (!present.has(name)) {
      problems.push({
        file: shown,
        message: `listed in ${join(listing.shown, JOURNAL)} (idx ${e.idx}) but not in the folder: drizzle fails on it too. Restore the file, or remove the entry`,
      });
      continue;
    }
    used.add(name);
    const path = join(listing.dir, name);
    const sql = readSql(path, shown, problems);
    if (sql === undefined) continue;
    const downName = `${e.tag}.down.sql`;
    if (present.has(downName)) used.add(downName);
    files.push({
      version: defined(parseVersion(String(e.idx)), `the version of journal entry ${e.tag}`),
      description: e.tag.replace(/^\d+_/, '').replace(/_/g, ' '),
      file: shown,
      path,
      sql,
      checksum: checksum(sql),
      down: present.has(downName)
        ? { file: join(listing.shown, downName), path: join(listing.dir, downName) }
        : undefined,
    });
  }
  for (const f of listing.folders)
    if (f !== 'meta')
      problems.push({
        file: join(listing.shown, f),
        message:
          'a folder in a drizzle migrations folder: drizzle reads only meta/ and the .sql files its journal lists',
      });
  for (const o of listing.other)
    if (!isDocumentation(o))
      problems.push({ file: join(listing.shown, o), message: 'not a drizzle migration: move it out of the folder' });
  if (problems.length > 0) throw new FilesError(problems);
  const ignored = listing.sql
    .filter((n) => !used.has(n))
    .map((n) => ({
      file: join(listing.shown, n),
      message: `not listed in ${join(listing.shown, JOURNAL)}: drizzle does not run it, and neither does schemagate. Add it to the journal (drizzle-kit generate), or delete it`,
    }));
  return { files, ignored };
}
