/**
 * The value code has just made sure of (a list checked for length, a regular
 * expression's group that always takes part in a match, a key put in a map
 * a moment ago), checked once more instead of asserted: should that reasoning
 * ever break, the run stops with an error naming what was missing, rather
 * than carrying `undefined` into SQL or into a message.
 */
export function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined)
    throw new Error(`internal error: ${what} is missing (a bug in schemagate: please report it)`);
  return value;
}

/** The element at `index` (negative: from the end), which the caller knows is there. */
export function itemAt<T>(items: { at(index: number): T | undefined }, index: number, what: string): T {
  return defined(items.at(index), what);
}

/** Group `n` of a match, for a group that takes part whenever its expression matches. */
export function group(m: RegExpMatchArray, n: number): string {
  return defined(m[n], `group ${n} of the match "${m[0]}"`);
}
