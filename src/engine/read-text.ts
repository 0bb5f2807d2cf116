import { isUtf8 } from 'node:buffer';
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { defined } from '../util/defined.js';
import { toError } from '../errors.js';

/**
 * Reads a migration, down script or seed as UTF-8, refusing what would be
 * changed silently on its way to the server: a byte sequence that is not
 * UTF-8 (it would become U+FFFD, and a later edit of that byte would not
 * change the checksum) and a NUL byte (PostgreSQL text cannot hold one).
 * File-system failures name the file and say what is wrong with it.
 * Returns the text, or the problem (without the file name) to report.
 */
export function readSqlText(path: string): { text: string } | { problem: string } {
  let decoded: string;
  try {
    // One native call reads and decodes (a third of the time, over a no-op run's thousand files). Every invalid
    // byte sequence decodes to U+FFFD: a text with neither U+FFFD nor NUL is the file's bytes exactly. Any other
    // is read again as bytes below, which say what is wrong, or accept a U+FFFD written as such.
    decoded = readFileSync(path, 'utf8');
  } catch (e) {
    return { problem: fileSystemProblem(e, path) };
  }
  if (!decoded.includes('\uFFFD') && !decoded.includes('\0')) return { text: decoded };
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    return { problem: fileSystemProblem(e, path) };
  }
  const nul = bytes.indexOf(0);
  // The native check first (a tenth of the time on a no-op run's thousand files); the loop only to locate a bad byte.
  const bad = isUtf8(bytes) ? -1 : firstInvalidUtf8(bytes);
  if (nul >= 0 && (bad < 0 || nul < bad)) {
    const at = locate(bytes, nul);
    return {
      problem: `line ${at.line}, byte ${at.byte} of the line (offset ${nul}): a NUL byte (0x00), which PostgreSQL text cannot hold. Is it a binary file, or saved as UTF-16? Save it as UTF-8 text`,
    };
  }
  if (bad >= 0) {
    const at = locate(bytes, bad);
    const shown = [...bytes.subarray(bad, bad + 4)].map((b) => `0x${b.toString(16).toUpperCase().padStart(2, '0')}`);
    return {
      problem: `line ${at.line}, byte ${at.byte} of the line (offset ${bad}): ${shown[0]} is not valid UTF-8 (bytes ${shown.join(' ')}). schemagate reads SQL files as UTF-8; this one looks saved in another encoding (Latin-1 or Windows-1252 write é as 0xE9). Convert it, e.g. \`iconv -f latin1 -t utf-8\``,
    };
  }
  return { text: bytes.toString('utf8') };
}

/** What is wrong with a path that could not be read, in words. */
export function fileSystemProblem(e: unknown, path: string): string {
  const code = (e as { code?: string }).code;
  switch (code) {
    case 'EISDIR':
      return 'is a folder, not a file: a folder in the migrations folder must not be named like a migration; rename or move it';
    case 'ENOENT': {
      let target: string | undefined;
      try {
        if (lstatSync(path).isSymbolicLink()) target = readlinkSync(path);
      } catch {
        // Gone between the listing and the read.
      }
      return target !== undefined
        ? `is a symbolic link to ${target}, which does not exist: fix or remove the link`
        : 'disappeared while it was being read: run again';
    }
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read: permission denied. Give the user that runs schemagate read access (e.g. chmod a+r)';
    case 'ELOOP':
      return 'is a symbolic link that points back to itself: fix or remove the link';
    default:
      return `cannot be read: ${toError(e).message}`;
  }
}

/** 1-based line, and 1-based byte within that line, of byte `offset`. */
function locate(bytes: Buffer, offset: number): { line: number; byte: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, byte: offset - lineStart + 1 };
}

/** Byte `i` of `b`, for an `i` the caller has checked against `b.length`. */
const byteAt = (b: Uint8Array, i: number): number => defined(b[i], `byte ${i}`);

/** The offset of the first byte that does not start or continue a well-formed UTF-8 sequence, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  for (let i = 0; i < n;) {
    const c = byteAt(b, i);
    if (c < 0x80) {
      i++;
      continue;
    }
    let len: number;
    let min: number;
    let max = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      // No overlong forms (E0 80..9F) and no surrogates (ED A0..BF).
      min = c === 0xe0 ? 0xa0 : 0x80;
      if (c === 0xed) max = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      min = c === 0xf0 ? 0x90 : 0x80;
      if (c === 0xf4) max = 0x8f;
    } else {
      return i;
    }
    if (i + len > n) return i;
    const c1 = byteAt(b, i + 1);
    if (c1 < min || c1 > max) return i;
    for (let k = 2; k < len; k++) {
      const ck = byteAt(b, i + k);
      if (ck < 0x80 || ck > 0xbf) return i;
    }
    i += len;
  }
  return -1;
}
