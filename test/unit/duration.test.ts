import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/util/duration.js';

describe('parseDuration', () => {
  it('reads milliseconds, seconds, minutes, hours and days', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('5min')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1d')).toBe(86_400_000);
  });

  it('reads a plain integer as milliseconds and 0 as disabled', () => {
    expect(parseDuration('2500')).toBe(2500);
    expect(parseDuration('0')).toBe(0);
  });

  it('allows surrounding whitespace, a space before the unit and upper-case units', () => {
    expect(parseDuration('  10 s ')).toBe(10_000);
    expect(parseDuration('10S')).toBe(10_000);
  });

  it('accepts fractions that come to whole milliseconds', () => {
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('0.3s')).toBe(300);
    expect(parseDuration('0.5ms')).toBeUndefined();
  });

  it('rejects negative numbers, unknown units and other text', () => {
    for (const bad of ['', '-1s', '10x', 's', '1h30m', '10 seconds', 'ten', '1e3', '.5s']) {
      expect(parseDuration(bad), bad).toBeUndefined();
    }
  });
});
