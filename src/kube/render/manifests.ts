/**
 * Reading the manifests under `kubernetes.manifests` (default `k8s/`): every
 * YAML document of a file as a plain object, checked for the fields schemagate
 * relies on, with the namespace set to the configured one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ExitCode, SchemagateError } from '../../errors.js';
import type { Config } from '../../config/types.js';

/** The manifest files, relative to the manifests directory. */
export const ManifestFile = {
  namespace: 'namespace.yaml',
  secrets: 'secrets.yaml',
  postgres: 'postgres.yaml',
  backend: 'backend.yaml',
  migrateJob: 'jobs/migrate.yaml',
  seedJob: 'jobs/seed.yaml',
  resetJob: 'jobs/reset.yaml',
} as const;
export type ManifestFile = (typeof ManifestFile)[keyof typeof ManifestFile];

/** A manifest object: apiVersion, kind and metadata.name are known to be there. */
export interface Manifest extends KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: NonNullable<KubernetesObject['metadata']> & { name: string };
  [field: string]: unknown;
}

/** Kinds without a namespace, among those a manifest directory may hold. */
const clusterScoped = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'IngressClass',
  'PersistentVolume',
  'PriorityClass',
  'RuntimeClass',
  'StorageClass',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
]);

/**
 * The `k8s/` directory shipped with schemagate: the nearest directory above
 * this module that holds `k8s/namespace.yaml` (the same walk from `src/` and
 * from `dist/src/`).
 */
export function builtInManifestsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'k8s', ManifestFile.namespace))) return join(dir, 'k8s');
    const up = dirname(dir);
    if (up === dir)
      throw new Error(`schemagate's own k8s/ directory was not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/**
 * Where a manifest is read from: `kubernetes.manifests` when that directory
 * exists (then it is the whole truth: a file missing there is not rendered,
 * except the Job templates, which fall back to the built-in ones), else the
 * built-in `k8s/`. Undefined when the file is not to be rendered.
 */
export function manifestPath(config: Config, file: ManifestFile): string | undefined {
  const dir = config.kubernetes.manifestsDir;
  if (!existsSync(dir)) return join(builtInManifestsDir(), file);
  const path = join(dir, file);
  if (existsSync(path)) return path;
  return file.startsWith('jobs/') ? join(builtInManifestsDir(), file) : undefined;
}

function display(path: string, root: string): string {
  const rel = relative(root, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function manifestError(file: string, doc: number | undefined, message: string, cause?: unknown): SchemagateError {
  const where = doc === undefined ? file : `${file}, document ${doc}`;
  return new SchemagateError('manifest-invalid', `${where}: ${message}`, {
    exitCode: ExitCode.config,
    context: { file },
    hint: 'Fix the manifest (documents are counted from 1 and separated by ---), or point kubernetes.manifests in schemagate.yaml at another directory.',
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Where each parsed object came from, for messages about it later. */
const sources = new WeakMap<object, { file: string; doc: number }>();

/** An error about an object read from a manifest, naming its file and document. */
export function invalidManifest(obj: object, message: string): SchemagateError {
  const src = sources.get(obj);
  return manifestError(src?.file ?? 'a manifest', src?.doc, message);
}

/**
 * A field of a parsed manifest, as possibly absent: the YAML holds only what
 * the file says, whatever the Kubernetes types promise.
 */
export function fromYaml<T>(value: T): T | undefined {
  return value;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses the YAML documents of a manifest file (empty documents are skipped).
 * `file` is only used in messages. Exported for tests and for manifests that
 * come from elsewhere.
 */
export function parseManifests(text: string, file: string): Manifest[] {
  const out: Manifest[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    const n = i + 1;
    const err = doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0];
      throw manifestError(
        file,
        n,
        `invalid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${(err.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
        err,
      );
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    // An empty document (only comments, or a stray ---) holds nothing to apply.
    if (value === null || value === undefined) return;
    if (!isRecord(value))
      throw manifestError(
        file,
        n,
        `expected a Kubernetes object (a mapping), found ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`,
      );
    for (const key of ['apiVersion', 'kind'] as const) {
      if (typeof value[key] !== 'string' || value[key] === '')
        throw manifestError(
          file,
          n,
          `expected a non-empty string at ${key}, found ${JSON.stringify(value[key] ?? null)}`,
        );
    }
    const metadata = value['metadata'];
    if (!isRecord(metadata) || typeof metadata['name'] !== 'string' || metadata['name'] === '') {
      throw manifestError(
        file,
        n,
        `${String(value['kind'])}: expected a non-empty string at metadata.name, found ${JSON.stringify(isRecord(metadata) ? (metadata['name'] ?? null) : null)}`,
      );
    }
    sources.set(value, { file, doc: n });
    out.push(value as Manifest);
  });
  return out;
}

/** Sets the namespace of a namespaced object; renames a Namespace. */
export function inNamespace<T extends Manifest>(obj: T, namespace: string): T {
  if (obj.kind === 'Namespace') obj.metadata.name = namespace;
  else if (!clusterScoped.has(obj.kind)) obj.metadata.namespace = namespace;
  return obj;
}

/** The objects of one manifest file, and the file as messages name it. */
export interface ManifestSet {
  file: string;
  objects: Manifest[];
}

/**
 * The objects of one manifest file, in file order, in `namespace`. No objects
 * when the file is not to be rendered (see `manifestPath`); `required` turns
 * that into an error.
 */
export function readManifestSet(config: Config, file: ManifestFile, namespace: string, required = false): ManifestSet {
  const path = manifestPath(config, file);
  if (path === undefined) {
    const shown = display(join(config.kubernetes.manifestsDir, file), config.root);
    if (!required) return { file: shown, objects: [] };
    throw manifestError(shown, undefined, 'the manifest does not exist');
  }
  const shown = display(path, config.root);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw manifestError(
      shown,
      undefined,
      `cannot read the manifest (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      e,
    );
  }
  return { file: shown, objects: parseManifests(text, shown).map((o) => inNamespace(o, namespace)) };
}

/** `readManifestSet`'s objects. */
export function readManifests(config: Config, file: ManifestFile, namespace: string, required = false): Manifest[] {
  return readManifestSet(config, file, namespace, required).objects;
}

/** The one object of `kind` in a manifest file; an error naming the file when there is none or more than one. */
export function single(set: ManifestSet, kind: string): Manifest {
  const found = set.objects.filter((o) => o.kind === kind);
  const first = found[0];
  if (found.length === 1 && first) return first;
  throw manifestError(
    set.file,
    undefined,
    `expected exactly one ${kind}, found ${found.length === 0 ? 'none' : found.length}`,
  );
}
