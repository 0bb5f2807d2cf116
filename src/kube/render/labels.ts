/**
 * Labels and annotations schemagate puts on what it renders. `status` and the
 * runner find Jobs by these labels, so they are part of the contract.
 */

/** The Jobs schemagate renders, by the value of their `schemagate.dev/job` label. */
export const JobKind = {
  migrate: 'migrate',
  seed: 'seed',
  reset: 'reset',
  /** A one-off `db status --json` (`schemagate status`). */
  status: 'status',
  /** A one-off `db verify --json` (`schemagate verify`, `check --cluster`). */
  verify: 'verify',
} as const;
export type JobKind = (typeof JobKind)[keyof typeof JobKind];

export const Label = {
  name: 'app.kubernetes.io/name',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  /** `migrate`, `seed` or `reset`. */
  job: 'schemagate.dev/job',
  /** The content hash that is also the Job name's suffix. */
  hash: 'schemagate.dev/hash',
} as const;

export const Annotation = {
  /** How many migration (or seed) files the Job was rendered for. */
  fileCount: 'schemagate.dev/file-count',
  /** Their versions, comma-separated, when the caller gave them. */
  versions: 'schemagate.dev/versions',
  /** `sha256:...` of the migration and seed files the Job's pod must see (and checks it sees). */
  filesDigest: 'schemagate.dev/files-digest',
  /** The caller's nonce of a reset Job. */
  nonce: 'schemagate.dev/nonce',
} as const;

/** `app.kubernetes.io/component` of each Job kind. */
const component: Record<JobKind, string> = {
  migrate: 'migration',
  seed: 'seed',
  reset: 'reset',
  status: 'status',
  verify: 'verify',
};

/** The labels of a Job and its pod template (the hash label once the hash is known). */
export function jobLabels(kind: JobKind, hash?: string): Record<string, string> {
  return {
    [Label.name]: 'schemagate',
    [Label.component]: component[kind],
    [Label.managedBy]: 'schemagate',
    [Label.job]: kind,
    ...(hash === undefined ? {} : { [Label.hash]: hash }),
  };
}

/** A label selector (`a=b,c=d`) matching every Job of a kind, whatever its hash. */
export function jobSelector(kind: JobKind): string {
  return `${Label.name}=schemagate,${Label.job}=${kind}`;
}

/** `schemagate-migrate-<hash>`: at most 29 characters, well under the 63 a Job name may have. */
export function jobName(kind: JobKind, hash: string): string {
  return `schemagate-${kind}-${hash}`;
}

/** Labels the Job controller puts on a Job's pods (Kubernetes 1.27+). https://kubernetes.io/docs/reference/labels-annotations-taints/ */
export const JobPodLabel = {
  /** The Job's uid: a recreated Job of the same name never matches its predecessor's pods. */
  controllerUid: 'batch.kubernetes.io/controller-uid',
  jobName: 'batch.kubernetes.io/job-name',
} as const;

/** The pods of one Job, by its uid. */
export function podsOfJob(uid: string): string {
  return `${JobPodLabel.controllerUid}=${uid}`;
}

/** The pods of every Job of that name (for `kubectl logs -l`). */
export function podsOfJobNamed(name: string): string {
  return `${JobPodLabel.jobName}=${name}`;
}

/** A field selector matching one object by name. */
export function named(name: string): string {
  return `metadata.name=${name}`;
}

/** A label selector from a `matchLabels` map (a Deployment's `spec.selector.matchLabels`). */
export function selectorOf(matchLabels: Record<string, string>): string {
  return Object.entries(matchLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** The `schemagate.dev/job` label of an object, if it is one of the Jobs schemagate renders. */
export function jobKindOf(o: { metadata?: { labels?: Record<string, string> } }): JobKind | undefined {
  const v = o.metadata?.labels?.[Label.job];
  return (Object.values(JobKind) as string[]).includes(v ?? '') ? (v as JobKind) : undefined;
}
