/**
 * How a message shows the value it found: redacted (a connection URL's
 * password never reaches a message), shortened, and named by its YAML type
 * when the type itself is what is wrong.
 */
import { redact } from '../redact.js';

const MAX_SHOWN = 60;

/**
 * Hides the credentials of anything URL-shaped, even what `new URL()` and
 * `redact()` cannot parse (an unencoded `/` or `@` in a password): everything
 * between `scheme://` and the last `@` of the word goes.
 */
export function scrubUrls(text: string): string {
  return redact(text.replace(/([a-z][a-z0-9+.-]*:\/\/)\S*@/gi, '$1***@'));
}

/** A value the user wrote, quoted and safe to print: `"My_NS"`, `-1`. */
export function shown(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  // Redact before shortening, so that a cut never leaves half a password behind.
  const safe = scrubUrls(value);
  const short = safe.length > MAX_SHOWN ? `${safe.slice(0, MAX_SHOWN - 1)}…` : safe;
  return JSON.stringify(short);
}

/** The YAML type of a value, with the value when it is short: `a number (5)`, `a list`. */
export function foundType(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return value === '' ? 'an empty string' : `a string (${shown(value)})`;
  if (typeof value === 'number') return `a number (${shown(value)})`;
  if (typeof value === 'boolean') return `a boolean (${shown(value)})`;
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'binary data';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

/** `expected <what>, found <type and value>`: the message for a value of the wrong type. */
export function wrongType(expected: string, value: unknown): string {
  return `expected ${expected}, found ${foundType(value)}`;
}

/** `expected <what>, found <value>`: the message for a value of the right type but wrong content. */
export function wrongValue(expected: string, value: string | number | boolean, why?: string): string {
  return `expected ${expected}, found ${shown(value)}${why ? ` (${why})` : ''}`;
}
