/**
 * The PATCH flavours the API server accepts.
 * https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/
 * JSON patch is RFC 6902, merge patch RFC 7386. Strategic merge uses the merge
 * keys of the fields schemagate's manifests use (listed below), by field name
 * rather than by full schema path: README says so.
 */
import { isDeepStrictEqual } from 'node:util';
import { badRequest, ApiError } from './errors.js';
import { jsonKind } from './schema.js';

type Value = unknown;
type Obj = Record<string, Value>;

function isObj(v: Value): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A copy of `target` without the members `patch` sets to null: both merge patches delete those. */
function withoutNulled(target: Value, patch: Obj): Obj {
  return Object.fromEntries(Object.entries(isObj(target) ? target : {}).filter(([key]) => patch[key] !== null));
}

export function mergePatch(target: Value, patch: Value): Value {
  if (!isObj(patch)) return structuredClone(patch);
  const out = withoutNulled(target, patch);
  for (const [key, value] of Object.entries(patch)) if (value !== null) out[key] = mergePatch(out[key], value);
  return out;
}

/** Lists merged by key under strategic merge patch (patchMergeKey in the Go types). */
const mergeKeys: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  ports: 'containerPort',
  containerStatuses: 'name',
  initContainerStatuses: 'name',
};
/** Primitive lists merged as sets (patchStrategy "merge" without a key). */
const mergedPrimitiveLists = new Set(['finalizers']);

function strategicList(field: string, target: Value[], patch: Value[], isServicePorts: boolean): Value[] {
  const key = field === 'ports' && isServicePorts ? 'port' : mergeKeys[field];
  if (patch.some((p) => isObj(p) && p['$patch'] === 'replace')) {
    return patch.filter((p) => !(isObj(p) && p['$patch'] === 'replace'));
  }
  if (mergedPrimitiveLists.has(field)) {
    const out = [...target];
    for (const p of patch) if (!out.includes(p)) out.push(p);
    return out;
  }
  if (!key) return structuredClone(patch);
  const out: Value[] = target.map((t) => structuredClone(t));
  for (const p of patch) {
    if (!isObj(p)) continue;
    const idx = out.findIndex((t) => isObj(t) && t[key] === p[key]);
    if (p['$patch'] === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMergePatch(out[idx], p, field);
    else out.push(strategicMergePatch({}, p, field));
  }
  return out;
}

export function strategicMergePatch(target: Value, patch: Value, parentField = ''): Value {
  if (!isObj(patch)) return structuredClone(patch);
  if (patch['$patch'] === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return structuredClone(rest);
  }
  const out = withoutNulled(target, patch);
  const isServicePorts = parentField === 'spec' && isObj(target) && ('clusterIP' in target || 'type' in target);
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = out[field];
      if (Array.isArray(current) && Array.isArray(value)) out[field] = current.filter((v) => !value.includes(v));
      continue;
    }
    if (value === null) continue;
    if (Array.isArray(value)) {
      const current = out[key];
      out[key] = strategicList(key, Array.isArray(current) ? current : [], value, isServicePorts);
    } else if (isObj(value)) out[key] = strategicMergePatch(out[key], value, key);
    else out[key] = value;
  }
  return out;
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Value;
}

/** The operations of a JSON patch body, each with its op and path (evanphx/json-patch's errors when not). */
function operations(ops: Value): Operation[] {
  if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  return ops.map((raw: unknown) => {
    if (!isObj(raw))
      throw badRequest(`json: cannot unmarshal ${jsonKind(raw)} into Go value of type jsonpatch.Operation`);
    const text = (field: string): string | undefined => {
      const v = raw[field];
      return typeof v === 'string' ? v : undefined;
    };
    const path = text('path');
    if (path === undefined) throw invalidPatch('operation missing path field: missing value');
    return { op: text('op') ?? 'unknown', path, from: text('from'), value: raw['value'] };
  });
}

function fromOf(op: Operation): string {
  if (op.from === undefined) throw invalidPatch('operation missing from field: missing value');
  return op.from;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid JSON pointer: ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Value, segs: string[], path: string): { parent: Obj | Value[]; last: string } {
  let cur: Value = doc;
  for (const seg of segs.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isObj(cur)) cur = cur[seg];
    else cur = undefined;
    if (cur === undefined) throw invalidPatch(`doc is missing path: "${path}"`);
  }
  if (!Array.isArray(cur) && !isObj(cur)) throw invalidPatch(`doc is missing path: "${path}"`);
  return { parent: cur, last: segs[segs.length - 1] ?? '' };
}

function invalidPatch(message: string): ApiError {
  const err = badRequest(message);
  err.status.code = 422;
  err.status.reason = 'Invalid';
  return err;
}

function getAt(doc: Value, path: string): Value {
  let cur: Value = doc;
  for (const seg of pointer(path)) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isObj(cur)) cur = cur[seg];
    else return undefined;
  }
  return cur;
}

function removeAt(doc: Value, path: string): Value {
  const { parent, last } = parentOf(doc, pointer(path), path);
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!(i >= 0 && i < parent.length)) throw invalidPatch(`unable to remove nonexistent key: ${last}: missing value`);
    return parent.splice(i, 1)[0];
  }
  if (!(last in parent)) throw invalidPatch(`unable to remove nonexistent key: ${last}: missing value`);
  const old = parent[last];
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- JSON Patch `remove` deletes the member its pointer names
  delete parent[last];
  return old;
}

function addAt(doc: Value, path: string, value: Value, replace: boolean): Value {
  const segs = pointer(path);
  if (segs.length === 0) return structuredClone(value);
  const { parent, last } = parentOf(doc, segs, path);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (replace) parent[i] = structuredClone(value);
    else parent.splice(i, 0, structuredClone(value));
  } else {
    if (replace && !(last in parent))
      throw invalidPatch(`replace operation does not apply: doc is missing key: ${path}: missing value`);
    parent[last] = structuredClone(value);
  }
  return doc;
}

export function jsonPatch(target: Value, ops: Value): Value {
  let doc = structuredClone(target);
  for (const raw of operations(ops)) {
    switch (raw.op) {
      case 'add':
        doc = addAt(doc, raw.path, raw.value, false);
        break;
      case 'replace':
        doc = addAt(doc, raw.path, raw.value, true);
        break;
      case 'remove':
        removeAt(doc, raw.path);
        break;
      case 'move': {
        const moved = removeAt(doc, fromOf(raw));
        doc = addAt(doc, raw.path, moved, false);
        break;
      }
      case 'copy':
        doc = addAt(doc, raw.path, getAt(doc, fromOf(raw)), false);
        break;
      case 'test':
        if (!isDeepStrictEqual(getAt(doc, raw.path), raw.value)) {
          throw invalidPatch(`testing value ${raw.path} failed: test failed`);
        }
        break;
      default:
        throw badRequest(`Unexpected kind: ${raw.op}`);
    }
  }
  return doc;
}

/** JSON, or for apply requests YAML (loaded only then: it costs start-up time). */
export async function decodePatch(type: string, rawBody: string): Promise<unknown> {
  try {
    return JSON.parse(rawBody);
  } catch (e) {
    if (type !== 'application/apply-patch+yaml') throw badRequest(`error decoding patch: ${(e as Error).message}`);
  }
  try {
    const { parse } = await import('yaml');
    return parse(rawBody) as unknown;
  } catch (e) {
    throw badRequest(`error decoding YAML: ${(e as Error).message}`);
  }
}
