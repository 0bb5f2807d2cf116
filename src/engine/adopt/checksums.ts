import { createHash } from 'node:crypto';
import { itemAt } from '../../util/defined.js';

/*
 * The checksums other tools keep of a migration file, computed the way each
 * tool computes them, so that adoption can tell an unchanged file from an
 * edited one before it records anything.
 */

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

function crc32Update(crc: number, bytes: Uint8Array): number {
  let c = crc;
  for (const b of bytes) c = itemAt(CRC_TABLE, (c ^ b) & 0xff, 'a CRC-32 table entry') ^ (c >>> 8);
  return c;
}

/**
 * Flyway's checksum (flyway-core ChecksumCalculator.java): CRC32 over the
 * UTF-8 bytes of each line as BufferedReader.readLine() returns it, without
 * its line break, the BOM stripped from the first line; as a signed 32-bit
 * integer, which is how flyway_schema_history stores it.
 */
export function flywayChecksum(raw: Buffer): number {
  let text = raw.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let crc = 0xffffffff;
  for (const line of text.split(/\r\n|\r|\n/)) crc = crc32Update(crc, Buffer.from(line, 'utf8'));
  return (crc ^ 0xffffffff) | 0;
}

/** sqlx's checksum (sqlx-core src/migrate/migration.rs): SHA-384 of the file's text as read. */
export function sqlxChecksum(raw: Buffer): Buffer {
  return createHash('sha384').update(raw).digest();
}

/** drizzle's `hash` (drizzle-orm src/migrator.ts) and sql-migrate's `checksum` (migrate.go ParseMigration): SHA-256 hex of the file. */
export function sha256Hex(raw: Buffer | string): string {
  return createHash('sha256').update(raw).digest('hex');
}

/**
 * Prisma's check (prisma-engines schema-connector src/checksum.rs
 * script_matches_checksum): SHA-256 of the script as it is, with CRLF made
 * LF, or with LF made CRLF; hex, zero-padded, or (older engines, issue
 * prisma-engines#1887) each byte without its leading zero.
 */
export function prismaChecksumMatches(raw: Buffer, stored: string): boolean {
  const script = raw.toString('utf8');
  const variants = [script, script.replace(/\r\n/g, '\n'), script.replace(/\n/g, '\r\n')];
  return variants.some((v) => {
    const digest = createHash('sha256').update(v, 'utf8').digest();
    const hex = stored.length === 64 ? digest.toString('hex') : [...digest].map((b) => b.toString(16)).join('');
    return hex === stored;
  });
}

/**
 * For the histories whose algorithm is not written down anywhere (the seed
 * layouts): a hex digest is compared, by its length, with the MD5, SHA-1,
 * SHA-256 or SHA-384 of the file as it is and as schemagate normalises it.
 * Undefined when the stored value is no hex digest of those lengths.
 */
export function digestMatches(stored: string, raw: Buffer, normalized: string): boolean | undefined {
  const value = stored
    .trim()
    .toLowerCase()
    .replace(/^(sha256|sha384|sha1|md5):/, '');
  const algorithm = { 32: 'md5', 40: 'sha1', 64: 'sha256', 96: 'sha384' }[value.length];
  if (!algorithm || !/^[0-9a-f]+$/.test(value)) return undefined;
  return [raw, Buffer.from(normalized, 'utf8')].some((b) => createHash(algorithm).update(b).digest('hex') === value);
}
