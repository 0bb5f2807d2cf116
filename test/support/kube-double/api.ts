/**
 * The API server's registry: create, read, list, update, patch and delete
 * with the semantics of the generic apiserver store (uid, resourceVersion,
 * generation, status subresource, finalizers, deletion propagation, dryRun).
 * The HTTP layer, the controllers and the kubelet all go through it.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/
 */
import { randomUUID } from 'node:crypto';
import {
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  notFound,
  successStatus,
  unsupportedMediaType,
  type Status,
} from './errors.js';
import { decodePatch, jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { apiVersionOf, mustFind, type ResourceType } from './resources.js';
import { isJsonObject } from './schema.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { Store } from './store.js';
import type { KubeObject } from './types.js';
import { validate } from './validation.js';
import { keptMetadata, randomSuffix, sameObject, sameSpec } from './objects.js';

export interface WriteOptions {
  dryRun?: boolean;
  /** 'status' writes only status; '' (default) ignores status for types that have the subresource. */
  subresource?: '' | 'status';
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions {
  dryRun?: boolean;
  propagationPolicy?: PropagationPolicy;
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

/** The request body as the resource's type (400 when a field has the wrong JSON type), on a copy. */
function decode<T extends KubeObject>(t: ResourceType<T>, body: Record<string, unknown>): T {
  return t.schema.decode(structuredClone(body), { kind: t.kind, version: t.version, struct: t.kind, path: '' });
}

export class Api {
  constructor(
    readonly store: Store,
    private readonly timestamp: () => string,
  ) {}

  /** The API server's clock, as it stamps creationTimestamp. */
  now(): string {
    return this.timestamp();
  }

  get<T extends KubeObject>(t: ResourceType<T>, namespace: string | undefined, name: string): T {
    const found = this.tryGet(t, namespace, name);
    if (!found) throw notFound(t, name);
    return found;
  }

  tryGet<T extends KubeObject>(t: ResourceType<T>, namespace: string | undefined, name: string): T | undefined {
    return this.store.get(t, t.namespaced ? namespace : undefined, name);
  }

  list<T extends KubeObject>(t: ResourceType<T>, namespace: string | undefined, opts: ListOptions = {}): T[] {
    const labels = parseLabelSelector(opts.labelSelector);
    const fields = parseFieldSelector(opts.fieldSelector, t.plural, t.kind);
    return this.store
      .list(t, t.namespaced ? namespace : undefined)
      .filter((o) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o));
  }

  create<T extends KubeObject>(
    t: ResourceType<T>,
    namespace: string | undefined,
    body: unknown,
    opts: WriteOptions = {},
  ): T {
    if (!isJsonObject(body)) throw badRequest('the body of the request could not be decoded');
    const obj = decode(t, body);
    obj.apiVersion = apiVersionOf(t);
    obj.kind = t.kind;
    const meta = obj.metadata;
    // How errors name the object: as the client did, before a name is generated.
    const shownName = meta.name || (meta.generateName ?? '');
    if (t.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace ?? meta.namespace ?? 'default';
      this.checkNamespaceOpen(t, meta.namespace, meta.name);
    } else delete meta.namespace;
    if (!meta.name) {
      if (!meta.generateName) {
        throw badRequest(`${t.kind} "" is invalid: metadata.name: Required value: name or generateName is required`);
      }
      meta.name = meta.generateName + randomSuffix();
    }
    meta.uid = randomUUID();
    meta.creationTimestamp = this.timestamp();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (t.hasGeneration) meta.generation = 1;
    t.strategy.prepareForCreate?.(obj);
    t.strategy.defaults?.(obj, true);
    validate(t, obj);
    // Admission runs before storage: a rejected pod is Forbidden even when the name is taken.
    const why = t.strategy.admit?.(obj, {
      namespace: (name) => this.tryGet(mustFind('namespaces'), undefined, name),
      quotas: (ns) => this.store.list(mustFind('resourcequotas'), ns),
    });
    if (why) throw forbidden(`${t.plural} "${shownName}" is forbidden: ${why}`, t, shownName);
    if (this.tryGet(t, meta.namespace, meta.name)) throw alreadyExists(t, meta.name);
    if (opts.dryRun) return obj;
    return this.store.put(t, obj);
  }

  /** PUT: replaces the object (or only its status with subresource 'status'). */
  update<T extends KubeObject>(
    t: ResourceType<T>,
    namespace: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions = {},
  ): T {
    const existing = this.get(t, namespace, name);
    if (!isJsonObject(body) || !isJsonObject(body['metadata']))
      throw badRequest('the body of the request could not be decoded');
    const requested = decode(t, body);
    if (requested.metadata.name && requested.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${requested.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    const wantRv = requested.metadata.resourceVersion;
    if (wantRv && wantRv !== existing.metadata.resourceVersion) throw conflict(t, name);
    let next: T;
    if (opts.subresource === 'status') {
      next = { ...existing, status: requested['status'] };
    } else {
      next = { ...requested, apiVersion: existing.apiVersion, kind: existing.kind };
      if (t.subresources.includes('status')) next = { ...next, status: existing['status'] };
      next.metadata = keptMetadata(requested.metadata, existing.metadata);
      t.strategy.defaults?.(next, false);
      validate(t, next, existing);
      const m = existing.metadata;
      if (t.hasGeneration && !sameSpec(next, existing)) next.metadata.generation = (m.generation ?? 1) + 1;
    }
    if (sameObject(next, existing)) return existing;
    if (opts.dryRun) return next;
    if (
      next.metadata.deletionTimestamp &&
      (next.metadata.finalizers ?? []).length === 0 &&
      !(next.metadata.deletionGracePeriodSeconds ?? 0)
    ) {
      return this.store.remove(t, next.metadata.namespace, name) ?? next;
    }
    return this.store.put(t, next);
  }

  /** PATCH with any of the four content types; apply creates a missing object. */
  async patch<T extends KubeObject>(
    t: ResourceType<T>,
    namespace: string | undefined,
    name: string,
    contentType: string,
    rawBody: string,
    opts: WriteOptions & { fieldManager?: string } = {},
  ): Promise<{ object: T; created: boolean }> {
    const type = contentType.split(';')[0]?.trim() ?? '';
    const patchBody = await decodePatch(type, rawBody);
    if (type === 'application/apply-patch+yaml') {
      // https://kubernetes.io/docs/reference/using-api/server-side-apply/
      if (!opts.fieldManager)
        throw badRequest('PATCH, application/apply-patch+yaml: fieldManager is required for apply requests');
      if (!this.tryGet(t, namespace, name)) {
        const body = isJsonObject(patchBody) ? patchBody : {};
        const metadata = body['metadata'] ?? {};
        // The name on the URL; metadata that is not an object is left for decoding to refuse.
        const named = isJsonObject(metadata) ? { ...metadata, name } : metadata;
        return { object: this.create(t, namespace, { ...body, metadata: named }, opts), created: true };
      }
    }
    const existing = this.get(t, namespace, name);
    let patched: unknown;
    switch (type) {
      case 'application/json-patch+json':
        patched = jsonPatch(existing, patchBody);
        break;
      case 'application/merge-patch+json':
        patched = mergePatch(existing, patchBody);
        break;
      case 'application/strategic-merge-patch+json':
      case 'application/apply-patch+yaml':
        patched = strategicMergePatch(existing, patchBody);
        break;
      default:
        throw unsupportedMediaType(type);
    }
    // A patch that does not mention resourceVersion is unconditional.
    const patchMeta = isJsonObject(patchBody) ? patchBody['metadata'] : undefined;
    const patchRv = isJsonObject(patchMeta) ? patchMeta['resourceVersion'] : undefined;
    const patchedMeta = isJsonObject(patched) ? patched['metadata'] : undefined;
    if (!Array.isArray(patchBody) && !patchRv && isJsonObject(patchedMeta)) patchedMeta['resourceVersion'] = '';
    return { object: this.update(t, namespace, name, patched, opts), created: false };
  }

  /**
   * DELETE. Returns the object when it lingers (graceful deletion, finalizers)
   * or is a pod; otherwise a Success Status, like the API server.
   * https://kubernetes.io/docs/concepts/architecture/garbage-collection/#cascading-deletion
   */
  delete<T extends KubeObject>(
    t: ResourceType<T>,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): T | Status {
    const existing = this.get(t, namespace, name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== existing.metadata.uid) throw conflict(t, name);
    if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) throw conflict(t, name);
    if (opts.dryRun) return existing;
    const policy = this.policyFor(t, opts);
    const obj = structuredClone(existing);
    const finalizers = new Set(obj.metadata.finalizers ?? []);
    if (!obj.metadata.deletionTimestamp) {
      if (policy === 'Orphan') finalizers.add('orphan');
      if (policy === 'Foreground') finalizers.add('foregroundDeletion');
    }
    const grace = t.strategy.gracePeriod?.(obj, opts.gracePeriodSeconds) ?? 0;
    const held = t.strategy.holdsDeletion?.(obj) ?? false;
    if (finalizers.size > 0 || grace > 0 || held) {
      const already = obj.metadata.deletionTimestamp !== undefined;
      const shorter = already && grace < (obj.metadata.deletionGracePeriodSeconds ?? 0);
      if (already && !shorter && finalizers.size === (obj.metadata.finalizers ?? []).length) return existing;
      if (finalizers.size > 0) obj.metadata.finalizers = [...finalizers];
      obj.metadata.deletionTimestamp = this.timestamp();
      obj.metadata.deletionGracePeriodSeconds = grace;
      t.strategy.markDeleting?.(obj);
      if (t.hasGeneration) obj.metadata.generation = (obj.metadata.generation ?? 1) + 1;
      return this.store.put(t, obj);
    }
    const removed = this.store.remove(t, existing.metadata.namespace, name) ?? existing;
    return t.plural === 'pods' ? removed : successStatus(t, name, existing.metadata.uid);
  }

  /** The policy a DELETE gets when it names none: batch/v1 Jobs orphan their pods, the rest cascade in the background. */
  private policyFor(t: ResourceType, opts: DeleteOptions): PropagationPolicy {
    if (opts.propagationPolicy) return opts.propagationPolicy;
    if (opts.orphanDependents === true) return 'Orphan';
    if (opts.orphanDependents === false) return 'Background';
    return t.group === 'batch' && t.plural === 'jobs' ? 'Orphan' : 'Background';
  }

  /** The namespace controller's last step: the namespace is empty, remove it. */
  finalizeNamespace(name: string): void {
    this.store.remove(mustFind('namespaces'), undefined, name);
  }

  private checkNamespaceOpen(t: ResourceType, namespace: string, name: string): void {
    const ns = this.store.get(mustFind('namespaces'), undefined, namespace);
    if (!ns) throw notFound(mustFind('namespaces'), namespace);
    if (ns.metadata.deletionTimestamp) {
      throw forbidden(
        `${t.plural} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        t,
        name,
      );
    }
  }
}
