const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses a duration such as `500ms`, `10s`, `5m` (or PostgreSQL's `5min`),
 * `1h` or `1d` into milliseconds. A plain integer is milliseconds, as in
 * PostgreSQL's `lock_timeout`, and `0` means disabled. Fractions are allowed
 * when they come to whole milliseconds (`1.5s`). Returns `undefined` for
 * anything else (negative numbers, unknown units, sub-millisecond values),
 * so the caller can say what it expected.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  if (!match) return undefined;
  const [, amount = '', unit = ''] = match;
  const factor = unit === '' ? 1 : UNIT_MS[unit.toLowerCase()];
  if (factor === undefined) return undefined;
  const ms = Number(amount) * factor;
  // Round away binary noise (0.3s = 300.00000000000006) before checking that it is whole.
  const rounded = Math.round(ms);
  if (Math.abs(ms - rounded) > 1e-6 || !Number.isSafeInteger(rounded)) return undefined;
  return rounded;
}

/** The units {@link parseDuration} accepts, for error messages. */
export const DURATION_EXAMPLES = '500ms, 10s, 5m, 1h, or a number of milliseconds; 0 disables';
