/**
 * Pure rendering: config (and the manifests under `kubernetes.manifests`) to
 * plain Kubernetes objects. Nothing here talks to a cluster, and only types
 * are imported from `@kubernetes/client-node` (loading it costs ~0.6 s).
 */
export { renderAll, type RenderAllInputs } from './all.js';
export { MIGRATE_INIT_CONTAINER, renderBackend, type BackendInputs, type RenderedBackend } from './backend.js';
export { DATABASE_URL, MANIFEST_IMAGE } from './container.js';
export {
  filesConfigMapFor,
  filesConfigMapName,
  isFilesConfigMap,
  renderFilesConfigMap,
  type JobFiles,
  type SourceFile,
} from './files.js';
export { canonicalJson, contentHash } from './hash.js';
export {
  renderDbJob,
  renderMigrationJob,
  renderResetJob,
  renderSeedJob,
  type DbJobCommand,
  type DbJobInputs,
  type JobInputs,
  type MigrationJobInputs,
  type ResetJobInputs,
  type SeedJobInputs,
} from './job.js';
export {
  Annotation,
  JobKind,
  JobPodLabel,
  Label,
  jobKindOf,
  jobLabels,
  jobName,
  jobSelector,
  named,
  podsOfJob,
  podsOfJobNamed,
  selectorOf,
} from './labels.js';
export {
  ManifestFile,
  builtInManifestsDir,
  manifestPath,
  parseManifests,
  readManifestSet,
  readManifests,
  type Manifest,
  type ManifestSet,
} from './manifests.js';
export { toYaml } from './yaml.js';
