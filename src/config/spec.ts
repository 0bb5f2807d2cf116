/**
 * A small language for the configuration's key table: a `Spec` reads one YAML
 * value and reports every problem it finds (with its key path) instead of
 * stopping at the first; a `mapping` knows its keys, so unknown keys are
 * caught and the documentation can be checked against it.
 */
import type { ConfigIssue } from '../errors.js';
import { didYouMean } from '../util/did-you-mean.js';
import { wrongType } from './found.js';

export type Issues = ConfigIssue[];

/** A reason a value was rejected (the message after `key: `). */
export class Problem {
  constructor(readonly message: string) {}
}

export interface Spec<T> {
  /** The type as the documentation names it, e.g. `duration`, `integer >= 0`. */
  readonly type: string;
  /**
   * Reads a value that is present (never undefined or null). Reports problems
   * into `issues` under `at`; returns undefined when the value is unusable.
   */
  read(value: unknown, at: string, issues: Issues): T | undefined;
  /** A mapping's keys (also set on a list's item spec when items are mappings). */
  readonly fields?: Readonly<Record<string, Field<unknown>>>;
  /** A list's item spec. */
  readonly item?: Spec<unknown>;
}

export interface Field<T> {
  readonly spec: Spec<T>;
  /** The value when the key is absent or empty (`key:` with nothing after it). */
  missing(at: string, issues: Issues): T;
  /** The default as the documentation shows it (`none` when there is none). */
  readonly defaultText: string;
}

export type SpecValue<S> = S extends Spec<infer T> ? T : never;
type Shape<F extends Record<string, Field<unknown>>> = { [K in keyof F]: F[K] extends Field<infer T> ? T : never };

/** The key path of a child: `migrations` + `lockTimeout` -> `migrations.lockTimeout`. */
export function childKey(at: string, key: string): string {
  return at === '' ? key : `${at}.${key}`;
}

/** How an issue at the root of the document is labelled. */
export const TOP_LEVEL = '(top level)';

export function report(issues: Issues, at: string, message: string): void {
  issues.push({ key: at === '' ? TOP_LEVEL : at, message });
}

/** A spec for a scalar: `parse` returns the value or a `Problem`. */
export function leaf<T>(type: string, parse: (value: unknown) => T | Problem): Spec<T> {
  return {
    type,
    read(value, at, issues) {
      const result = parse(value);
      if (result instanceof Problem) {
        report(issues, at, result.message);
        return undefined;
      }
      return result;
    },
  };
}

function showDefault(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => String(v)).join(', ')}]`;
  return String(value);
}

/** A key with a default. */
export function field<T>(spec: Spec<T>, defaultValue: T, defaultText = showDefault(defaultValue)): Field<T> {
  // Copy list defaults so that no two configurations share (and mutate) one array.
  const fresh = () => (Array.isArray(defaultValue) ? ([...defaultValue] as T) : defaultValue);
  return { spec, missing: fresh, defaultText };
}

/** A key that may be left out (its value is then undefined). */
export function optional<T>(spec: Spec<T>, defaultText = 'none'): Field<T | undefined> {
  return { spec, missing: () => undefined, defaultText };
}

/** A key that must be given; `placeholder` only fills the shape of a configuration that is rejected anyway. */
export function required<T>(spec: Spec<T>, placeholder: T): Field<T> {
  return {
    spec,
    missing(at, issues) {
      report(issues, at, `expected ${spec.type}, found nothing`);
      return placeholder;
    },
    defaultText: 'required',
  };
}

/** A nested mapping whose keys all have defaults: absent means all defaults. */
export function section<T>(spec: Spec<T>): Field<T> {
  return {
    spec,
    missing(at, issues) {
      const value = spec.read({}, at, issues);
      if (value === undefined) throw new Error(`BUG: the defaults of ${at} do not validate`);
      return value;
    },
    defaultText: '',
  };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** A mapping with a fixed set of keys; any other key is reported, with the closest known key. */
export function mapping<F extends Record<string, Field<unknown>>>(fields: F, type = 'a mapping'): Spec<Shape<F>> {
  const known = Object.keys(fields);
  return {
    type,
    fields,
    read(value, at, issues) {
      if (!isMapping(value)) {
        report(issues, at, wrongType('a mapping', value));
        return undefined;
      }
      // Document order, so that problems are listed in the order a reader meets them.
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value)) {
        const at2 = childKey(at, key);
        const f = Object.hasOwn(fields, key) ? fields[key] : undefined;
        if (!f) {
          const guess = didYouMean(key, known);
          report(
            issues,
            at2,
            guess ? `unknown key (did you mean "${guess}"?)` : `unknown key (known keys here: ${known.join(', ')})`,
          );
          continue;
        }
        // `key:` with nothing after it (null) counts as not set: a commented-out value.
        if (v === null) continue;
        const read = f.spec.read(v, at2, issues);
        // A rejected value is already reported: its stand-in must not be reported again as missing.
        out[key] = read === undefined ? f.missing(at2, []) : read;
      }
      for (const [key, f] of Object.entries(fields)) {
        if (!Object.hasOwn(out, key)) out[key] = f.missing(childKey(at, key), issues);
      }
      return out as Shape<F>;
    },
  };
}

/**
 * A list; every item is read (and every bad item reported) under `key[index]`.
 * `unique` names an item; two items with the same name are reported.
 */
export function list<T>(item: Spec<T>, opts: { type?: string; unique?: (item: T) => string } = {}): Spec<T[]> {
  const type = opts.type ?? `list of ${item.type.replace(/^an? /, '').replace(/ \(.*\)$/, '')}s`;
  return {
    type,
    item,
    read(value, at, issues) {
      if (!Array.isArray(value)) {
        report(issues, at, wrongType('a list', value));
        return undefined;
      }
      const out: T[] = [];
      const seen = new Map<string, number>();
      value.forEach((v, i) => {
        const at2 = `${at}[${i}]`;
        if (v === null || v === undefined) {
          report(issues, at2, `expected ${item.type}, found nothing`);
          return;
        }
        const read = item.read(v, at2, issues);
        if (read === undefined) return;
        out.push(read);
        const name = opts.unique?.(read);
        if (name === undefined) return;
        const first = seen.get(name);
        if (first === undefined) seen.set(name, i);
        else report(issues, at2, `${JSON.stringify(name)} is listed twice (also at ${at}[${first}])`);
      });
      return out;
    },
  };
}

export interface KeyRow {
  /** `migrations.lockTimeout`, `verify.tables[].name`. */
  key: string;
  type: string;
  defaultText: string;
}

/** Every documented key under a spec: leaves and lists, not the mappings that group them. */
export function keyRows(spec: Spec<unknown>, at = ''): KeyRow[] {
  const rows: KeyRow[] = [];
  for (const [key, f] of Object.entries(spec.fields ?? {})) {
    const path = childKey(at, key);
    if (f.spec.item) {
      rows.push({ key: path, type: f.spec.type, defaultText: f.defaultText });
      if (f.spec.item.fields) rows.push(...keyRows(f.spec.item, `${path}[]`));
    } else if (f.spec.fields) {
      rows.push(...keyRows(f.spec, path));
    } else {
      rows.push({ key: path, type: f.spec.type, defaultText: f.defaultText });
    }
  }
  return rows;
}
