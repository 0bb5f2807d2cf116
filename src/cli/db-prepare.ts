/**
 * What every `db` command does before its own work, in a Job's pod or by
 * hand: unpack a file bundle (`--bundle`), prove that the files here are the
 * ones the Job was made for (`SCHEMAGATE_EXPECTED_FILES`), then wait for
 * PostgreSQL (`--wait-for-db`). The file check comes first: a pod with the
 * wrong files fails within a second, whatever the database does.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ExitCode, SchemagateError } from '../errors.js';
import { EXPECTED_FILES_ENV } from '../util/file-manifest.js';
import { str } from './args.js';
import type { CommandContext } from './db.js';
import { waitIfAsked } from './db.js';
import { configFrom } from './engine-options.js';

/** Unpacks the bundle into a new temporary folder and makes it the working directory. */
async function unpackInto(file: string): Promise<string> {
  // zlib is loaded only for a bundle: a run without one (most) never needs it.
  const { unpackBundle } = await import('../util/file-bundle.js');
  let files;
  try {
    files = unpackBundle(readFileSync(file));
  } catch (e) {
    throw new SchemagateError('files.bundle', `--bundle ${file}: ${(e as Error).message}`, {
      exitCode: ExitCode.validation,
      hint: 'A bundle is written by schemagate into the ConfigMap of a Job; render the Job again (schemagate render).',
      context: { file },
      cause: e,
    });
  }
  // The pod's root file system is read-only: the Job mounts an emptyDir on the temporary folder.
  const dir = mkdtempSync(join(tmpdir(), 'schemagate-files-'));
  for (const [path, bytes] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), bytes);
  }
  process.chdir(dir);
  return dir;
}

export async function prepareDb(c: CommandContext): Promise<void> {
  const bundle = str(c.args, 'bundle');
  if (bundle !== undefined) {
    const dir = await unpackInto(resolve(bundle));
    c.out.debug(`unpacked ${bundle} into ${dir}`);
  }
  // The check is loaded where a Job asks for it: a run on a laptop, or a Job without a manifest, is spared it.
  if (c.env[EXPECTED_FILES_ENV] !== undefined) {
    const { expectedFilesFrom, checkExpectedFiles } = await import('../engine/expected-files.js');
    const manifest = expectedFilesFrom(c.env);
    if (manifest) {
      const config = configFrom(c.args, c.env);
      // The folders the command reads, as engineOptionsFor resolves them (no database URL needed for this).
      const migrations = resolve(str(c.args, 'migrations') ?? resolve(config.root, config.migrations.dir));
      const seeds = resolve(str(c.args, 'seeds') ?? resolve(config.root, config.seeds.dir));
      checkExpectedFiles(manifest, { migrations, seeds });
    }
  }
  await waitIfAsked(c);
}
