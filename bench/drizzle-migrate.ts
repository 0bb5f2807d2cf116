import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';

/**
 * drizzle-orm's migrator as an application would run it (one pg.Client, the
 * documented `migrate(db, { migrationsFolder })`), as a child process of
 * bench/engine.ts: `node dist/bench/drizzle-migrate.js URL FOLDER`.
 */
const [url, folder] = process.argv.slice(2);
if (!url || !folder) {
  process.stderr.write('usage: node dist/bench/drizzle-migrate.js DATABASE_URL MIGRATIONS_FOLDER\n');
  process.exit(2);
}
const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  await migrate(drizzle(client), { migrationsFolder: folder });
} finally {
  await client.end();
}
