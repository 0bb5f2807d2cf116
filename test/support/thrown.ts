import { SchemagateError } from '../../src/errors.js';

/** The SchemagateError `fn` throws; fails the test if it returns, or throws anything else. */
export function thrown(fn: () => unknown): SchemagateError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SchemagateError) return e;
    throw e;
  }
  throw new Error('expected an error');
}
