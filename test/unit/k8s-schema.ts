/**
 * Offline validation of Kubernetes objects, for the render and manifest tests,
 * in three layers:
 *  1. the OpenAPI schemas of the Kubernetes API (kubernetes-models: types,
 *     required fields, enums, formats such as quantities);
 *  2. unknown fields, which those schemas let through but the API server
 *     rejects under strict field validation (kubectl's default), checked
 *     against the field lists @kubernetes/client-node is generated with;
 *  3. a few rules the API server enforces that no schema expresses (names,
 *     labels, Job restartPolicy and podFailurePolicy, selectors, named ports).
 * Not a test file itself (vitest runs `*.test.ts` only).
 */
import * as k8s from '@kubernetes/client-node';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

/** The kinds schemagate renders or ships. Another kind is a problem until it is added here. */
const models: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  // k8s/rbac.yaml: applied by an administrator, never rendered.
  'v1/ServiceAccount': ServiceAccount,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

// Layer 1 -------------------------------------------------------------------

function openApiProblems(obj: Obj): string[] {
  const Model = models[`${String(obj['apiVersion'])}/${String(obj['kind'])}`];
  if (!Model) return [`no schema for ${String(obj['apiVersion'])} ${String(obj['kind'])}`];
  try {
    new Model(structuredClone(obj) as never).validate();
    return [];
  } catch (e) {
    return [`schema: ${(e as Error).message}`];
  }
}

// Layer 2 -------------------------------------------------------------------

interface Attribute {
  baseName: string;
  type: string;
}
type ModelInfo = { getAttributeTypeMap(): Attribute[] };
const generated = k8s as unknown as Record<string, ModelInfo | undefined>;

function unknownFieldsOf(value: unknown, type: string, path: string): string[] {
  if (value === null || value === undefined) return [];
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return Array.isArray(value) ? value.flatMap((v, i) => unknownFieldsOf(v, array[1]!, `${path}[${i}]`)) : [];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map)
    return isObj(value) ? Object.entries(value).flatMap(([k, v]) => unknownFieldsOf(v, map[1]!, `${path}.${k}`)) : [];
  const info = generated[type];
  if (!info || typeof info.getAttributeTypeMap !== 'function' || !isObj(value)) return [];
  const attributes = info.getAttributeTypeMap();
  return Object.entries(value).flatMap(([k, v]) => {
    const a = attributes.find((x) => x.baseName === k);
    return a ? unknownFieldsOf(v, a.type, `${path}.${k}`) : [`unknown field "${`${path}.${k}`.slice(1)}"`];
  });
}

/** `apps/v1` + `Deployment` -> `V1Deployment`, as client-node names its models. */
function modelName(obj: Obj): string {
  const version = String(obj['apiVersion']).split('/').pop() ?? '';
  return `${version.charAt(0).toUpperCase()}${version.slice(1)}${String(obj['kind'])}`;
}

function unknownFieldProblems(obj: Obj): string[] {
  const type = modelName(obj);
  if (!generated[type]) return [`no field list for ${type}`];
  return unknownFieldsOf(obj, type, '');
}

// Layer 3 -------------------------------------------------------------------

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const labelName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function labelProblems(labels: unknown, path: string): string[] {
  if (!isObj(labels)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const slash = k.lastIndexOf('/');
    const [prefix, name] = slash >= 0 ? [k.slice(0, slash), k.slice(slash + 1)] : ['', k];
    if ((prefix && (!dnsSubdomain.test(prefix) || prefix.length > 253)) || !labelName.test(name) || name.length > 63)
      out.push(`${path}: invalid label key ${JSON.stringify(k)}`);
    if (typeof v !== 'string' || v.length > 63 || !labelValue.test(v))
      out.push(`${path}: invalid value of label ${k}: ${JSON.stringify(v)}`);
  }
  return out;
}

function podSpecProblems(spec: Obj, path: string): string[] {
  const out: string[] = [];
  const containers = [
    ...((spec['initContainers'] as Obj[] | undefined) ?? []),
    ...((spec['containers'] as Obj[] | undefined) ?? []),
  ];
  const names = new Set<string>();
  for (const c of containers) {
    const name = String(c['name']);
    if (!dnsLabel.test(name) || name.length > 63) out.push(`${path}: invalid container name ${JSON.stringify(name)}`);
    if (names.has(name)) out.push(`${path}: duplicate container name ${JSON.stringify(name)}`);
    names.add(name);
    const ports = (c['ports'] as Obj[] | undefined) ?? [];
    const portNames = new Set(ports.map((p) => p['name']).filter((n): n is string => typeof n === 'string'));
    for (const n of portNames)
      if (n.length > 15 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n) || !/[a-z]/.test(n))
        out.push(`${path}.${name}: invalid port name ${n}`);
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      const port = ((c[probe] as Obj | undefined)?.['httpGet'] as Obj | undefined)?.['port'];
      if (typeof port === 'string' && !portNames.has(port))
        out.push(`${path}.${name}.${probe}: port ${port} is not a port of the container`);
    }
    const env = ((c['env'] as Obj[] | undefined) ?? []).map((e) => String(e['name']));
    if (new Set(env).size !== env.length) out.push(`${path}.${name}: duplicate environment variable`);
  }
  return out;
}

