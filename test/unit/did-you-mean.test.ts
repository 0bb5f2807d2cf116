import { describe, expect, it } from 'vitest';
import { didYouMean, levenshtein } from '../../src/util/did-you-mean.js';

describe('didYouMean', () => {
  const directives = ['no-transaction', 'lock-timeout', 'statement-timeout'] as const;

  it('suggests the closest candidate for a misspelling', () => {
    expect(didYouMean('no-transation', directives)).toBe('no-transaction');
    expect(didYouMean('lock-timout', directives)).toBe('lock-timeout');
    expect(didYouMean('statment_timeout', directives)).toBe('statement-timeout');
  });

  it('ignores case', () => {
    expect(didYouMean('LOCK-TIMEOUT', directives)).toBe('lock-timeout');
  });

  it('suggests nothing when every candidate is too far away', () => {
    expect(didYouMean('transactional', directives)).toBeUndefined();
    expect(didYouMean('xyz', ['abc'])).toBeUndefined();
    expect(didYouMean('anything', [])).toBeUndefined();
  });

  it('allows at least two edits even for short words', () => {
    expect(didYouMean('ab', ['ba'])).toBe('ba');
    expect(didYouMean('up', ['down'])).toBeUndefined();
  });

  it('prefers the first candidate on a tie', () => {
    expect(didYouMean('cat', ['bat', 'hat'])).toBe('bat');
  });
});

describe('levenshtein', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
  });

  it('stops at the cap', () => {
    expect(levenshtein('aaaaaaaa', 'bbbbbbbb', 3)).toBe(3);
  });
});
