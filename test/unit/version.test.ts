import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  compareVersionTexts,
  isVersionText,
  parseVersion,
  type Version,
} from '../../src/engine/version.js';

const v = (text: string): Version => {
  const parsed = parseVersion(text);
  if (!parsed) throw new Error(`not a version: ${text}`);
  return parsed;
};

describe('parseVersion', () => {
  it.each([
    ['7', '7', [7n]],
    ['0012', '12', [12n]],
    ['0', '0', [0n]],
    ['000', '0', [0n]],
    ['1.2.3', '1.2.3', [1n, 2n, 3n]],
    ['1_2', '1.2', [1n, 2n]],
    ['1.02', '1.2', [1n, 2n]],
    ['1.0', '1', [1n]],
    ['1.0.0', '1', [1n]],
    ['1.0.2', '1.0.2', [1n, 0n, 2n]],
    ['0.0', '0', [0n]],
    ['20240101120000', '20240101120000', [20240101120000n]],
  ])('reads %s as canonical %s', (text, canonical, parts) => {
    expect(parseVersion(text)).toEqual({ text: canonical, parts });
  });

  it('keeps versions longer than a double can hold exact', () => {
    expect(parseVersion('123456789012345678901234567890')?.text).toBe('123456789012345678901234567890');
  });

  it.each(['', 'a', '1a', 'v1', '1.', '.1', '1..2', '1__2', '-1', '+1', ' 1', '1 ', '1,2', '1.2-rc'])(
    'refuses %j',
    (text) => {
      expect(parseVersion(text)).toBeUndefined();
      expect(isVersionText(text)).toBe(false);
    },
  );

  it('accepts what it parses in isVersionText', () => {
    for (const t of ['1', '0012', '1.2.3', '1_2']) expect(isVersionText(t)).toBe(true);
  });
});

describe('compareVersions', () => {
  it('compares numerically, not as text', () => {
    expect(compareVersions(v('9'), v('10'))).toBe(-1);
    expect(compareVersions(v('10'), v('9'))).toBe(1);
    expect(compareVersions(v('0009'), v('10'))).toBe(-1);
    expect(compareVersions(v('1.9'), v('1.10'))).toBe(-1);
  });

  it('treats zero padding and trailing zero parts as the same version', () => {
    expect(compareVersions(v('001'), v('1'))).toBe(0);
    expect(compareVersions(v('1'), v('1.0'))).toBe(0);
    expect(compareVersions({ text: '1', parts: [1n] }, { text: '1.0', parts: [1n, 0n] })).toBe(0);
  });

  it('puts a version before its own sub-versions', () => {
    expect(compareVersions(v('1'), v('1.0.1'))).toBe(-1);
    expect(compareVersions(v('1.2'), v('1.2.1'))).toBe(-1);
    expect(compareVersions(v('2'), v('1.99'))).toBe(1);
  });

  it('sorts a mixed list in migration order', () => {
    const sorted = ['10', '1.10', '9', '1.2', '2', '001']
      .map(v)
      .sort(compareVersions)
      .map((x) => x.text);
    expect(sorted).toEqual(['1', '1.2', '1.10', '2', '9', '10']);
  });
});

describe('compareVersionTexts', () => {
  it('compares canonical texts as versions', () => {
    expect(['10', '9', '1.10', '1.2'].sort(compareVersionTexts)).toEqual(['1.2', '1.10', '9', '10']);
    expect(compareVersionTexts('3', '3')).toBe(0);
  });

  it('falls back to plain text order for what is not a version (seed names)', () => {
    expect(compareVersionTexts('02_posts.sql', '10_users.sql')).toBe(-1);
    expect(compareVersionTexts('b.sql', 'a.sql')).toBe(1);
    expect(compareVersionTexts('a.sql', 'a.sql')).toBe(0);
  });
});
