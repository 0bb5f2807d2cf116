/**
 * The files a Job's pod reads, and how they reach it. Every Job that reads
 * migrations or seeds carries their manifest (`SCHEMAGATE_EXPECTED_FILES`),
 * which its pod checks before it runs anything. With `source: configMap` the
 * files themselves (and the pod's schemagate.yaml) go into an immutable,
 * content-named ConfigMap mounted read-only as the container's working
 * directory: plain keys when small, one gzip bundle in binaryData when large.
 * https://kubernetes.io/docs/concepts/configuration/configmap/#configmap-immutable
 */
import type { V1ConfigMap, V1Container, V1PodSpec } from '@kubernetes/client-node';
import { ExitCode, SchemagateError } from '../../errors.js';
import { MigrationSource, type Config } from '../../config/types.js';
import { BUNDLE_KEY, packBundle } from '../../util/file-bundle.js';
import {
  encodeManifest,
  EXPECTED_FILES_ENV,
  FILE_CHECKSUM_LENGTH,
  type FileManifest,
  FileSetName,
  manifestDigest,
} from '../../util/file-manifest.js';
import { contentHash } from './hash.js';
import { Annotation, JobKind } from './labels.js';
import { podConfigYaml, podFolder } from './pod-config.js';
import { setEnv } from './container.js';

/** A migration or seed file as the CLI read it from the checkout. */
export interface SourceFile {
  name: string;
  bytes: Buffer;
  /** SHA-256 (hex) of its normalised text. */
  checksum: string;
}

/** The checkout's files, for the Jobs that read them. */
export interface JobFiles {
  migrations: readonly SourceFile[];
  seeds: readonly SourceFile[];
}

/** What the API server accepts in one ConfigMap's data and binaryData together (validation.go, MaxSecretSize). */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024;
/** Above this, the files go in compressed: a ConfigMap is read by every kubelet and watcher of the namespace. */
export const PLAIN_MAX_BYTES = 256 * 1024;

/** Where the files are mounted: the container's working directory. */
export const FILES_MOUNT = '/schemagate';
const VOLUME = 'schemagate-files';
const TMP_VOLUME = 'schemagate-tmp';
const CONFIG_FILE = 'schemagate.yaml';

/** The folders each Job's db command reads (`db seed` and `db status` read the migrations too). */
export function setsFor(kind: JobKind): FileSetName[] {
  switch (kind) {
    case JobKind.migrate:
    case JobKind.verify:
      return [FileSetName.migrations];
    case JobKind.seed:
    case JobKind.status:
      return [FileSetName.migrations, FileSetName.seeds];
    case JobKind.reset:
      return [];
  }
}

/** The manifest a Job of this kind carries: the checksums of the files its command reads. */
export function manifestFor(kind: JobKind, files: JobFiles, image: string, source: MigrationSource): FileManifest {
  const m: FileManifest = { image, source };
  for (const set of setsFor(kind))
    m[set] = Object.fromEntries(files[set].map((f) => [f.name, f.checksum.slice(0, FILE_CHECKSUM_LENGTH)]));
  return m;
}

/** ConfigMap keys: alphanumerics, '-', '_' and '.'; at most 253 characters. */
const KEY = /^[-._a-zA-Z0-9]{1,253}$/;

