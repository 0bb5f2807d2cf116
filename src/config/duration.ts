/**
 * Private stand-in for `src/engine/sql/duration.ts` (being written by another
 * engineer): `500ms`, `10s`, `5m`, `1h`, or a plain integer of milliseconds.
 */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;

/** Milliseconds, or undefined when `text` is not a duration (or not a whole number of ms). */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 'ms') as keyof typeof UNIT_MS;
  const ms = Number(m[1]) * UNIT_MS[unit];
  return Number.isSafeInteger(ms) ? ms : undefined;
}
