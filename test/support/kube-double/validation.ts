/**
 * The validation the double enforces: names, required fields of the
 * workloads it runs, and immutable fields on update.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
 * https://kubernetes.io/docs/concepts/workloads/controllers/job/ (immutable template)
 */
import { isDeepStrictEqual } from 'node:util';
import { invalid, type StatusCause } from './errors.js';
import { withoutUndefined } from './objects.js';
import type { ResourceType } from './resources.js';
import { fromSelectorObject, matchesLabels } from './selectors.js';
import type { KubeObject, PodSpec } from './types.js';
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

function podSpecCauses(spec: PodSpec | undefined, path: string): StatusCause[] {
  if (!spec || !Array.isArray(spec.containers) || spec.containers.length === 0) {
    return [cause(`${path}.containers`, 'Required value', 'FieldValueRequired')];
  }
  const out: StatusCause[] = [];
  const lists: [string, { name?: string; image?: string }[]][] = [
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
function configMapCauses(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
  const out: StatusCause[] = [];
  const data = (obj['data'] ?? {}) as Record<string, string>;
  const binary = (obj['binaryData'] ?? {}) as Record<string, string>;
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
    total += Buffer.byteLength(String(value), 'utf8');
  }
  for (const [key, value] of Object.entries(binary)) {
    keyCauses('binaryData', key);
    total += Buffer.from(String(value), 'base64').length;
  }
  if (total > CONFIGMAP_MAX_BYTES)
    out.push(cause('[]', `Too long: may not be more than ${CONFIGMAP_MAX_BYTES} bytes`, 'FieldValueTooLong'));
  if (old?.['immutable'] === true) {
    const forbid = (field: string) =>
      out.push(cause(field, 'Forbidden: field is immutable when `immutable` is set', 'FieldValueForbidden'));
    if (obj['immutable'] !== true) forbid('immutable');
    if (!isDeepStrictEqual(old['data'] ?? {}, data)) forbid('data');
    if (!isDeepStrictEqual(old['binaryData'] ?? {}, binary)) forbid('binaryData');
  }
  return out;
}

/** Validates an object about to be created or updated (`old` set on update). Throws 422. */
export function validate(t: ResourceType, obj: KubeObject, old?: KubeObject): void {
  const name = obj.metadata.name;
  const causes: StatusCause[] = old ? [] : nameCauses(t, name);
  const spec = obj['spec'];
  if (t.plural === 'pods') causes.push(...podSpecCauses(spec, 'spec'));
  if (t.plural === 'configmaps') causes.push(...configMapCauses(obj, old));
  if (t.plural === 'jobs') {
    causes.push(...podSpecCauses(spec?.template?.spec, 'spec.template.spec'));
    const rp = spec?.template?.spec?.restartPolicy;
    // https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-template
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
      const before = old['spec'] ?? {};
      // https://kubernetes.io/docs/concepts/workloads/controllers/job/#updating-a-job (template is immutable)
      for (const field of ['template', 'selector', 'completionMode', 'completions', 'podFailurePolicy'] as const) {
        if (!isDeepStrictEqual(withoutUndefined(spec?.[field]), withoutUndefined(before[field]))) {
          causes.push(cause(`spec.${field}`, `Invalid value: ${goValue(spec?.[field])}: field is immutable`));
        }
      }
    }
  }
  if (t.plural === 'deployments' || t.plural === 'replicasets' || t.plural === 'statefulsets') {
    causes.push(...podSpecCauses(spec?.template?.spec, 'spec.template.spec'));
    if (!spec?.selector) causes.push(cause('spec.selector', 'Required value', 'FieldValueRequired'));
    else if (!matchesLabels(fromSelectorObject(spec.selector), spec.template?.metadata?.labels)) {
      causes.push(
        cause(
          'spec.template.metadata.labels',
          `Invalid value: ${goValue(spec.template?.metadata?.labels ?? {})}: \`selector\` does not match template \`labels\``,
        ),
      );
    }
    if (old && !isDeepStrictEqual(withoutUndefined(spec?.selector), withoutUndefined(old['spec']?.selector))) {
      causes.push(cause('spec.selector', `Invalid value: ${goValue(spec?.selector)}: field is immutable`));
    }
  }
  if (causes.length > 0) throw invalid(t, name, causes);
}