function selectorProblems(spec: Obj, path: string): string[] {
  const match = (spec['selector'] as Obj | undefined)?.['matchLabels'];
  const labels = ((spec['template'] as Obj | undefined)?.['metadata'] as Obj | undefined)?.['labels'];
  if (!isObj(match)) return [`${path}.selector: required`];
  return Object.entries(match).every(([k, v]) => isObj(labels) && labels[k] === v)
    ? []
    : [`${path}.template.metadata.labels: selector does not match template labels`];
}

function jobProblems(spec: Obj): string[] {
  const out: string[] = [];
  const pod = ((spec['template'] as Obj | undefined)?.['spec'] as Obj | undefined) ?? {};
  const restart = pod['restartPolicy'];
  if (restart !== 'Never' && restart !== 'OnFailure')
    out.push(`spec.template.spec.restartPolicy: must be Never or OnFailure, found ${JSON.stringify(restart)}`);
  const rules = ((spec['podFailurePolicy'] as Obj | undefined)?.['rules'] as Obj[] | undefined) ?? [];
  if (rules.length > 0 && restart !== 'Never') out.push('spec.podFailurePolicy: requires restartPolicy Never');
  if (rules.length > 20) out.push('spec.podFailurePolicy.rules: at most 20');
  rules.forEach((r, i) => {
    const codes = r['onExitCodes'] as Obj | undefined;
    if ((codes === undefined) === (r['onPodConditions'] === undefined))
      out.push(`spec.podFailurePolicy.rules[${i}]: exactly one of onExitCodes and onPodConditions`);
    if (!codes) return;
    const values = (codes['values'] as number[] | undefined) ?? [];
    if (codes['operator'] === 'In' && values.includes(0))
      out.push(`spec.podFailurePolicy.rules[${i}].onExitCodes.values: 0 is not allowed with In`);
    if (values.some((v, j) => j > 0 && v <= values[j - 1]!))
      out.push(`spec.podFailurePolicy.rules[${i}].onExitCodes.values: must be unique and ascending`);
    const container = codes['containerName'];
    const all = [
      ...((pod['initContainers'] as Obj[] | undefined) ?? []),
      ...((pod['containers'] as Obj[] | undefined) ?? []),
    ];
    if (container !== undefined && !all.some((c) => c['name'] === container))
      out.push(
        `spec.podFailurePolicy.rules[${i}].onExitCodes.containerName: no container ${JSON.stringify(container)}`,
      );
  });
  return out;
}

function apiServerProblems(obj: Obj): string[] {
  const out: string[] = [];
  const kind = String(obj['kind']);
  const metadata = (obj['metadata'] as Obj | undefined) ?? {};
  const name = String(metadata['name']);
  // Namespaces and Services are DNS labels; a Job's name becomes a pod label value (at most 63).
  const asLabel = kind === 'Namespace' || kind === 'Service' || kind === 'Job';
  if (asLabel ? !dnsLabel.test(name) || name.length > 63 : !dnsSubdomain.test(name) || name.length > 253)
    out.push(`metadata.name: invalid name ${JSON.stringify(name)}`);
  out.push(...labelProblems(metadata['labels'], 'metadata.labels'));
  const spec = obj['spec'];
  if (!isObj(spec)) return out;
  const template = spec['template'];
  if (isObj(template)) {
    out.push(...labelProblems((template['metadata'] as Obj | undefined)?.['labels'], 'spec.template.metadata.labels'));
    if (isObj(template['spec'])) out.push(...podSpecProblems(template['spec'], 'spec.template.spec'));
  }
  if (kind === 'Deployment' || kind === 'StatefulSet') out.push(...selectorProblems(spec, 'spec'));
  if (kind === 'Job') out.push(...jobProblems(spec));
  return out;
}

// ---------------------------------------------------------------------------

/** Every problem of one object, each prefixed with the object; empty when it is valid. */
export function schemaProblems(value: unknown): string[] {
  if (!isObj(value)) return [`not an object: ${JSON.stringify(value)}`];
  const what = `${String(value['kind'])}/${String((value['metadata'] as Obj | undefined)?.['name'])}`;
  return [...openApiProblems(value), ...unknownFieldProblems(value), ...apiServerProblems(value)].map(
    (p) => `${what}: ${p}`,
  );
}
