/**
 * Defaulting the API server does on write, for the fields the double and its
 * users look at, and the status a new object starts with.
 * https://kubernetes.io/docs/reference/kubernetes-api/ (each type's page lists its defaults).
 */
import { nextClusterIp } from './network/addresses.js';
import type {
  Deployment,
  Job,
  KubeObject,
  Namespace,
  Pod,
  PodSpec,
  PodTemplateSpec,
  ReplicaSet,
  ResourceQuota,
  Secret,
  Service,
  StatefulSet,
} from './types.js';

/** imagePullPolicy: Always for `:latest` or no tag, else IfNotPresent (Container v1 `imagePullPolicy`). */
export function defaultPullPolicy(image: string | undefined): string {
  if (!image) return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export function defaultPodSpec(s: PodSpec, restartPolicy: 'Always' | undefined): void {
  if (restartPolicy && s.restartPolicy === undefined) s.restartPolicy = restartPolicy;
  s.terminationGracePeriodSeconds ??= 30;
  s.dnsPolicy ??= 'ClusterFirst';
  s.schedulerName ??= 'default-scheduler';
  s.securityContext ??= {};
  for (const c of [...(s.initContainers ?? []), ...(s.containers ?? [])]) {
    c.imagePullPolicy ??= defaultPullPolicy(c.image);
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.resources ??= {};
    for (const p of c.ports ?? []) p.protocol ??= 'TCP';
  }
}

function defaultTemplate(t: PodTemplateSpec, restartPolicy: 'Always' | undefined): void {
  t.metadata ??= {};
  defaultPodSpec(t.spec, restartPolicy);
}

/** Labels and selector the API server generates for a Job on create (manualSelector unset). */
function generateJobSelector(job: Job): void {
  const spec = job.spec;
  if (spec.manualSelector === true) return;
  const uid = job.metadata.uid;
  const name = job.metadata.name;
  spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  const metadata = (spec.template.metadata ??= {});
  metadata.labels = {
    ...(metadata.labels ?? {}),
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
}

/** Create- and update-time defaults, by resource; applied in place. */
export const defaults = {
  pods: (pod: Pod): void => {
    const spec = pod.spec;
    defaultPodSpec(spec, 'Always');
    // SetDefaults_Pod: a limit without a request makes the request equal to the limit (pods only, not templates).
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      const res = (c.resources ??= {});
      for (const [k, v] of Object.entries(res.limits ?? {}))
        if (res.requests?.[k] === undefined) (res.requests ??= {})[k] = v;
    }
    spec.serviceAccountName ??= 'default';
    spec.serviceAccount ??= spec.serviceAccountName;
    spec.enableServiceLinks ??= true;
    spec.priority ??= 0;
  },

  jobs: (job: Job, isCreate: boolean): void => {
    const spec = job.spec;
    // https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-backoff-failure-policy
    spec.backoffLimit ??= 6;
    spec.completions ??= 1;
    spec.parallelism ??= 1;
    spec.completionMode ??= 'NonIndexed';
    spec.suspend ??= false;
    // With a podFailurePolicy only Failed is allowed, and it is the default (job/#pod-replacement-policy).
    spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
    defaultTemplate(spec.template, undefined);
    if (isCreate) generateJobSelector(job);
  },

  deployments: (d: Deployment): void => {
    const spec = d.spec;
    spec.replicas ??= 1;
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    spec.strategy ??= { type: 'RollingUpdate' };
    if (spec.strategy.type === 'RollingUpdate')
      spec.strategy.rollingUpdate ??= { maxUnavailable: '25%', maxSurge: '25%' };
    defaultTemplate(spec.template, 'Always');
  },

  /** ReplicaSets and StatefulSets. */
  replicated: (o: ReplicaSet | StatefulSet): void => {
    o.spec.replicas ??= 1;
    defaultTemplate(o.spec.template, 'Always');
  },

  secrets: (s: Secret): void => {
    s.type ??= 'Opaque';
    // stringData is write-only: merged into data (base64) and never stored.
    if (s.stringData) {
      const data = (s.data = { ...(s.data ?? {}) });
      for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(v, 'utf8').toString('base64');
      delete s.stringData;
    }
  },

  services: (svc: Service, isCreate: boolean): void => {
    const spec = svc.spec;
    if (!spec) return;
    spec.type ??= 'ClusterIP';
    spec.sessionAffinity ??= 'None';
    if (isCreate && spec.clusterIP === undefined) {
      // A loopback address the double's service proxy listens on (network/services.ts).
      spec.clusterIP = nextClusterIp();
      spec.clusterIPs = [spec.clusterIP];
    }
    for (const p of spec.ports ?? []) {
      p.protocol ??= 'TCP';
      p.targetPort ??= p.port;
    }
  },

  namespaces: (ns: Namespace): void => {
    ns.metadata.labels = { ...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': ns.metadata.name };
    ns.spec = { finalizers: ['kubernetes'], ...(ns.spec ?? {}) };
  },
};

/** The status a newly created object starts with (the API server drops what the client sent). */
export const prepareForCreate = {
  pods: (pod: Pod): void => {
    pod.status = { phase: 'Pending', qosClass: 'BestEffort' };
  },
  namespaces: (ns: Namespace): void => {
    ns.status = { phase: 'Active' };
  },
  workloads: (o: KubeObject & { status?: object }): void => {
    o.status = {};
  },
  services: (svc: Service): void => {
    svc.status = { loadBalancer: {} };
  },
  resourcequotas: (q: ResourceQuota): void => {
    // What the quota controller reports; usage is not added up by the double.
    q.status = { hard: { ...(q.spec?.hard ?? {}) }, used: {} };
  },
};
