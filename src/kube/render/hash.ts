/**
 * Content hashes that name the Jobs: the same content gives the same name (a
 * re-apply is a no-op), new content a new Job (never an update of the
 * immutable `spec.template`).
 */
import { createHash } from 'node:crypto';

/** Hex digits kept: 40 bits, so a collision between two renders of one project is not a concern. */
const HASH_LENGTH = 10;

/**
 * SHA-256 of the parts, first 10 hex digits. The parts are hashed as a JSON
 * array, so `['ab', 'c']` and `['a', 'bc']` differ.
 */
export function contentHash(parts: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, HASH_LENGTH);
}

/**
 * JSON with the keys of every object sorted, so that two equal objects built
 * in a different order hash alike. `undefined` properties are left out, as in
 * `JSON.stringify`.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}
