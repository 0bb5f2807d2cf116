import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { fileSetOf, readFolderFiles } from '../../src/engine/file-set.js';
import { packBundle } from '../../src/util/file-bundle.js';
import { encodeManifest } from '../../src/util/file-manifest.js';
import { cli, project } from '../support/cli.js';
import { freshDatabase, rows, tables } from '../support/pg.js';

/**
 * The pod's side of "the Job runs the files it was made for": a `db` command
 * given a manifest (SCHEMAGATE_EXPECTED_FILES, set by the Jobs) compares it
 * with the files it sees before it does anything else, and a bundle
 * (`--bundle`, what a large ConfigMap holds) is unpacked and run.
 */
const MIGRATIONS = {
  'migrations/001_a.sql': 'CREATE TABLE a (id int);\n',
  'migrations/002_b.sql': 'CREATE TABLE b (id int);\n',
};

function manifestOf(dir: string): string {
  return encodeManifest({
    image: 'schemagate:e2e',
    source: 'image',
    migrations: fileSetOf(readFolderFiles(join(dir, 'migrations'))),
  });
}

describe('db migrate with SCHEMAGATE_EXPECTED_FILES', () => {
  it('runs when the files are the expected ones (a CRLF checkout is the same file)', async () => {
    const url = await freshDatabase();
    const dir = project(MIGRATIONS);
    const expected = manifestOf(dir);
    writeFileSync(join(dir, 'migrations/002_b.sql'), 'CREATE TABLE b (id int);\r\n');
    const r = await cli(['db', 'migrate'], {
      cwd: dir,
      env: { DATABASE_URL: url, SCHEMAGATE_EXPECTED_FILES: expected },
    });
    expect(r.exitCode, r.all).toBe(0);
    expect(await tables(url)).toEqual(expect.arrayContaining(['a', 'b']));
  });

  it('refuses with exit 13 before connecting, naming every file added, removed or changed, and how to fix it', async () => {
    const checkout = project({ ...MIGRATIONS, 'migrations/003_c.sql': 'CREATE TABLE c (id int);\n' });
    const expected = manifestOf(checkout);
    const image = project({
      'migrations/001_a.sql': 'CREATE TABLE a (id bigint);\n',
      'migrations/002_b.sql': MIGRATIONS['migrations/002_b.sql'],
      'migrations/009_gone.sql': 'SELECT 1;\n',
    });
    // Nothing listens there: the refusal comes first, without waiting for a database.
    const r = await cli(['db', 'migrate', '--wait-for-db', '30s'], {
      cwd: image,
      env: { DATABASE_URL: 'postgres://u:secret-pw@127.0.0.1:1/db', SCHEMAGATE_EXPECTED_FILES: expected },
    });
    expect(r.exitCode).toBe(ExitCode.filesDiffer);
    expect(r.stderr).toMatch(
      /^error: the migration files here differ from the ones the Job was made for \(expected [0-9a-f]{12}, found [0-9a-f]{12}\):\n {2}added \(in the checkout, not here\): migrations\/003_c\.sql\n {2}removed \(here, not in the checkout\): migrations\/009_gone\.sql\n {2}changed: migrations\/001_a\.sql\nhint: This pod's image holds other files than the checkout the Job was made from/m,
    );
    expect(r.stderr).toContain('kind load docker-image schemagate:e2e --name schemagate');
    expect(r.stderr).not.toContain('waiting for PostgreSQL');
    expect(r.all).not.toContain('secret-pw');
  });

  it('checks the seeds too when the manifest names them (db seed reads both folders)', async () => {
    const dir = project({ ...MIGRATIONS, 'seeds/001_s.sql': 'SELECT 1;\n' });
    const expected = encodeManifest({
      migrations: fileSetOf(readFolderFiles(join(dir, 'migrations'))),
      seeds: { '001_s.sql': '0000000000000000' },
    });
    const r = await cli(['db', 'seed'], {
      cwd: dir,
      env: { DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db', SCHEMAGATE_EXPECTED_FILES: expected },
    });
    expect(r.exitCode).toBe(ExitCode.filesDiffer);
    expect(r.stderr).toContain('  changed: seeds/001_s.sql\n');
  });

  it('exits 3 on a manifest it cannot read, naming the variable', async () => {
    const r = await cli(['db', 'migrate'], {
      cwd: project(MIGRATIONS),
      env: { DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db', SCHEMAGATE_EXPECTED_FILES: '{"migrations": 3}' },
    });
    expect(r.exitCode).toBe(ExitCode.config);
    expect(r.stderr).toMatch(/^error: SCHEMAGATE_EXPECTED_FILES is not a file manifest schemagate wrote$/m);
  });
});

describe('db migrate --bundle', () => {
  it('unpacks the bundle into a folder of its own and runs there, with the settings the bundle holds', async () => {
    const url = await freshDatabase();
    const mount = mkdtempSync(join(tmpdir(), 'schemagate-mount-'));
    const files = new Map(
      Object.entries({
        ...MIGRATIONS,
        'schemagate.yaml': 'migrations:\n  table: history_from_bundle\n',
      }).map(([p, t]) => [p, Buffer.from(t)]),
    );
    writeFileSync(join(mount, 'files.json.gz'), packBundle(files));
    const r = await cli(['db', 'migrate', '--bundle', 'files.json.gz', '--config', 'schemagate.yaml'], {
      cwd: mount,
      env: { DATABASE_URL: url },
    });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr).toContain('applied migrations/002_b.sql');
    expect(await rows(url, 'SELECT count(*)::int AS n FROM history_from_bundle')).toEqual([{ n: 2 }]);
  });

  it('refuses a file that is not a bundle with exit 4, naming it', async () => {
    const mount = mkdtempSync(join(tmpdir(), 'schemagate-mount-'));
    mkdirSync(join(mount, 'x'));
    writeFileSync(join(mount, 'x/files.json.gz'), 'not gzip');
    const r = await cli(['db', 'migrate', '--bundle', 'x/files.json.gz'], {
      cwd: mount,
      env: { DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db' },
    });
    expect(r.exitCode).toBe(ExitCode.validation);
    expect(r.stderr).toMatch(/^error: --bundle \S+x\/files\.json\.gz: not a gzip-compressed JSON bundle: /m);
  });
});
