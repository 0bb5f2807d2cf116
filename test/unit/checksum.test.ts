import { describe, expect, it } from 'vitest';
import { checksum, normalizeSql, statementChecksum } from '../../src/engine/checksum.js';

const SQL = 'CREATE TABLE a (\n  id int\n);\n';

describe('normalizeSql', () => {
  it('strips a leading byte order mark', () => {
    expect(normalizeSql(`\uFEFF${SQL}`)).toBe(SQL);
  });

  it('keeps a byte order mark that is not at the start', () => {
    expect(normalizeSql(`SELECT '\uFEFF';`)).toBe(`SELECT '\uFEFF';`);
  });

  it('turns CRLF into LF', () => {
    expect(normalizeSql('CREATE TABLE a (\r\n  id int\r\n);\r\n')).toBe(SQL);
  });

  it('turns a lone CR (old Mac line endings) into LF', () => {
    expect(normalizeSql('CREATE TABLE a (\r  id int\r);\r')).toBe(SQL);
  });

  it('normalises mixed line endings in one file', () => {
    expect(normalizeSql('a\r\nb\rc\nd\r\r\ne')).toBe('a\nb\nc\nd\n\ne');
  });

  it('leaves every other byte alone: trailing spaces, tabs, blank lines', () => {
    const text = 'SELECT 1;  \n\tSELECT 2;\n\n\n';
    expect(normalizeSql(text)).toBe(text);
  });
});

describe('checksum', () => {
  it('is the SHA-256 of the text, in hex', () => {
    expect(checksum('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(checksum('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('is the same for a CRLF checkout, a BOM and a lone-CR file of the same migration', () => {
    const sums = [
      SQL,
      `\uFEFF${SQL}`,
      SQL.replace(/\n/g, '\r\n'),
      SQL.replace(/\n/g, '\r'),
      `\uFEFF${SQL.replace(/\n/g, '\r\n')}`,
    ].map((t) => checksum(normalizeSql(t)));
    expect(new Set(sums).size).toBe(1);
  });

  it('changes with a trailing space, a tab, a blank line or a comment', () => {
    const base = checksum(normalizeSql(SQL));
    for (const edited of [SQL.replace('int', 'int '), SQL.replace('  id', '\tid'), `${SQL}\n`, `-- x\n${SQL}`]) {
      expect(checksum(normalizeSql(edited))).not.toBe(base);
    }
  });

  it('hashes characters as UTF-8', () => {
    expect(checksum('é')).toBe(checksum('\u00e9'));
    expect(checksum('é')).not.toBe(checksum('e\u0301'));
  });
});

describe('statementChecksum', () => {
  it('is the first 16 hex digits of the SHA-256 of the statement', () => {
    expect(statementChecksum('abc')).toBe('ba7816bf8f01cfea');
    expect(statementChecksum('SELECT 1')).toBe(checksum('SELECT 1').slice(0, 16));
  });
});
