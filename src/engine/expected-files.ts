/**
 * The pod's proof that it runs the files its Job was made for: before a `db`
 * command touches the database, the files it would read are compared with
 * the manifest the Job carries (`SCHEMAGATE_EXPECTED_FILES`). A difference
 * is final (exit 13): another attempt of the same pod sees the same files.
 */
import { relative } from 'node:path';
import { ExitCode, SchemagateError } from '../errors.js';
import {
  diffFileSets,
  EXPECTED_FILES_ENV,
  type FileManifest,
  type FileSetDiff,
  type FileSetName,
  isEmptyDiff,
  manifestDigest,
  parseManifest,
  setsOf,
  shortDigest,
} from '../util/file-manifest.js';
import { fileSetOf, readFolderFiles } from './file-set.js';

/** How many file names each list shows before "and N more". */
const SHOWN = 10;

export class FilesDifferError extends SchemagateError {
  override readonly name = 'FilesDifferError';
  constructor(
    message: string,
    hint: string,
    readonly differences: Readonly<Partial<Record<FileSetName, FileSetDiff>>>,
  ) {
    super('files.differ', message, { exitCode: ExitCode.filesDiffer, hint });
  }
}

function names(dir: string, files: readonly string[]): string {
  const shown = files.slice(0, SHOWN).map((f) => `${dir}/${f}`);
  return `${shown.join(', ')}${files.length > SHOWN ? ` and ${files.length - SHOWN} more` : ''}`;
}

function describe(dir: string, d: FileSetDiff): string[] {
  return [
    d.added.length ? `  added (in the checkout, not here): ${names(dir, d.added)}` : '',
    d.removed.length ? `  removed (here, not in the checkout): ${names(dir, d.removed)}` : '',
    d.changed.length ? `  changed: ${names(dir, d.changed)}` : '',
  ].filter(Boolean);
}

function hint(m: FileManifest): string {
  if (m.source === 'configMap')
    return 'The files come from the ConfigMap mounted into this pod, which should hold exactly what the Job was made for: was it edited or replaced? Run the command again: schemagate renders the ConfigMap anew.';
  const ref = m.image ?? 'schemagate:dev';
  return [
    `This pod's image holds other files than the checkout the Job was made from: the image was built before the last edit, or not loaded into the cluster.`,
    `Rebuild and load it (docker build -t ${ref} . && kind load docker-image ${ref} --name schemagate; under Tilt, wait for the schemagate-image resource and save again), then run the command again;`,
    `or deliver the files without an image build: kubernetes.migration.source: configMap in schemagate.yaml.`,
  ].join(' ');
}

/** Reads the manifest from the environment; undefined when the variable is unset (a command run by hand). */
export function expectedFilesFrom(env: NodeJS.ProcessEnv): FileManifest | undefined {
  const text = env[EXPECTED_FILES_ENV];
  if (text === undefined || text === '') return undefined;
  const m = parseManifest(text);
  if (!m)
    throw new SchemagateError('files.manifest', `${EXPECTED_FILES_ENV} is not a file manifest schemagate wrote`, {
      exitCode: ExitCode.config,
      hint: `The variable is set by the Jobs schemagate renders; unset it to run without the check, or render the Job again (schemagate render).`,
      context: { key: EXPECTED_FILES_ENV },
    });
  return m;
}

/**
 * Compares each folder the manifest names with what is on disk here, and
 * throws FilesDifferError naming every file that differs. `dirs` are the
 * folders the command reads (after flags and configuration).
 */
export function checkExpectedFiles(
  manifest: FileManifest,
  dirs: Readonly<Record<FileSetName, string>>,
  cwd: string = process.cwd(),
): void {
  const found: FileManifest = {};
  const differences: Partial<Record<FileSetName, FileSetDiff>> = {};
  const lines: string[] = [];
  for (const set of setsOf(manifest)) {
    const actual = fileSetOf(readFolderFiles(dirs[set]));
    found[set] = actual;
    const diff = diffFileSets(manifest[set] ?? {}, actual);
    if (isEmptyDiff(diff)) continue;
    differences[set] = diff;
    const rel = relative(cwd, dirs[set]);
    lines.push(...describe(rel && !rel.startsWith('..') ? rel : dirs[set], diff));
  }
  if (lines.length === 0) return;
  const { image: _image, source: _source, ...expected } = manifest;
  throw new FilesDifferError(
    `the migration files here differ from the ones the Job was made for (expected ${shortDigest(manifestDigest(expected))}, found ${shortDigest(manifestDigest(found))}):\n${lines.join('\n')}`,
    hint(manifest),
    differences,
  );
}
