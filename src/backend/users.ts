import type pg from 'pg';
import { hashPassword } from './password.js';

/** The users API: validation of a new user, and the two queries. Passwords never leave as anything but a hash. */

export interface NewUser {
  username: string;
  password: string;
  email: string | null;
  name: string;
  location: string | null;
  bio: string | null;
}

export interface FieldProblem {
  field: string;
  message: string;
}

export interface UserView {
  /** A string: ids are bigint. */
  id: string;
  username: string;
  email: string | null;
  emailVerified: boolean;
  createdAt: string;
  lastPasswordChange: string;
  profile: { name: string; location: string | null; bio: string | null; createdAt: string; updatedAt: string } | null;
}

// Mirrors the CHECK constraint users_username_format (migrations/001_create_users.sql).
const USERNAME = /^[a-z0-9_.-]{3,40}$/;
// Deliberately loose: one @, something on each side, no spaces. Ownership is proven by verification, not by a regex.
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const FIELDS = ['username', 'password', 'email', 'name', 'location', 'bio'] as const;

/**
 * A length in characters (code points), as PostgreSQL's char_length counts them: not UTF-16 units, which count an
 * emoji twice, nor graphemes (Intl.Segmenter), which count a family emoji of seven code points once.
 */
// eslint-disable-next-line @typescript-eslint/no-misused-spread -- code points are the unit wanted (see above)
const characters = (s: string): number => [...s].length;

function text(
  body: Record<string, unknown>,
  field: string,
  problems: FieldProblem[],
  o: { required: boolean; max: number; min?: number },
): string | null {
  const v = body[field];
  if (v === undefined || v === null) {
    if (o.required) problems.push({ field, message: `${field} is required` });
    return null;
  }
  if (typeof v !== 'string') {
    problems.push({ field, message: `${field} must be a string, not ${Array.isArray(v) ? 'an array' : typeof v}` });
    return null;
  }
  const length = characters(v);
  if (o.required && v.trim() === '') problems.push({ field, message: `${field} must not be empty` });
  else if (o.min !== undefined && length < o.min)
    problems.push({ field, message: `${field} must be at least ${o.min} characters` });
  else if (length > o.max) problems.push({ field, message: `${field} must be at most ${o.max} characters` });
  return v;
}

/** Every problem of a POST body at once, or the new user. */
export function validateNewUser(body: unknown): { ok: true; user: NewUser } | { ok: false; problems: FieldProblem[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, problems: [{ field: '(body)', message: 'the request body must be a JSON object' }] };
  }
  const b = body as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  for (const k of Object.keys(b)) {
    if (!(FIELDS as readonly string[]).includes(k))
      problems.push({ field: k, message: `unknown field ${k} (expected ${FIELDS.join(', ')})` });
  }
  const username = text(b, 'username', problems, { required: true, max: 40 });
  if (username !== null && username.trim() !== '' && characters(username) <= 40 && !USERNAME.test(username)) {
    problems.push({ field: 'username', message: 'username must be 3 to 40 characters of a-z, 0-9, ".", "_" and "-"' });
  }
  const password = text(b, 'password', problems, { required: true, min: 8, max: 1024 });
  const email = text(b, 'email', problems, { required: false, max: 254 });
  if (email !== null && email !== '' && characters(email) <= 254 && !EMAIL.test(email))
    problems.push({ field: 'email', message: 'email must look like name@example.com' });
  const name = text(b, 'name', problems, { required: true, max: 200 });
  const location = text(b, 'location', problems, { required: false, max: 200 });
  const bio = text(b, 'bio', problems, { required: false, max: 2000 });
  // A missing required field is always a problem too; the null checks say so to the types.
  if (problems.length > 0 || username === null || password === null || name === null) return { ok: false, problems };
  return {
    ok: true,
    user: {
      username,
      password,
      email: email || null,
      name: name.trim(),
      location: location || null,
      bio: bio || null,
    },
  };
}

interface Row {
  id: string;
  username: string;
  email: string | null;
  email_verified: boolean;
  created_at: Date;
  last_password_change: Date;
  name: string | null;
  location: string | null;
  bio: string | null;
  profile_created_at: Date | null;
  profile_updated_at: Date | null;
}

const COLUMNS = `u.id::text AS id, u.username, u.email, u.email_verified, u.created_at, u.last_password_change,
  p.name, p.location, p.bio, p.created_at AS profile_created_at, p.updated_at AS profile_updated_at`;

function view(r: Row): UserView {
  return {
    id: r.id,
    username: r.username,
    email: r.email,
    emailVerified: r.email_verified,
    createdAt: r.created_at.toISOString(),
    lastPasswordChange: r.last_password_change.toISOString(),
    // The LEFT JOIN's columns are all null together, when the user has no profile (they are NOT NULL in the table).
    profile:
      r.name === null || r.profile_created_at === null || r.profile_updated_at === null
        ? null
        : {
            name: r.name,
            location: r.location,
            bio: r.bio,
            createdAt: r.profile_created_at.toISOString(),
            updatedAt: r.profile_updated_at.toISOString(),
          },
  };
}

/** The one row a statement returns by construction; its absence is a bug, reported as one. */
function only<T>(rows: T[], what: string): T {
  const [row] = rows;
  if (row === undefined || rows.length !== 1) throw new Error(`expected one row from ${what}, got ${rows.length}`);
  return row;
}

/** Newest first. */
export async function listUsers(pool: pg.Pool, limit: number): Promise<UserView[]> {
  const { rows } = await pool.query<Row>(
    `SELECT ${COLUMNS} FROM users u LEFT JOIN user_profiles p ON p.user_id = u.id ORDER BY u.created_at DESC, u.id DESC LIMIT $1`,
    [limit],
  );
  return rows.map(view);
}

/** The user and its profile, in one transaction. Unique violations surface as pg errors (SQLSTATE 23505) for the caller to map. */
export async function createUser(pool: pg.Pool, u: NewUser): Promise<UserView> {
  const hash = await hashPassword(u.password);
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ id: string }>(
      'INSERT INTO users (username, password_hash, email) VALUES ($1, $2, $3) RETURNING id::text AS id',
      [u.username, hash, u.email],
    );
    const id = only(rows, 'INSERT INTO users ... RETURNING id').id;
    await client.query('INSERT INTO user_profiles (user_id, name, location, bio) VALUES ($1, $2, $3, $4)', [
      id,
      u.name,
      u.location,
      u.bio,
    ]);
    const created = await client.query<Row>(
      `SELECT ${COLUMNS} FROM users u LEFT JOIN user_profiles p ON p.user_id = u.id WHERE u.id = $1`,
      [id],
    );
    await client.query('COMMIT');
    return view(only(created.rows, 'the user just inserted'));
  } catch (e) {
    // A connection that cannot even roll back is not given back to the pool.
    await client.query('ROLLBACK').catch(() => (broken = true));
    throw e;
  } finally {
    client.release(broken);
  }
}