function isUtf8(b: Buffer): boolean {
  return Buffer.from(b.toString('utf8'), 'utf8').equals(b);
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

/** Path in the pod (under the working directory) -> bytes, for the Job's kind. */
function filesOf(config: Config, kind: JobKind, files: JobFiles): Map<string, Buffer> {
  const out = new Map<string, Buffer>([[CONFIG_FILE, Buffer.from(podConfigYaml(config))]]);
  for (const set of setsFor(kind)) {
    const folder = podFolder(config, set);
    for (const f of files[set]) out.set(`${folder}/${f.name}`, f.bytes);
  }
  return out;
}

/** How a Job mounts its ConfigMap: plain keys with the path each goes to, or one bundle. */
export type FilesLayout = { kind: 'plain'; items: { key: string; path: string }[] } | { kind: 'bundle' };

function plainKey(path: string): string {
  return path === CONFIG_FILE ? path : path.split('/').join('.');
}

function layoutOf(files: Map<string, Buffer>): FilesLayout {
  let total = 0;
  const items: { key: string; path: string }[] = [];
  const keys = new Set<string>();
  for (const [path, bytes] of files) {
    const key = plainKey(path);
    if (!KEY.test(key) || keys.has(key) || !isUtf8(bytes)) return { kind: 'bundle' };
    keys.add(key);
    total += bytes.length;
    items.push({ key, path });
  }
  return total <= PLAIN_MAX_BYTES ? { kind: 'plain', items } : { kind: 'bundle' };
}

/**
 * The ConfigMap of a Job's files (`source: configMap`), named by its content
 * (`schemagate-files-<hash>`): Jobs that read the same files share one. No
 * ownerReferences here: the runner adds each Job that mounts it once the Job
 * exists, so the last one's TTL takes it away.
 */
export function renderFilesConfigMap(
  config: Config,
  kind: JobKind,
  files: JobFiles,
  namespace: string,
): { configMap: V1ConfigMap; layout: FilesLayout } {
  const paths = filesOf(config, kind, files);
  const layout = layoutOf(paths);
  let data: Record<string, string> | undefined;
  let binaryData: Record<string, string> | undefined;
  if (layout.kind === 'plain') {
    data = Object.fromEntries(
      layout.items.map((i) => [i.key, (paths.get(i.path) ?? Buffer.alloc(0)).toString('utf8')]),
    );
  } else {
    const packed = packBundle(paths);
    if (packed.length > CONFIGMAP_MAX_BYTES) {
      const raw = [...paths.values()].reduce((n, b) => n + b.length, 0);
      throw new SchemagateError(
        'files.too-large',
        `the ${setsFor(kind).join(' and ')} files are ${mib(raw)}, ${mib(packed.length)} compressed: more than a ConfigMap holds (${mib(CONFIGMAP_MAX_BYTES)}, the API server's limit)`,
        {
          exitCode: ExitCode.config,
          hint: 'Deliver them in the image instead: kubernetes.migration.source: image in schemagate.yaml (then rebuild and load the image after each change), or squash old migrations into a baseline.',
          context: { key: 'kubernetes.migration.source' },
        },
      );
    }
    binaryData = { [BUNDLE_KEY]: packed.toString('base64') };
  }
  const hash = contentHash([JSON.stringify(data ?? {}), JSON.stringify(binaryData ?? {})]);
  const manifest = manifestFor(kind, files, '', MigrationSource.configMap);
  const configMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `schemagate-files-${hash}`,
      namespace,
      labels: {
        'app.kubernetes.io/name': 'schemagate',
        'app.kubernetes.io/component': 'files',
        'app.kubernetes.io/managed-by': 'schemagate',
      },
      annotations: { [Annotation.filesDigest]: manifestDigest(manifest) },
    },
    immutable: true,
    ...(data ? { data } : {}),
    ...(binaryData ? { binaryData } : {}),
  };
  return { configMap, layout };
}

/**
 * Points a Job's pod at its files: the ConfigMap mounted read-only as the
 * working directory (plus an emptyDir on /tmp to unpack a bundle into, the
 * root file system being read-only), and the flags that read them there.
 */
export function mountFiles(
  pod: V1PodSpec,
  container: V1Container,
  configMap: V1ConfigMap,
  layout: FilesLayout,
): string[] {
  const name = configMap.metadata?.name ?? '';
  const volumes = (pod.volumes ?? []).filter((v) => v.name !== VOLUME && v.name !== TMP_VOLUME);
  volumes.push({
    name: VOLUME,
    configMap: { name, ...(layout.kind === 'plain' ? { items: layout.items } : {}) },
  });
  const mounts = (container.volumeMounts ?? []).filter((m) => m.name !== VOLUME && m.name !== TMP_VOLUME);
  mounts.push({ name: VOLUME, mountPath: FILES_MOUNT, readOnly: true });
  if (layout.kind === 'bundle') {
    volumes.push({ name: TMP_VOLUME, emptyDir: {} });
    mounts.push({ name: TMP_VOLUME, mountPath: '/tmp' });
  }
  pod.volumes = volumes;
  container.volumeMounts = mounts;
  container.workingDir = FILES_MOUNT;
  return layout.kind === 'plain' ? ['--config', CONFIG_FILE] : ['--bundle', BUNDLE_KEY, '--config', CONFIG_FILE];
}

/** Puts the manifest into the container's environment, where the pod's db command looks for it. */
export function expectFiles(container: V1Container, manifest: FileManifest): void {
  setEnv(container, { name: EXPECTED_FILES_ENV, value: encodeManifest(manifest) });
}

/** The ConfigMap a rendered Job of this kind mounts, or undefined when its pod reads the image's files. */
export function filesConfigMapFor(
  config: Config,
  kind: JobKind,
  files: JobFiles,
  namespace: string,
): V1ConfigMap | undefined {
  if (config.kubernetes.migrationSource !== MigrationSource.configMap) return undefined;
  return renderFilesConfigMap(config, kind, files, namespace).configMap;
}

/** Whether an object is a ConfigMap of Job files that schemagate rendered. */
export function isFilesConfigMap(o: { kind?: string; metadata?: { labels?: Record<string, string> } }): boolean {
  return (
    o.kind === 'ConfigMap' &&
    o.metadata?.labels?.['app.kubernetes.io/component'] === 'files' &&
    o.metadata.labels['app.kubernetes.io/managed-by'] === 'schemagate'
  );
}

/** The name of the files ConfigMap a rendered Job mounts, if it mounts one. */
export function filesConfigMapName(job: { spec?: { template?: { spec?: V1PodSpec } } }): string | undefined {
  return job.spec?.template?.spec?.volumes?.find((v) => v.name === VOLUME)?.configMap?.name;
}
