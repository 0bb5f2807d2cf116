/**
 * The migration, seed and reset Jobs: a template from `k8s/jobs/` filled in
 * from the config, named by a hash of its content.
 */
import type { V1Container, V1Job, V1JobSpec, V1PodFailurePolicy, V1PodSpec } from '@kubernetes/client-node';
import { FINAL_EXIT_CODES, TRANSIENT_EXIT_CODES } from '../../errors.js';
import { MigrationSource, type Config, type JobConfig } from '../../config/types.js';
import { manifestDigest } from '../../util/file-manifest.js';
import { resourcesFrom, setDatabaseUrl, useImage } from './container.js';
import { expectFiles, type JobFiles, manifestFor, mountFiles, renderFilesConfigMap, setsFor } from './files.js';
import { canonicalJson, contentHash } from './hash.js';
import { Annotation, JobKind, Label, jobLabels, jobName } from './labels.js';
import { ManifestFile, fromYaml, invalidManifest, readManifestSet, single, type Manifest } from './manifests.js';

export interface JobInputs {
  /** The image to run. @default config.kubernetes.image */
  image?: string;
  /** @default config.kubernetes.namespace */
  namespace?: string;
}

export interface MigrationJobInputs extends JobInputs {
  /** The checkout's migration and seed files: their manifest goes into the Job (and, with `source: configMap`, the files). */
  files: JobFiles;
  /** Checksums of every migration file, in order: part of the Job's name. */
  migrationChecksums: readonly string[];
  /** Their versions, for the `schemagate.dev/versions` annotation. @default not annotated */
  migrationVersions?: readonly string[];
}

export interface SeedJobInputs extends JobInputs {
  /** The checkout's migration and seed files (`db seed` reads both). */
  files: JobFiles;
  /** Checksums of every seed file, in order: part of the Job's name. */
  seedChecksums: readonly string[];
  /** @default not annotated */
  seedVersions?: readonly string[];
}

export interface ResetJobInputs extends JobInputs {
  /**
   * Makes each reset a new Job (a reset is an action, not content): the
   * caller's choice, e.g. a random string. No clock is read here.
   */
  nonce: string;
}

/**
 * Fails the Job at once on an exit code no retry can fix (an SQL error, bad
 * files or config, files that differ from the checkout's, a refusal), counts
 * the transient ones against backoffLimit (as any other failure), and
 * ignores a pod that was evicted or preempted. Rules apply in order.
 * https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-failure-policy
 */
export function podFailurePolicy(containerName: string): V1PodFailurePolicy {
  return {
    rules: [
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'FailJob', onExitCodes: { containerName, operator: 'In', values: [...FINAL_EXIT_CODES] } },
      // What unmatched failures get anyway; written out so that `kubectl get job -o yaml` shows which codes are retried.
      { action: 'Count', onExitCodes: { containerName, operator: 'In', values: [...TRANSIENT_EXIT_CODES] } },
    ],
  };
}

