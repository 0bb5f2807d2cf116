/**
 * The scale subresource of Deployments, ReplicaSets and StatefulSets
 * (autoscaling/v1 Scale).
 * https://kubernetes.io/docs/reference/kubernetes-api/autoscaling-resources/scale-v1/
 */
import type { Api } from '../api.js';
import { badRequest } from '../errors.js';
import { jsonPatch, mergePatch } from '../patch.js';
import type { ResourceType } from '../resources.js';
import { fromSelectorObject, selectorToString } from '../selectors.js';
import type { KubeObject } from '../types.js';

export function toScale(obj: KubeObject): object {
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: obj['spec']?.replicas ?? 0 },
    status: {
      replicas: obj['status']?.replicas ?? 0,
      selector: selectorToString(fromSelectorObject(obj['spec']?.selector)),
    },
  };
}

/** PUT or PATCH of a Scale: only spec.replicas reaches the object. */
export function writeScale(
  api: Api,
  t: ResourceType,
  namespace: string | undefined,
  name: string,
  method: 'PUT' | 'PATCH',
  contentType: string,
  body: string,
  dryRun: boolean,
): object {
  const existing = api.get(t, namespace, name);
  let scale: { spec?: { replicas?: number }; metadata?: { resourceVersion?: string } };
  try {
    const parsed: unknown = JSON.parse(body);
    const current = toScale(existing);
    if (method === 'PUT') scale = parsed as typeof scale;
    else if (contentType.startsWith('application/json-patch+json')) scale = jsonPatch(current, parsed) as typeof scale;
    else scale = mergePatch(current, parsed) as typeof scale;
  } catch (e) {
    if (e instanceof SyntaxError) throw badRequest(`error decoding Scale: ${e.message}`);
    throw e;
  }
  const replicas = scale.spec?.replicas;
  if (typeof replicas !== 'number' || replicas < 0)
    throw badRequest('spec.replicas: Invalid value: must be greater than or equal to 0');
  const next = structuredClone(existing);
  next['spec'] = { ...next['spec'], replicas };
  const rv = method === 'PUT' ? scale.metadata?.resourceVersion : undefined;
  if (rv) next.metadata.resourceVersion = rv;
  const updated = api.update(t, namespace, name, next, { dryRun });
  return toScale(updated);
}
