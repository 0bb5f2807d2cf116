/**
 * Decoding a request body into the shapes the double stores, the way the API
 * server's JSON decoding into Go structs does it: a field of the wrong JSON
 * type is a 400 (`Job in version "v1" cannot be handled as a Job: json: cannot
 * unmarshal string into Go struct field JobSpec.spec.backoffLimit of type
 * int32`, transformDecodeError in staging/src/k8s.io/apiserver/pkg/endpoints/
 * handlers/rest.go over encoding/json's UnmarshalTypeError), `null` is an absent
 * field, and a missing field Go has no `omitempty` for gets its zero value.
 * Fields the double does not know are kept as they came.
 */
import { badRequest } from './errors.js';

/** Where a value sits: the innermost Go struct and the JSON path from the object, as json errors name them. */
export interface At {
  kind: string;
  version: string;
  struct: string;
  path: string;
}

export interface Schema<T> {
  /** The Go type json errors name: string, int32, []v1.Container, map[string]string, v1.PodSpec. */
  readonly goType: string;
  /** Go's zero value: what a missing required field, or a null list element, becomes. */
  zero(): T;
  /** Checks `value` (never null or undefined) and returns it typed, normalised in place. */
  decode(value: unknown, at: At): T;
}

/** A field that is always there once decoded (no `omitempty` in Go). */
export interface Req<T> extends Schema<T> {
  readonly required: true;
}

/** A field whose `null` is kept, as the API server writes it (metav1.Time's zero value). */
export interface Nullable<T> extends Schema<T | null> {
  readonly nullable: true;
}

export type TypeOf<S> = S extends Schema<infer T> ? T : never;
type Fields = Record<string, Schema<unknown>>;
type RequiredKeys<F extends Fields> = { [K in keyof F]: F[K] extends Req<unknown> ? K : never }[keyof F];
type Flat<T> = { [K in keyof T]: T[K] };
export type StructOf<F extends Fields> = Flat<
  { [K in RequiredKeys<F>]: TypeOf<F[K]> } & { [K in Exclude<keyof F, RequiredKeys<F>>]?: TypeOf<F[K]> }
>;

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON type of a value as Go's json errors name it: string, number, bool, array, object. */
export function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number' && !Number.isInteger(value)) return `number ${String(value)}`;
  return typeof value;
}

function mismatch(value: unknown, at: At, goType: string): Error {
  const where = at.path === '' ? `Go value` : `Go struct field ${at.struct}.${at.path}`;
  return badRequest(
    `${at.kind} in version "${at.version}" cannot be handled as a ${at.kind}: json: cannot unmarshal ${jsonKind(value)} into ${where} of type ${goType}`,
  );
}

function primitive<T>(goType: string, zero: T, ok: (v: unknown) => v is T): Schema<T> {
  return {
    goType,
    zero: () => zero,
    decode(value, at) {
      if (!ok(value)) throw mismatch(value, at, goType);
      return value;
    },
  };
}

export const str = primitive('string', '', (v): v is string => typeof v === 'string');
const isInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
export const int = primitive('int32', 0, isInteger);
export const int64 = primitive('int64', 0, isInteger);
export const bool = primitive('bool', false, (v): v is boolean => typeof v === 'boolean');
/** intstr.IntOrString: a port by number or name, a count or a percentage. */
export const intOrString = primitive(
  'intstr.IntOrString',
  0,
  (v): v is number | string => typeof v === 'string' || isInteger(v),
);
/** resource.Quantity: "500m", "1Gi", or a plain number. */
export const quantity = primitive(
  'resource.Quantity',
  '0',
  (v): v is number | string => typeof v === 'string' || typeof v === 'number',
);
/** Any JSON: what the double stores without reading (runtime.RawExtension-like). */
export const raw: Schema<unknown> = { goType: 'interface {}', zero: () => undefined, decode: (v) => v };

export function req<T>(schema: Schema<T>): Req<T> {
  return { ...schema, required: true };
}

export function nullable<T>(schema: Schema<T>): Nullable<T> {
  return { ...schema, nullable: true };
}

/** A list or map element that is null becomes the element's zero value, as in Go. */
function element<T>(schema: Schema<T>, value: unknown, at: At): T {
  return value === null ? schema.zero() : schema.decode(value, at);
}

export function list<T>(of: Schema<T>): Schema<T[]> {
  const goType = `[]${of.goType}`;
  return {
    goType,
    zero: () => [],
    decode(value, at) {
      if (!Array.isArray(value)) throw mismatch(value, at, goType);
      return value.map((v: unknown) => element(of, v, at));
    },
  };
}

export function map<T>(of: Schema<T>): Schema<Record<string, T>> {
  const goType = `map[string]${of.goType}`;
  return {
    goType,
    zero: () => ({}),
    decode(value, at) {
      if (!isJsonObject(value)) throw mismatch(value, at, goType);
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, element(of, v, at)]));
    },
  };
}

/** A Go struct `v1.<name>`: each known field checked, null fields dropped, required ones zero-filled. */
export function struct<F extends Fields>(name: string, fields: F): Schema<StructOf<F>> {
  const goType = `v1.${name}`;
  const known = new Map<string, Schema<unknown>>(Object.entries(fields));
  const zeroFilled = (out: Record<string, unknown>): StructOf<F> => {
    for (const [key, schema] of known) if (out[key] === undefined && 'required' in schema) out[key] = schema.zero();
    // Every field of F is in `out` checked against its schema, or absent and optional.
    return out as StructOf<F>;
  };
  return {
    goType,
    zero: () => zeroFilled({}),
    decode(value, at) {
      if (!isJsonObject(value)) throw mismatch(value, at, goType);
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value)) {
        const schema = known.get(key);
        if (!schema) out[key] = v;
        else if (v !== null)
          out[key] = schema.decode(v, { ...at, struct: name, path: at.path ? `${at.path}.${key}` : key });
        else if ('nullable' in schema) out[key] = null;
      }
      return zeroFilled(out);
    },
  };
}

export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (e) {
    throw badRequest(`the body of the request could not be decoded: ${(e as Error).message}`);
  }
}

/** A body of a kind that is not stored (DeleteOptions, Eviction, Scale, TokenRequest), decoded as the API server would. */
export function decodeBody<T>(schema: Schema<T>, value: unknown, kind: string): T {
  if (!isJsonObject(value)) throw badRequest('the body of the request could not be decoded');
  return schema.decode(value, { kind, version: 'v1', struct: kind, path: '' });
}
