import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checksum, normalizeSql } from '../../src/engine/checksum.js';
import { firstInvalidUtf8, readSqlText } from '../../src/engine/read-text.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('firstInvalidUtf8', () => {
  it('accepts ASCII and well-formed sequences of 2, 3 and 4 bytes', () => {
    expect(firstInvalidUtf8(Buffer.from('café – 日本 🐘', 'utf8'))).toBe(-1);
  });

  it('finds a Latin-1 byte, a lone continuation byte and a truncated sequence', () => {
    expect(firstInvalidUtf8(bytes(0x63, 0x61, 0x66, 0xe9))).toBe(3);
    expect(firstInvalidUtf8(bytes(0x61, 0x80))).toBe(1);
    expect(firstInvalidUtf8(bytes(0x61, 0xe6, 0x97))).toBe(1);
  });

  it('refuses overlong forms, UTF-16 surrogates and code points above U+10FFFF', () => {
    expect(firstInvalidUtf8(bytes(0xc0, 0xaf))).toBe(0);
    expect(firstInvalidUtf8(bytes(0xe0, 0x80, 0xaf))).toBe(0);
    expect(firstInvalidUtf8(bytes(0xed, 0xa0, 0x80))).toBe(0);
    expect(firstInvalidUtf8(bytes(0xf4, 0x90, 0x80, 0x80))).toBe(0);
  });
});

describe('readSqlText', () => {
  const dir = mkdtempSync(join(tmpdir(), 'schemagate-read-'));
  const file = (name: string, content: Uint8Array | string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('names the line and byte of a byte that is not UTF-8, and what to do', () => {
    const r = readSqlText(
      file(
        'latin1.sql',
        Buffer.from([...Buffer.from("SELECT 1;\nINSERT INTO t VALUES ('caf"), 0xe9, 0x27, 0x29, 0x3b]),
      ),
    );
    expect(r).toEqual({
      problem:
        'line 2, byte 27 of the line (offset 36): 0xE9 is not valid UTF-8 (bytes 0xE9 0x27 0x29 0x3B). schemagate reads SQL files as UTF-8; this one looks saved in another encoding (Latin-1 or Windows-1252 write é as 0xE9). Convert it, e.g. `iconv -f latin1 -t utf-8`',
    });
  });

  it('refuses a NUL byte, which PostgreSQL text cannot hold', () => {
    expect(readSqlText(file('nul.sql', Buffer.from('SELECT 1;\0\n')))).toEqual({
      problem:
        'line 1, byte 10 of the line (offset 9): a NUL byte (0x00), which PostgreSQL text cannot hold. Is it a binary file, or saved as UTF-16? Save it as UTF-8 text',
    });
  });

  it('says what a folder, a dangling symbolic link and a missing file are', () => {
    mkdirSync(join(dir, '004_dir.sql'));
    symlinkSync(join(dir, 'nowhere.sql'), join(dir, '005_link.sql'));
    expect(readSqlText(join(dir, '004_dir.sql'))).toEqual({
      problem:
        'is a folder, not a file: a folder in the migrations folder must not be named like a migration; rename or move it',
    });
    expect(readSqlText(join(dir, '005_link.sql'))).toEqual({
      problem: `is a symbolic link to ${join(dir, 'nowhere.sql')}, which does not exist: fix or remove the link`,
    });
    expect(readSqlText(join(dir, 'gone.sql'))).toEqual({ problem: 'disappeared while it was being read: run again' });
  });

  it('reads valid UTF-8, and every changed byte changes the checksum', () => {
    const a = readSqlText(file('a.sql', "INSERT INTO t VALUES ('café');\n"));
    const b = readSqlText(file('b.sql', "INSERT INTO t VALUES ('cafè');\n"));
    expect(a).toEqual({ text: "INSERT INTO t VALUES ('café');\n" });
    const sum = (r: typeof a) => checksum(normalizeSql((r as { text: string }).text));
    expect(sum(a)).not.toBe(sum(b));
  });

  it('reads a replacement character written as such, and a byte order mark, exactly as the bytes say', () => {
    const replacement = readSqlText(file('fffd.sql', "SELECT '\uFFFD';\n"));
    expect(replacement).toEqual({ text: "SELECT '\uFFFD';\n" });
    const bom = readSqlText(file('bom.sql', '\uFEFFSELECT 1;\n'));
    expect(bom).toEqual({ text: '\uFEFFSELECT 1;\n' });
    // A bad byte next to a real U+FFFD is still found, at its own place.
    const mixed = join(dir, 'mixed.sql');
    writeFileSync(mixed, Buffer.concat([Buffer.from("SELECT '\uFFFD';\n", 'utf8'), Buffer.from([0x53, 0xe9, 0x0a])]));
    expect(readSqlText(mixed)).toMatchObject({
      problem: expect.stringMatching(/^line 2, byte 2 of the line/) as unknown,
    });
  });
});
