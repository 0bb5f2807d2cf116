/**
 * Private stand-in for `src/util/did-you-mean.ts`, which another engineer is
 * writing; the config loader switches to it once it lands.
 */

/** Levenshtein distance, case-insensitive (a key typed `LockTimeout` is one edit away at most). */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[t.length] ?? 0;
}

/** The candidate closest to `word`, when it is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  // A third of the word, at least 1 and at most 3 edits: `lockTimout` yes, `port` for `name` no.
  const allowed = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  if (bestDistance <= allowed) return best;
  // `manifestsDir` for `manifests`, `timeoutMs` for `timeout`: a known key plus a suffix.
  const prefixed = candidates.filter((c) => c.length >= 4 && word.toLowerCase().startsWith(c.toLowerCase()));
  return prefixed.sort((a, b) => b.length - a.length)[0];
}