/** `120000` -> `2m`: a duration flag as a person would write it. */
function durationFlag(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The Jobs with a template of their own under `k8s/jobs/`; a one-off db Job uses the migration Job's. */
type TemplateKind = typeof JobKind.migrate | typeof JobKind.seed | typeof JobKind.reset;

// A Job can start before PostgreSQL accepts connections (up applies both at once): wait, rather than spend an attempt.
function args(kind: TemplateKind, jc: JobConfig): string[] {
  const wait = ['--wait-for-db', durationFlag(jc.waitForDatabaseMs)];
  return kind === 'reset' ? ['db', 'reset', '--yes', ...wait] : ['db', kind, ...wait];
}

const templateFile: Record<TemplateKind, ManifestFile> = {
  migrate: ManifestFile.migrateJob,
  seed: ManifestFile.seedJob,
  reset: ManifestFile.resetJob,
};

/** What differs between the Jobs rendered from one template. */
interface JobShape {
  /** The `schemagate.dev/job` label and the name's prefix. */
  kind: JobKind;
  template: TemplateKind;
  args: string[];
  backoffLimit: number;
  ttlSecondsAfterFinished: number;
  podFailurePolicy: boolean;
}

/** The parts of a Job template schemagate fills in; parsed YAML may lack any of them, whatever the types say. */
function templateOf(
  job: Manifest & V1Job,
  kind: TemplateKind,
): { spec: V1JobSpec; pod: V1PodSpec; container: V1Container } {
  const spec = job.spec;
  const pod = fromYaml(spec?.template)?.spec;
  const containers = fromYaml(pod?.containers);
  if (!spec || !pod || !Array.isArray(containers))
    throw invalidManifest(job, 'expected a Job with spec.template.spec.containers');
  const found = containers.find((c) => c.name === kind);
  if (!found) {
    throw invalidManifest(
      job,
      `expected a container named "${kind}" (the one schemagate runs), found ${containers.map((c) => JSON.stringify(c.name)).join(', ') || 'none'}`,
    );
  }
  return { spec, pod, container: found };
}

/** Fills in a Job template; the name and hash label come last, from a hash of everything else. */
function renderJob(
  config: Config,
  shape: JobShape,
  jc: JobConfig,
  inputs: JobInputs & { files: JobFiles },
  hashParts: readonly string[],
  given: Record<string, string>,
): V1Job {
  let annotations = given;
  const { files } = inputs;
  const k = config.kubernetes;
  const namespace = inputs.namespace ?? k.namespace;
  const image = inputs.image ?? k.image;
  const { kind } = shape;
  const job = single(readManifestSet(config, templateFile[shape.template], namespace, true), 'Job') as Manifest & V1Job;

  const { spec, pod, container } = templateOf(job, shape.template);
  useImage(container, image, k);
  container.args = [...shape.args];
  const source = k.migrationSource;
  if (source === MigrationSource.configMap) {
    const { configMap, layout } = renderFilesConfigMap(config, kind, files, namespace);
    container.args.push(...mountFiles(pod, container, configMap, layout));
  }
  if (setsFor(kind).length > 0) {
    const manifest = manifestFor(kind, files, image, source);
    expectFiles(container, manifest);
    annotations = { ...annotations, [Annotation.filesDigest]: manifestDigest(manifest) };
  }
  container.resources = resourcesFrom(jc.resources);
  setDatabaseUrl(container, config.database.urlEnv, jc.secret);

  pod.restartPolicy = 'Never';
  spec.backoffLimit = shape.backoffLimit;
  spec.ttlSecondsAfterFinished = shape.ttlSecondsAfterFinished;
  spec.activeDeadlineSeconds = jc.activeDeadlineSeconds;
  if (shape.podFailurePolicy) spec.podFailurePolicy = podFailurePolicy(shape.template);
  else delete spec.podFailurePolicy;
  if (kind === JobKind.seed) spec.suspend = true;
  else delete spec.suspend;

  const labels = jobLabels(kind);
  job.metadata.labels = { ...job.metadata.labels, ...labels };
  job.metadata.annotations = { ...job.metadata.annotations, ...annotations };
  spec.template.metadata = { ...spec.template.metadata, labels: { ...spec.template.metadata?.labels, ...labels } };

  const { name: _placeholder, ...metadata } = job.metadata;
  const hash = contentHash([image, ...hashParts, canonicalJson({ ...job, metadata })]);
  job.metadata.name = jobName(kind, hash);
  job.metadata.labels[Label.hash] = hash;
  spec.template.metadata.labels = { ...spec.template.metadata.labels, [Label.hash]: hash };
  return job;
}

const NO_FILES: JobFiles = { migrations: [], seeds: [] };

/** A template Job's shape, with its settings from the config. */
function shapeOf(kind: TemplateKind, jc: JobConfig): JobShape {
  return {
    kind,
    template: kind,
    args: args(kind, jc),
    backoffLimit: jc.backoffLimit,
    ttlSecondsAfterFinished: jc.ttlSecondsAfterFinished,
    podFailurePolicy: true,
  };
}

function fileAnnotations(
  checksums: readonly string[],
  versions: readonly string[] | undefined,
): Record<string, string> {
  return {
    [Annotation.fileCount]: String(checksums.length),
    ...(versions ? { [Annotation.versions]: versions.join(',') } : {}),
  };
}

/** The migration Job (`db migrate`, the migration role's Secret), named `schemagate-migrate-<hash>`. */
export function renderMigrationJob(config: Config, inputs: MigrationJobInputs): V1Job {
  const jc = config.kubernetes.migrationJob;
  return renderJob(
    config,
    shapeOf(JobKind.migrate, jc),
    jc,
    inputs,
    inputs.migrationChecksums,
    fileAnnotations(inputs.migrationChecksums, inputs.migrationVersions),
  );
}

/** The seed Job (`db seed`), created suspended, named `schemagate-seed-<hash>`. */
export function renderSeedJob(config: Config, inputs: SeedJobInputs): V1Job {
  const jc = config.kubernetes.seedJob;
  return renderJob(
    config,
    shapeOf(JobKind.seed, jc),
    jc,
    inputs,
    inputs.seedChecksums,
    fileAnnotations(inputs.seedChecksums, inputs.seedVersions),
  );
}

/**
 * The reset Job (`db reset --yes`) with the migration Job's settings and
 * Secret, named `schemagate-reset-<hash>` where the hash covers the image, the
 * nonce and the spec.
 */
export function renderResetJob(config: Config, inputs: ResetJobInputs): V1Job {
  const jc = config.kubernetes.migrationJob;
  // `db reset` reads no migration files; with source: configMap it still gets the checkout's settings.
  return renderJob(config, shapeOf(JobKind.reset, jc), jc, { ...inputs, files: NO_FILES }, [inputs.nonce], {
    [Annotation.nonce]: inputs.nonce,
  });
}

/** The db commands a one-off Job runs to read the database's state for the runner. */
export type DbJobCommand = typeof JobKind.status | typeof JobKind.verify;

export interface DbJobInputs extends JobInputs {
  /** The checkout's files: the report is about them (and the pod checks that it sees them). */
  files: JobFiles;
  /** `schemagate db <command> --json` is what the Job runs. */
  command: DbJobCommand;
  /** Makes each run a new Job, as for a reset. */
  nonce: string;
}

/**
 * A one-off Job that runs `schemagate db status|verify --json` with the
 * migration role and prints its report, named `schemagate-<command>-<hash>`:
 * the migration Job's template and Secret, one attempt (a non-zero exit is a
 * report, not a failure to retry), deleted by its TTL after 5 minutes if the
 * runner could not delete it.
 */
export function renderDbJob(config: Config, inputs: DbJobInputs): V1Job {
  const jc = config.kubernetes.migrationJob;
  const shape: JobShape = {
    kind: inputs.command,
    template: JobKind.migrate,
    args: ['db', inputs.command, '--json'],
    backoffLimit: 0,
    ttlSecondsAfterFinished: 300,
    podFailurePolicy: false,
  };
  return renderJob(config, shape, jc, inputs, [inputs.nonce], { [Annotation.nonce]: inputs.nonce });
}
