import { createHash } from 'node:crypto';

/**
 * The text a migration is checksummed and run as: the BOM stripped and line
 * endings normalised to LF, so a CRLF checkout does not look like an edit
 * (sqlx#2659), while every other byte, trailing spaces included, still counts.
 */
export function normalizeSql(raw: string): string {
  let text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
  return text;
}

/** SHA-256 (hex) of the normalised text. */
export function checksum(normalized: string): string {
  return createHash('sha256').update(normalized, 'utf8').digest('hex');
}

/** Checksum of a single statement, for per-statement progress of non-transactional migrations. */
export function statementChecksum(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16);
}
