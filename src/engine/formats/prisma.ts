import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checksum } from '../checksum.js';
import { compareVersions, namedVersion } from '../version.js';
import { isDocumentation, readSql, type Listing } from './listing.js';
import { FilesError, type FileProblem, type MigrationFile } from './types.js';

/*
 * Prisma Migrate's folder (prisma-engines schema-connector
 * src/migrations_directory.rs; Prisma's docs "Migration histories"): one
 * folder per migration, `<timestamp>_<name>/migration.sql`, applied in the
 * order of the folder names, with `migration_lock.toml` (the provider)
 * beside them. A migration's identity is its folder name. Prisma has no
 * down scripts; its docs generate one with `prisma migrate diff --script >
 * down.sql` into the folder, so `down.sql` is read as the down script.
 */

export const PRISMA_LOCK = 'migration_lock.toml';

export function looksLikePrisma(listing: Listing): boolean {
  return (
    listing.other.includes(PRISMA_LOCK) ||
    listing.folders.some((f) => existsSync(join(listing.dir, f, 'migration.sql')))
  );
}

export function readPrisma(listing: Listing): MigrationFile[] {
  const problems: FileProblem[] = [];
  if (listing.other.includes(PRISMA_LOCK)) {
    const lock = readFileSync(join(listing.dir, PRISMA_LOCK), 'utf8');
    const provider = /^\s*provider\s*=\s*"([^"]*)"/m.exec(lock)?.[1];
    if (provider && provider !== 'postgresql' && provider !== 'postgres')
      problems.push({
        file: join(listing.shown, PRISMA_LOCK),
        message: `the migrations were written for provider "${provider}", not PostgreSQL`,
      });
  }
  for (const o of listing.other)
    if (o !== PRISMA_LOCK && !isDocumentation(o))
      problems.push({
        file: join(listing.shown, o),
        message:
          'Prisma reads only <folder>/migration.sql: this file would never run. Move it into a migration folder, or out of the folder',
      });
  for (const n of listing.sql)
    problems.push({
      file: join(listing.shown, n),
      message:
        'Prisma reads only <folder>/migration.sql: this file would never run. Move it into a migration folder, or out of the folder',
    });
  const files: MigrationFile[] = [];
  for (const folder of listing.folders) {
    const shownFolder = join(listing.shown, folder);
    const inside = readdirSync(join(listing.dir, folder)).filter((n) => !n.startsWith('.'));
    if (!inside.includes('migration.sql')) {
      problems.push({
        file: shownFolder,
        message: 'a Prisma migration folder needs migration.sql (Prisma refuses the folder without it)',
      });
      continue;
    }
    for (const n of inside)
      if (n !== 'migration.sql' && n !== 'down.sql' && !isDocumentation(n))
        problems.push({
          file: join(shownFolder, n),
          message: 'not read: a Prisma migration folder holds migration.sql (and, for schemagate, down.sql)',
        });
    const path = join(listing.dir, folder, 'migration.sql');
    const sql = readSql(path, join(shownFolder, 'migration.sql'), problems);
    if (sql === undefined) continue;
    const version = namedVersion(folder);
    const previous = files.at(-1);
    if (previous && compareVersions(previous.version, version) >= 0)
      problems.push({
        file: shownFolder,
        message: `Prisma applies folders in name order, and ${previous.version.text} sorts before it by name but not by its number: rename it with a ${previous.version.parts[0]?.toString().length ?? 14}-digit timestamp so both orders agree`,
      });
    files.push({
      version,
      description: folder.replace(/^\d+_?/, '').replace(/_/g, ' '),
      file: join(shownFolder, 'migration.sql'),
      path,
      sql,
      checksum: checksum(sql),
      down: inside.includes('down.sql')
        ? { file: join(shownFolder, 'down.sql'), path: join(listing.dir, folder, 'down.sql') }
        : undefined,
    });
  }
  if (problems.length > 0) throw new FilesError(problems);
  return files;
}
