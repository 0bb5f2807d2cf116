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

/** The SchemagateError `fn` rejects with; fails the test if it resolves, or rejects with anything else. */
export async function thrownAsync(fn: () => Promise<unknown>): Promise<SchemagateError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof SchemagateError) return e;
    throw e;
  }
  throw new Error('expected an error');
}
