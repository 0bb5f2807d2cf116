/**
 * The environment of a container: `env` (value, secretKeyRef,
 * configMapKeyRef, fieldRef) over `envFrom`, with `$(VAR)` expansion, and the
 * kubelet's CreateContainerConfigError messages when a reference is missing.
 * https://kubernetes.io/docs/tasks/inject-data-application/define-environment-variable-container/
 * https://kubernetes.io/docs/tasks/inject-data-application/distribute-credentials-secure/
 */
import type { Api } from '../api.js';
import { mustFind } from '../resources.js';
import type { Container, Pod } from '../types.js';

export class ContainerConfigError extends Error {}

/** Expands $(NAME) from `vars`; $$ escapes; unknown references stay as written. */
export function expand(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && Object.hasOwn(vars, name) ? (vars[name] ?? '') : m;
  });
}

function source(
  api: Api,
  kind: 'Secret' | 'ConfigMap',
  namespace: string,
  name: string,
): Record<string, string> | undefined {
  const text = (base64: string): string => Buffer.from(base64, 'base64').toString('utf8');
  if (kind === 'Secret') {
    const secret = api.tryGet(mustFind('secrets'), namespace, name);
    if (!secret) return undefined;
    return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, text(v)]));
  }
  const cm = api.tryGet(mustFind('configmaps'), namespace, name);
  if (!cm) return undefined;
  const out = { ...(cm.data ?? {}) };
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = text(v);
  return out;
}

function fieldRef(pod: Pod, path: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (pod.metadata[m[1] as 'labels' | 'annotations'] ?? {})[m[2] ?? ''] ?? '';
  const table: Record<string, string | undefined> = {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': pod.metadata.namespace,
    'metadata.uid': pod.metadata.uid,
    'spec.nodeName': pod.spec.nodeName,
    'spec.serviceAccountName': pod.spec.serviceAccountName,
    'status.podIP': pod.status?.podIP ?? '127.0.0.1',
    'status.hostIP': '127.0.0.1',
  };
  return table[path] ?? '';
}

/** The variables the pod spec defines for `c`. Throws ContainerConfigError like the kubelet. */
export function resolveEnv(api: Api, pod: Pod, c: Container): Record<string, string> {
  const ns = pod.metadata.namespace ?? 'default';
  const vars: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const ref = from.secretRef ?? from.configMapRef;
    if (!ref) continue;
    const kind = from.secretRef ? 'Secret' : 'ConfigMap';
    // A reference without a name names "", as Go's zero value.
    const name = ref.name ?? '';
    const data = source(api, kind, ns, name);
    if (!data) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`${kind === 'Secret' ? 'secret' : 'configmap'} "${name}" not found`);
    }
    for (const [k, v] of Object.entries(data)) {
      // Keys that are not valid variable names are skipped (the kubelet records an event).
      if (/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(`${from.prefix ?? ''}${k}`)) vars[`${from.prefix ?? ''}${k}`] = v;
    }
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined) {
      vars[e.name] = expand(e.value, vars);
      continue;
    }
    const vf = e.valueFrom;
    if (!vf) {
      vars[e.name] = '';
      continue;
    }
    const ref = vf.secretKeyRef ?? vf.configMapKeyRef;
    if (ref) {
      const kind = vf.secretKeyRef ? 'Secret' : 'ConfigMap';
      const name = ref.name ?? '';
      const data = source(api, kind, ns, name);
      if (!data) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`${kind === 'Secret' ? 'secret' : 'configmap'} "${name}" not found`);
      }
      if (!Object.hasOwn(data, ref.key)) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`couldn't find key ${ref.key} in ${kind} ${ns}/${name}`);
      }
      vars[e.name] = data[ref.key] ?? '';
    } else if (vf.fieldRef) vars[e.name] = fieldRef(pod, vf.fieldRef.fieldPath);
  }
  return vars;
}
