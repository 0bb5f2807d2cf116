/**
 * Migration versions are sequences of integers (`7`, `0012`, `20240101120000`,
 * Flyway's `1.2.3` or `1_2`). They compare numerically part by part, so `10`
 * comes after `9` whatever the zero padding, and `1.10` after `1.9`.
 *
 * The canonical form (leading zeros dropped, parts joined by `.`) is what the
 * history table stores, so `001_x.sql` renamed to `1_x.sql` is the same version.
 */
export interface Version {
  /** Canonical text: `12`, `1.2.3`; or the name, for a named identity. */
  readonly text: string;
  readonly parts: readonly bigint[];
  /**
   * A name, not a number (sql-migrate's file name, Prisma's folder): ordered
   * by its leading digits (`parts`, empty without them; those come last),
   * then as text, as sql-migrate orders its migrations.
   */
  readonly named?: true;
}

const VERSION_TEXT = /^\d+([._]\d+)*$/;

export function isVersionText(text: string): boolean {
  return VERSION_TEXT.test(text);
}

/** Parses `0012`, `1.2.3` or `1_2`. Returns undefined for anything else. */
export function parseVersion(text: string): Version | undefined {
  if (!VERSION_TEXT.test(text)) return undefined;
  const parts = text.split(/[._]/).map((p) => BigInt(p));
  // Trailing zero parts do not count: `1.0` is version `1`.
  while (parts.length > 1 && parts[parts.length - 1] === 0n) parts.pop();
  return { text: parts.map(String).join('.'), parts };
}

/** A named identity: `1_init.sql` (sql-migrate), `20210101000000_init` (Prisma). */
export function namedVersion(text: string): Version {
  const m = /^\d+/.exec(text);
  return { text, parts: m ? [BigInt(m[0])] : [], named: true };
}

/** A version as the history stores it: a number where it is one, else a name. */
export function identityOf(text: string): Version {
  return parseVersion(text) ?? namedVersion(text);
}

export function compareVersions(a: Version, b: Version): number {
  if (a.named || b.named) {
    const an = a.parts.length > 0;
    const bn = b.parts.length > 0;
    if (an !== bn) return an ? -1 : 1;
    const byNumber = an ? compareParts(a, b) : 0;
    if (byNumber !== 0) return byNumber;
    return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
  }
  return compareParts(a, b);
}

function compareParts(a: Version, b: Version): number {
  const n = Math.max(a.parts.length, b.parts.length);
  for (let i = 0; i < n; i++) {
    // A missing part counts as 0, so `1` and `1.0` are the same version.
    const x = a.parts[i] ?? 0n;
    const y = b.parts[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Compares canonical version texts (as stored in the history table). */
export function compareVersionTexts(a: string, b: string): number {
  return compareVersions(identityOf(a), identityOf(b));
}
