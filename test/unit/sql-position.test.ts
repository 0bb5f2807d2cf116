import { describe, expect, it } from 'vitest';
import { advanceCodePoints, LineCounter, lineColumnAt } from '../../src/engine/sql/position.js';

describe('lineColumnAt', () => {
  it('gives 1-based lines and code-point columns', () => {
    const text = 'ab\n😀x\r\ny';
    expect(lineColumnAt(text, 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumnAt(text, 3)).toEqual({ line: 2, column: 1 });
    expect(lineColumnAt(text, 5)).toEqual({ line: 2, column: 2 });
    expect(lineColumnAt(text, 8)).toEqual({ line: 3, column: 1 });
  });

  it('clamps offsets outside the text', () => {
    expect(lineColumnAt('ab', -5)).toEqual({ line: 1, column: 1 });
    expect(lineColumnAt('ab', 99)).toEqual({ line: 1, column: 3 });
  });
});

describe('LineCounter', () => {
  it('answers increasing offsets incrementally and starts over for a smaller one', () => {
    const text = 'one\ntwo😀\nthree';
    const counter = new LineCounter(text);
    expect(counter.at(5)).toEqual({ line: 2, column: 2 });
    expect(counter.at(9)).toEqual({ line: 2, column: 5 });
    expect(counter.at(12)).toEqual({ line: 3, column: 3 });
    expect(counter.at(1)).toEqual({ line: 1, column: 2 });
  });
});

describe('advanceCodePoints', () => {
  it('steps over surrogate pairs as one character and stops at the end', () => {
    expect(advanceCodePoints('😀a', 0, 1)).toBe(2);
    expect(advanceCodePoints('😀a', 0, 2)).toBe(3);
    expect(advanceCodePoints('😀a', 0, 9)).toBe(3);
  });
});
