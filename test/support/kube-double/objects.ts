/**
 * Comparing, hashing and naming objects: compare the way the API server's Go
 * structs would (absent and undefined are the same, key order does not
 * matter), generate names like generateName does, and keep on update what a
 * client cannot change.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject, ObjectMeta } from './types.js';

export function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = withoutUndefined(v);
    return out;
  }
  return value;
}

/** JSON with object keys sorted, so equal objects give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const generatedNameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** The 5-character suffix of generateName (no vowels, so no words). */
export function randomSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++)
    out += generatedNameAlphabet.charAt(Math.floor(Math.random() * generatedNameAlphabet.length));
  return out;
}

/** Same object apart from resourceVersion (key order does not matter). */
export function sameObject(a: KubeObject, b: KubeObject): boolean {
  const { resourceVersion: _a, ...ma } = a.metadata;
  const { resourceVersion: _b, ...mb } = b.metadata;
  return isDeepStrictEqual(withoutUndefined({ ...a, metadata: ma }), withoutUndefined({ ...b, metadata: mb }));
}

/** Same spec (everything but metadata and status): a change bumps metadata.generation. */
export function sameSpec(a: KubeObject, b: KubeObject): boolean {
  const { metadata: _ma, status: _sa, ...ra } = a;
  const { metadata: _mb, status: _sb, ...rb } = b;
  return isDeepStrictEqual(withoutUndefined(ra), withoutUndefined(rb));
}

/**
 * An update's metadata: the request's, with what the client cannot change
 * (name, uid, creationTimestamp, resourceVersion, namespace, deletion and
 * generation) as stored.
 */
export function keptMetadata(requested: ObjectMeta, stored: ObjectMeta): ObjectMeta {
  const {
    namespace: _namespace,
    deletionTimestamp: _deletionTimestamp,
    deletionGracePeriodSeconds: _deletionGracePeriodSeconds,
    generation: _generation,
    ...rest
  } = requested;
  const { name, uid, creationTimestamp, resourceVersion, namespace, deletionTimestamp } = stored;
  const { deletionGracePeriodSeconds, generation } = stored;
  return {
    ...rest,
    name,
    uid,
    creationTimestamp,
    resourceVersion,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(deletionTimestamp !== undefined ? { deletionTimestamp } : {}),
    ...(deletionGracePeriodSeconds !== undefined ? { deletionGracePeriodSeconds } : {}),
    ...(generation !== undefined ? { generation } : {}),
  };
}
