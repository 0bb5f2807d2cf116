/**
 * The scale subresource of Deployments, ReplicaSets and StatefulSets
 * (autoscaling/v1 Scale).
 * https://kubernetes.io/docs/reference/kubernetes-api/autoscaling-resources/scale-v1/
 */
import type { Api } from '../api.js';
import { badRequest, notFoundPath } from '../errors.js';
import { jsonPatch, mergePatch } from '../patch.js';
import { mustFind, type ResourceType } from '../resources.js';
import { decodeBody, int, str, struct } from '../schema.js';
import { fromSelectorObject, selectorToString } from '../selectors.js';
import type { Deployment, ReplicaSet, StatefulSet } from '../types.js';

type Scalable = Deployment | ReplicaSet | StatefulSet;

/** What a Scale written by a client may set: replicas, and the resourceVersion it was read at. */
const scaleSchema = struct('Scale', {
  metadata: struct('ObjectMeta', { resourceVersion: str }),
  spec: struct('ScaleSpec', { replicas: int }),
});

export function toScale(obj: Scalable): object {
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
    spec: { replicas: obj.spec.replicas ?? 0 },
    status: {
      replicas: obj.status?.replicas ?? 0,
      selector: selectorToString(fromSelectorObject(obj.spec.selector)),
    },
  };
}

/** PUT or PATCH of a Scale: only spec.replicas reaches the object. */
export function writeScale<T extends Scalable>(
  api: Api,
  t: ResourceType<T>,
  namespace: string | undefined,
  name: string,
  method: 'PUT' | 'PATCH',
  contentType: string,
  body: string,
  dryRun: boolean,
): object {
  const existing = api.get(t, namespace, name);
  let written: unknown;
  try {
    const parsed: unknown = JSON.parse(body);
    const current = toScale(existing);
    if (method === 'PUT') written = parsed;
    else if (contentType.startsWith('application/json-patch+json')) written = jsonPatch(current, parsed);
    else written = mergePatch(current, parsed);
  } catch (e) {
    if (e instanceof SyntaxError) throw badRequest(`error decoding Scale: ${e.message}`);
    throw e;
  }
  const scale = decodeBody(scaleSchema, written, 'Scale');
  const replicas = scale.spec?.replicas;
  if (typeof replicas !== 'number' || replicas < 0)
    throw badRequest('spec.replicas: Invalid value: must be greater than or equal to 0');
  const next = structuredClone(existing);
  next.spec = { ...next.spec, replicas };
  const rv = method === 'PUT' ? scale.metadata?.resourceVersion : undefined;
  if (rv) next.metadata.resourceVersion = rv;
  const updated = api.update(t, namespace, name, next, { dryRun });
  return toScale(updated);
}

/** The resource type a scale subresource request is for, as one that has replicas. */
export function scaleTarget(t: ResourceType): ResourceType<Scalable> {
  const found = [mustFind('deployments'), mustFind('replicasets'), mustFind('statefulsets')].find((s) => s === t);
  if (!found) throw notFoundPath();
  return found;
}
