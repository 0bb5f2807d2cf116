import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashes as the sample backend stores them:
 * `scrypt$N$r$p$salt$hash`, salt and hash in unpadded base64 (the form the
 * development seeds use). The cost parameters travel with the hash, so they
 * can be raised later without invalidating stored passwords.
 */
export const SCRYPT = { N: 16384, r: 8, p: 1, saltBytes: 16, keyBytes: 32 } as const;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password.normalize('NFC'), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltBytes);
  const key = await scrypt(password, salt, SCRYPT.keyBytes, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${b64(salt)}$${b64(key)}`;
}

/** Whether `password` matches a stored `scrypt$...` hash; false for anything malformed. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored);
  const [, n, rr, pp, salt64, hash64] = m ?? [];
  if (n === undefined || rr === undefined || pp === undefined || salt64 === undefined || hash64 === undefined) {
    return false;
  }
  const [N, r, p] = [Number(n), Number(rr), Number(pp)];
  const salt = Buffer.from(salt64, 'base64');
  const expected = Buffer.from(hash64, 'base64');
  if (expected.length === 0) return false;
  try {
    // maxmem: scrypt needs 128 * N * r bytes; allow what the stored parameters ask for.
    const key = await scrypt(password, salt, expected.length, { N, r, p, maxmem: 256 * N * r });
    return timingSafeEqual(key, expected);
  } catch {
    return false;
  }
}
