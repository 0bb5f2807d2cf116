/**
 * The validation the double enforces: names, owner references, required
 * fields of the workloads it runs, and immutable fields on update.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
 * https://kubernetes.io/docs/concepts/workloads/controllers/job/ (immutable template)
 */
import { isDeepStrictEqual } from 'node:util';
import { invalid, type StatusCause } from './errors.js';
import { withoutUndefined } from './objects.js';
import type { ResourceType } from './resources.js';
import { fromSelectorObject, matchesLabels } from './selectors.js';
import type { ConfigMap, Deployment, Job, KubeObject, OwnerReference, Pod, PodSpec } from './types.js';
import type { ReplicaSet, StatefulSet } from './types.js';
import { podFailurePolicyCauses } from './validation-job.js';

const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function cause(field: string, message: string, reason = 'FieldValueInvalid'): StatusCause {
  return { reason, message, field };
}

function goValue(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v ?? null);
}

function nameCauses(t: ResourceType, name: string): StatusCause[] {
  if (t.plural === 'namespaces' || t.plural === 'services') {
    if (name.length > 63 || !label.test(name)) {
      return [
        cause(
          'metadata.name',
          `Invalid value: ${goValue(name)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
        ),
      ];
    }
    return [];
  }
  if (name.length > 253 || !subdomain.test(name)) {
    return [
      cause(
        'metadata.name',
        `Invalid value: ${goValue(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      ),
    ];
  }
  return [];
}

const restartPolicies = ['Always', 'OnFailure', 'Never'] as const;
export type RestartPolicy = (typeof restartPolicies)[number];

export function isRestartPolicy(value: string | undefined): value is RestartPolicy {
  return restartPolicies.some((p) => p === value);
}

function podSpecCauses(spec: PodSpec, path: string): StatusCause[] {
  if (!spec.containers || spec.containers.length === 0) {
    return [cause(`${path}.containers`, 'Required value', 'FieldValueRequired')];
  }
  const out: StatusCause[] = [];
  const lists: [string, { name: string; image?: string }[]][] = [
    ['initContainers', spec.initContainers ?? []],
    ['containers', spec.containers],
  ];
  for (const [field, list] of lists) {
    list.forEach((c, i) => {
      if (!c.name) out.push(cause(`${path}.${field}[${i}].name`, 'Required value', 'FieldValueRequired'));
      if (!c.image) out.push(cause(`${path}.${field}[${i}].image`, 'Required value', 'FieldValueRequired'));
    });
  }
  return out;
}

/** What the API server accepts in a ConfigMap's data and binaryData together (corev1.MaxSecretSize). */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024;
const configMapKey = /^[-._a-zA-Z0-9]+$/;

/**
 * ConfigMaps as pkg/apis/core/validation/validation.go (ValidateConfigMap,
 * ValidateConfigMapUpdate) checks them: keys, no key in both data and
 * binaryData, at most 1 MiB in all, and nothing of the data changes once
 * `immutable` is set (metadata still may).
 * https://kubernetes.io/docs/concepts/configuration/configmap/#configmap-immutable
 */
function configMapCauses(obj: ConfigMap, old: ConfigMap | undefined): StatusCause[] {
  const out: StatusCause[] = [];
  const data = obj.data ?? {};
  const binary = obj.binaryData ?? {};
  let total = 0;
  const keyCauses = (bag: string, key: string) => {
    if (key.length > 253 || !configMapKey.test(key) || key === '.' || key === '..' || key.startsWith('..'))
      out.push(
        cause(
          `${bag}[${key}]`,
          `Invalid value: ${goValue(key)}: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
        ),
      );
  };
  for (const [key, value] of Object.entries(data)) {
    keyCauses('data', key);
    if (Object.hasOwn(binary, key))
      out.push(cause(`data[${key}]`, `Invalid value: ${goValue(key)}: duplicate of key present in binaryData`));
    total += Buffer.byteLength(value, 'utf8');
  }
  for (const [key, value] of Object.entries(binary)) {
    keyCauses('binaryData', key);
    total += Buffer.from(value, 'base64').length;
  }
  if (total > CONFIGMAP_MAX_BYTES)
    out.push(cause('[]', `Too long: may not be more than ${CONFIGMAP_MAX_BYTES} bytes`, 'FieldValueTooLong'));
  if (old?.immutable === true) {
    const forbid = (field: string) =>
      out.push(cause(field, 'Forbidden: field is immutable when `immutable` is set', 'FieldValueForbidden'));
    if (obj.immutable !== true) forbid('immutable');
    if (!isDeepStrictEqual(old.data ?? {}, data)) forbid('data');
    if (!isDeepStrictEqual(old.binaryData ?? {}, binary)) forbid('binaryData');
  }
  return out;
}

/** https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-template and #updating-a-job */
function jobCauses(job: Job, old: Job | undefined): StatusCause[] {
  const spec = job.spec;
  const causes = podSpecCauses(spec.template.spec, 'spec.template.spec');
  const rp = spec.template.spec.restartPolicy;
  if (rp === undefined) {
    causes.push(
      cause(
        'spec.template.spec.restartPolicy',
        'Required value: valid values: "OnFailure", "Never"',
        'FieldValueRequired',
      ),
    );
  } else if (rp !== 'Never' && rp !== 'OnFailure') {
    causes.push(
      cause(
        'spec.template.spec.restartPolicy',
        `Unsupported value: ${goValue(rp)}: supported values: "OnFailure", "Never"`,
        'FieldValueNotSupported',
      ),
    );
  }
  causes.push(...podFailurePolicyCauses(spec));
  if (old) {
    // The template is immutable (job/#updating-a-job), and so are these.
    for (const field of ['template', 'selector', 'completionMode', 'completions', 'podFailurePolicy'] as const) {
      if (!isDeepStrictEqual(withoutUndefined(spec[field]), withoutUndefined(old.spec[field]))) {
        causes.push(cause(`spec.${field}`, `Invalid value: ${goValue(spec[field])}: field is immutable`));
      }
    }
  }
  return causes;
}

/** Deployments, ReplicaSets and StatefulSets: a pod template, and a selector that selects it and never changes. */
function workloadCauses<W extends Deployment | ReplicaSet | StatefulSet>(w: W, old: W | undefined): StatusCause[] {
  const spec = w.spec;
  const causes = podSpecCauses(spec.template.spec, 'spec.template.spec');
  const labels = spec.template.metadata?.labels;
  if (!spec.selector) causes.push(cause('spec.selector', 'Required value', 'FieldValueRequired'));
  else if (!matchesLabels(fromSelectorObject(spec.selector), labels)) {
    causes.push(
      cause(
        'spec.template.metadata.labels',
        `Invalid value: ${goValue(labels ?? {})}: \`selector\` does not match template \`labels\``,
      ),
    );
  }
  if (old && !isDeepStrictEqual(withoutUndefined(spec.selector), withoutUndefined(old.spec.selector))) {
    causes.push(cause('spec.selector', `Invalid value: ${goValue(spec.selector)}: field is immutable`));
  }
  return causes;
}

/**
 * A pod's spec: containers, and a restartPolicy the kubelet knows (defaulting
 * sets Always when there is none). ValidatePodSpec in
 * pkg/apis/core/validation/validation.go: `Unsupported value`, as for a Job.
 */
function podCauses(pod: Pod): StatusCause[] {
  const causes = podSpecCauses(pod.spec, 'spec');
  const rp = pod.spec.restartPolicy;
  if (rp !== undefined && !isRestartPolicy(rp)) {
    causes.push(
      cause(
        'spec.restartPolicy',
        `Unsupported value: ${goValue(rp)}: supported values: ${restartPolicies.map((p) => `"${p}"`).join(', ')}`,
        'FieldValueNotSupported',
      ),
    );
  }
  return causes;
}

/** Each type's own causes (resources.ts names them in the type's strategy). */
export const kindCauses = {
  pods: podCauses,
  configmaps: configMapCauses,
  jobs: jobCauses,
  workloads: workloadCauses,
};

/**
 * An owner reference names its owner completely (validateOwnerReference in
 * staging/src/k8s.io/apimachinery/pkg/api/validation/objectmeta.go); the
 * garbage collector and the controllers find owners by these.
 */
function ownerReferenceCauses(refs: OwnerReference[]): StatusCause[] {
  const out: StatusCause[] = [];
  const path = 'metadata.ownerReferences';
  for (const r of refs) {
    if (!r.apiVersion) out.push(cause(`${path}.apiVersion`, 'Invalid value: "": version must not be empty'));
    if (!r.kind) out.push(cause(`${path}.kind`, 'Invalid value: "": kind must not be empty'));
    if (!r.name) out.push(cause(`${path}.name`, 'Invalid value: "": name must not be empty'));
    if (!r.uid) out.push(cause(`${path}.uid`, 'Invalid value: "": uid must not be empty'));
  }
  return out;
}

/** Validates an object about to be created or updated (`old` set on update). Throws 422. */
export function validate<T extends KubeObject>(t: ResourceType<T>, obj: T, old?: T): void {
  const name = obj.metadata.name;
  const causes: StatusCause[] = old ? [] : nameCauses(t, name);
  causes.push(...ownerReferenceCauses(obj.metadata.ownerReferences ?? []));
  causes.push(...(t.strategy.validate?.(obj, old) ?? []));
  if (causes.length > 0) throw invalid(t, name, causes);
}
