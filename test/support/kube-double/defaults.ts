/**
 * Defaulting the API server does on write, for the fields the double and its
 * users look at. https://kubernetes.io/docs/reference/kubernetes-api/
 * (each type's page lists its defaults).
 */
import { nextClusterIp } from './network/addresses.js';
import type { KubeObject, PodSpec, PodTemplateSpec } from './types.js';

/** imagePullPolicy: Always for `:latest` or no tag, else IfNotPresent (Container v1 `imagePullPolicy`). */
export function defaultPullPolicy(image: string | undefined): string {
  if (!image) return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export function defaultPodSpec(spec: PodSpec | undefined, restartPolicy: 'Always' | undefined): void {
  if (!spec) return;
  const s = spec as PodSpec & Record<string, unknown>;
  if (restartPolicy && s.restartPolicy === undefined) s.restartPolicy = restartPolicy;
  s.terminationGracePeriodSeconds ??= 30;
  s['dnsPolicy'] ??= 'ClusterFirst';
  s['schedulerName'] ??= 'default-scheduler';
  s['securityContext'] ??= {};
  for (const c of [...(s.initContainers ?? []), ...(s.containers ?? [])]) {
    const cc = c as typeof c & Record<string, unknown>;
    cc['imagePullPolicy'] ??= defaultPullPolicy(c.image);
    cc['terminationMessagePath'] ??= '/dev/termination-log';
    cc['terminationMessagePolicy'] ??= 'File';
    cc['resources'] ??= {};

    for (const p of (cc['ports'] as Record<string, unknown>[] | undefined) ?? []) p['protocol'] ??= 'TCP';
  }
}

function defaultTemplate(t: PodTemplateSpec | undefined, restartPolicy: 'Always' | undefined): void {
  if (!t) return;
  t.metadata ??= {};
  defaultPodSpec(t.spec, restartPolicy);
}

/** Applies create- and update-time defaults in place. */
export function applyDefaults(plural: string, obj: KubeObject, isCreate: boolean): void {
  const spec = obj['spec'];
  switch (plural) {
    case 'pods':
      defaultPodSpec(spec, 'Always');
      // SetDefaults_Pod: a limit without a request makes the request equal to the limit (pods only, not templates).
      for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
        const res = (c.resources ?? {}) as { requests?: Record<string, string>; limits?: Record<string, string> };
        for (const [k, v] of Object.entries(res.limits ?? {}))
          if (res.requests?.[k] === undefined) (res.requests ??= {})[k] = v;
      }
      if (spec) {
        spec.serviceAccountName ??= 'default';
        spec.serviceAccount ??= spec.serviceAccountName;
        spec.enableServiceLinks ??= true;
        spec.priority ??= 0;
      }
      break;
    case 'jobs':
      if (!spec) break;
      // https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-backoff-failure-policy
      spec.backoffLimit ??= 6;
      spec.completions ??= 1;
      spec.parallelism ??= 1;
      spec.completionMode ??= 'NonIndexed';
      spec.suspend ??= false;
      // With a podFailurePolicy only Failed is allowed, and it is the default (job/#pod-replacement-policy).
      spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
      defaultTemplate(spec.template, undefined);
      break;
    case 'deployments':
      if (!spec) break;
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      spec.strategy ??= { type: 'RollingUpdate' };
      if (spec.strategy.type === 'RollingUpdate')
        spec.strategy.rollingUpdate ??= { maxUnavailable: '25%', maxSurge: '25%' };
      defaultTemplate(spec.template, 'Always');
      break;
    case 'replicasets':
    case 'statefulsets':
      if (!spec) break;
      spec.replicas ??= 1;
      defaultTemplate(spec.template, 'Always');
      break;
    case 'secrets':
      obj['type'] ??= 'Opaque';
      // stringData is write-only: merged into data (base64) and never stored.
      if (obj['stringData'] && typeof obj['stringData'] === 'object') {
        obj['data'] = { ...(obj['data'] ?? {}) };
        for (const [k, v] of Object.entries(obj['stringData'] as Record<string, string>)) {
          obj['data'][k] = Buffer.from(String(v), 'utf8').toString('base64');
        }
        delete obj['stringData'];
      }
      break;
    case 'services':
      if (!spec) break;
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
      break;
    case 'namespaces':
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name };
      obj['spec'] = { finalizers: ['kubernetes'], ...(spec ?? {}) };
      break;
  }
}

/** Labels and selector the API server generates for a Job on create (manualSelector unset). */
export function generateJobSelector(job: KubeObject): void {
  const spec = job['spec'];
  if (!spec || spec.manualSelector === true) return;
  const uid = job.metadata.uid;
  const name = job.metadata.name;
  spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  const template = (spec.template ??= {});
  template.metadata ??= {};
  template.metadata.labels = {
    ...(template.metadata.labels ?? {}),
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
}

/** Status a newly created object starts with (the API server drops what the client sent). */
export function initialStatus(plural: string, obj: KubeObject): void {
  switch (plural) {
    case 'pods':
      obj['status'] = { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    case 'namespaces':
      obj['status'] = { phase: 'Active' };
      break;
    case 'jobs':
    case 'deployments':
    case 'replicasets':
    case 'statefulsets':
      obj['status'] = {};
      break;
    case 'services':
      obj['status'] = { loadBalancer: {} };
      break;
    case 'resourcequotas':
      // What the quota controller reports; usage is not added up by the double.
      obj['status'] = { hard: { ...(obj['spec']?.hard ?? {}) }, used: {} };
      break;
  }
}
