import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checksum } from '../checksum.js';
import { compareVersions, parseVersion } from '../version.js';
import { isDocumentation, readSql, type Listing } from './listing.js';
import { FilesError, type FileProblem, type MigrationFile } from './types.js';
import { itemAt } from '../../util/defined.js';

/*
 * diesel's folder (diesel_migrations src/file_based_migrations.rs,
 * migrations_internals src/lib.rs): one folder per migration,
 * `<version>_<name>/up.sql` (required), `down.sql`, and an optional
 * `metadata.toml` whose `run_in_transaction = false` runs both outside a
 * transaction. The version is the folder name up to its first `_` with the
 * dashes removed (`2019-02-26-002946` is `20190226002946`); migrations run
 * in version order.
 */

export const DIESEL_NO_TRANSACTION = 'metadata.toml: run_in_transaction = false';

export function looksLikeDiesel(listing: Listing): boolean {
  return listing.folders.some((f) => existsSync(join(listing.dir, f, 'up.sql')));
}

/** `run_in_transaction` from metadata.toml: a boolean, or a problem. */
function runInTransaction(text: string): boolean | string {
  let value = true;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const m = /^run_in_transaction\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'true') value = true;
    else if (m[1] === 'false') value = false;
    else return `run_in_transaction must be true or false, found ${m[1]}`;
  }
  return value;
}

export function readDiesel(listing: Listing): MigrationFile[] {
  const problems: FileProblem[] = [];
  for (const n of listing.sql)
    problems.push({
      file: join(listing.shown, n),
      message:
        'diesel reads only <version>_<name>/up.sql: this file would never run. Move it into a migration folder, or out of the folder',
    });
  const files: MigrationFile[] = [];
  for (const folder of listing.folders) {
    const shownFolder = join(listing.shown, folder);
    const digits = itemAt(folder.split('_'), 0, 'the version part of the folder name').replace(/-/g, '');
    const version = parseVersion(digits);
    if (!version || !folder.includes('_')) {
      problems.push({
        file: shownFolder,
        message:
          'not a diesel migration folder name: expected YYYY-MM-DD-HHMMSS_name (e.g. 2019-02-26-002946_create_users)',
      });
      continue;
    }
    const inside = readdirSync(join(listing.dir, folder)).filter((n) => !n.startsWith('.'));
    if (!inside.includes('up.sql')) {
      problems.push({
        file: shownFolder,
        message: 'a diesel migration folder needs up.sql (diesel refuses it without one)',
      });
      continue;
    }
    for (const n of inside)
      if (!['up.sql', 'down.sql', 'metadata.toml'].includes(n) && !isDocumentation(n))
        problems.push({
          file: join(shownFolder, n),
          message: 'not read: a diesel migration folder holds up.sql, down.sql and metadata.toml',
        });
    let noTransaction: string | undefined;
    if (inside.includes('metadata.toml')) {
      const r = runInTransaction(readFileSync(join(listing.dir, folder, 'metadata.toml'), 'utf8'));
      if (typeof r === 'string') {
        problems.push({ file: join(shownFolder, 'metadata.toml'), message: r });
        continue;
      }
      if (!r) noTransaction = DIESEL_NO_TRANSACTION;
    }
    const path = join(listing.dir, folder, 'up.sql');
    const sql = readSql(path, join(shownFolder, 'up.sql'), problems);
    if (sql === undefined) continue;
    if (sql.length === 0) {
      problems.push({ file: join(shownFolder, 'up.sql'), message: 'empty: diesel refuses an empty migration' });
      continue;
    }
    const twin = files.find((f) => f.version.text === version.text);
    if (twin) {
      problems.push({
        file: shownFolder,
        message: `duplicate version ${version.text}: ${twin.file} has the same version`,
      });
      continue;
    }
    files.push({
      version,
      description: folder.slice(folder.indexOf('_') + 1).replace(/_/g, ' '),
      file: join(shownFolder, 'up.sql'),
      path,
      sql,
      checksum: checksum(sql),
      down: inside.includes('down.sql')
        ? {
            file: join(shownFolder, 'down.sql'),
            path: join(listing.dir, folder, 'down.sql'),
            ...(noTransaction ? { noTransaction } : {}),
          }
        : undefined,
      ...(noTransaction ? { noTransaction } : {}),
    });
  }
  if (problems.length > 0) throw new FilesError(problems);
  return files.sort((a, b) => compareVersions(a.version, b.version));
}
