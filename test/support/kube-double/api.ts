/**
 * The API server's registry: create, read, list, update, patch and delete
 * with the semantics of the generic apiserver store (uid, resourceVersion,
 * generation, status subresource, finalizers, deletion propagation, dryRun).
 * The HTTP layer, the controllers and the kubelet all go through it.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/
 */
import { randomUUID } from 'node:crypto';
import { applyDefaults, generateJobSelector, initialStatus } from './defaults.js';
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
import { apiVersionOf, mustFind, resourceKey, type ResourceType } from './resources.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { Store } from './store.js';
import type { KubeObject } from './types.js';
import { validate } from './validation.js';
import { podSecurityViolation } from './admission/pod-security.js';
import { quotaViolation } from './admission/resource-quota.js';
import { randomSuffix, sameObject, sameSpec } from './objects.js';

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

export class Api {
  constructor(
    readonly store: Store,
    private readonly timestamp: () => string,
  ) {}

  /** The API server's clock, as it stamps creationTimestamp. */
  now(): string {
    return this.timestamp();
  }

  get(t: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.store.get(resourceKey(t), t.namespaced ? namespace : undefined, name);
    if (!found) throw notFound(t, name);
    return found;
  }

  tryGet(t: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(resourceKey(t), t.namespaced ? namespace : undefined, name);
  }

  list(t: ResourceType, namespace: string | undefined, opts: ListOptions = {}): KubeObject[] {
    const labels = parseLabelSelector(opts.labelSelector);
    const fields = parseFieldSelector(opts.fieldSelector, t.plural, t.kind);
    return this.store
      .list(resourceKey(t), t.namespaced ? namespace : undefined)
      .filter((o) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o));
  }

  create(t: ResourceType, namespace: string | undefined, body: KubeObject, opts: WriteOptions = {}): KubeObject {
    if (!body || typeof body !== 'object') throw badRequest('the body of the request could not be decoded');
    const obj = structuredClone(body);
    obj.apiVersion = apiVersionOf(t);
    obj.kind = t.kind;
    obj.metadata = { ...(obj.metadata ?? {}) } as KubeObject['metadata'];
    if (t.namespaced) {
      if (obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = namespace ?? obj.metadata.namespace ?? 'default';
      this.checkNamespaceOpen(t, obj.metadata.namespace, obj.metadata.name ?? '');
    } else delete obj.metadata.namespace;
    if (!obj.metadata.name) {
      if (!obj.metadata.generateName) {
        throw badRequest(`${t.kind} "" is invalid: metadata.name: Required value: name or generateName is required`);
      }
      obj.metadata.name = obj.metadata.generateName + randomSuffix();
    }
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = this.timestamp();
    delete obj.metadata.deletionTimestamp;
    delete obj.metadata.deletionGracePeriodSeconds;
    if (t.hasGeneration) obj.metadata.generation = 1;
    if (t.subresources.includes('status') || t.plural === 'pods') initialStatus(t.plural, obj);
    applyDefaults(t.plural, obj, true);
    if (t.plural === 'jobs') generateJobSelector(obj);
    validate(t, obj);
    if (t.plural === 'pods') this.admitPod(obj, body.metadata?.name || body.metadata?.generateName || '');
    // Admission runs before storage: a rejected pod is Forbidden even when the name is taken.
    if (this.tryGet(t, obj.metadata.namespace, obj.metadata.name)) throw alreadyExists(t, obj.metadata.name);
    if (opts.dryRun) return obj;
    return this.store.put(resourceKey(t), obj);
  }

  /** Validating admission of a new pod: Pod Security, then ResourceQuota. Throws 403 Forbidden. */
  private admitPod(pod: KubeObject, shownName: string): void {
    const pods = mustFind('pods');
    const ns = this.tryGet(mustFind('namespaces'), undefined, pod.metadata.namespace ?? '');
    const why =
      podSecurityViolation(ns, pod) ??
      quotaViolation(this.store.list(resourceKey(mustFind('resourcequotas')), pod.metadata.namespace), pod);
    if (why) throw forbidden(`pods "${shownName}" is forbidden: ${why}`, pods, shownName);
  }

  /** PUT: replaces the object (or only its status with subresource 'status'). */
  update(
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    opts: WriteOptions = {},
  ): KubeObject {
    const existing = this.get(t, namespace, name);
    if (!body || typeof body !== 'object' || !body.metadata)
      throw badRequest('the body of the request could not be decoded');
    if (body.metadata.name && body.metadata.name !== name) {
      throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    }
    const wantRv = body.metadata.resourceVersion;
    if (wantRv && wantRv !== existing.metadata.resourceVersion) throw conflict(t, name);
    let next: KubeObject;
    if (opts.subresource === 'status') {
      next = { ...existing, status: structuredClone(body['status']) };
    } else {
      next = structuredClone(body);
      next.apiVersion = existing.apiVersion;
      next.kind = existing.kind;
      if (t.subresources.includes('status')) next['status'] = existing['status'];
      const m = existing.metadata;
      next.metadata = {
        ...next.metadata,
        name: m.name,
        uid: m.uid,
        creationTimestamp: m.creationTimestamp,
        resourceVersion: m.resourceVersion,
      };
      if (m.namespace !== undefined) next.metadata.namespace = m.namespace;
      else delete next.metadata.namespace;
      for (const f of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
        if (m[f] !== undefined) (next.metadata as unknown as Record<string, unknown>)[f] = m[f];
        else delete next.metadata[f];
      }
      applyDefaults(t.plural, next, false);
      validate(t, next, existing);
      if (t.hasGeneration && !sameSpec(next, existing)) next.metadata.generation = (m.generation ?? 1) + 1;
    }
    if (sameObject(next, existing)) return existing;
    if (opts.dryRun) return next;
    if (
      next.metadata.deletionTimestamp &&
      (next.metadata.finalizers ?? []).length === 0 &&
      !(next.metadata.deletionGracePeriodSeconds ?? 0)
    ) {
      return this.store.remove(resourceKey(t), next.metadata.namespace, name) ?? next;
    }
    return this.store.put(resourceKey(t), next);
  }

  /** PATCH with any of the four content types; apply creates a missing object. */
  async patch(
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    rawBody: string,
    opts: WriteOptions & { fieldManager?: string } = {},
  ): Promise<{ object: KubeObject; created: boolean }> {
    const type = contentType.split(';')[0]?.trim() ?? '';
    const patchBody = await decodePatch(type, rawBody);
    if (type === 'application/apply-patch+yaml') {
      // https://kubernetes.io/docs/reference/using-api/server-side-apply/
      if (!opts.fieldManager)
        throw badRequest('PATCH, application/apply-patch+yaml: fieldManager is required for apply requests');
      const existing = this.tryGet(t, namespace, name);
      if (!existing) {
        const body = patchBody as KubeObject;
        return {
          object: this.create(t, namespace, { ...body, metadata: { ...body.metadata, name } }, opts),
          created: true,
        };
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
    const obj = patched as KubeObject;
    // A patch that does not mention resourceVersion is unconditional.
    const patchRv = (patchBody as { metadata?: { resourceVersion?: string } } | null)?.metadata?.resourceVersion;
    if (!Array.isArray(patchBody) && !patchRv) obj.metadata.resourceVersion = '';
    return { object: this.update(t, namespace, name, obj, opts), created: false };
  }

  /**
   * DELETE. Returns the object when it lingers (graceful deletion, finalizers)
   * or is a pod; otherwise a Success Status, like the API server.
   * https://kubernetes.io/docs/concepts/architecture/garbage-collection/#cascading-deletion
   */
  delete(t: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions = {}): KubeObject | Status {
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
    const grace = t.plural === 'pods' ? this.podGrace(obj, opts.gracePeriodSeconds) : 0;
    const nsFinalizers: unknown[] = t.plural === 'namespaces' ? (obj['spec']?.finalizers ?? []) : [];
    if (finalizers.size > 0 || grace > 0 || nsFinalizers.length > 0) {
      const already = obj.metadata.deletionTimestamp !== undefined;
      const shorter = already && grace < (obj.metadata.deletionGracePeriodSeconds ?? 0);
      if (already && !shorter && finalizers.size === (obj.metadata.finalizers ?? []).length) return existing;
      if (finalizers.size > 0) obj.metadata.finalizers = [...finalizers];
      obj.metadata.deletionTimestamp = this.timestamp();
      obj.metadata.deletionGracePeriodSeconds = grace;
      if (t.plural === 'namespaces') obj['status'] = { ...(obj['status'] ?? {}), phase: 'Terminating' };
      if (t.hasGeneration) obj.metadata.generation = (obj.metadata.generation ?? 1) + 1;
      return this.store.put(resourceKey(t), obj);
    }
    const removed = this.store.remove(resourceKey(t), existing.metadata.namespace, name) ?? existing;
    return t.plural === 'pods' ? removed : successStatus(t, name, existing.metadata.uid);
  }

  /** The policy a DELETE gets when it names none: batch/v1 Jobs orphan their pods, the rest cascade in the background. */
  private policyFor(t: ResourceType, opts: DeleteOptions): PropagationPolicy {
    if (opts.propagationPolicy) return opts.propagationPolicy;
    if (opts.orphanDependents === true) return 'Orphan';
    if (opts.orphanDependents === false) return 'Background';
    return t.group === 'batch' && t.plural === 'jobs' ? 'Orphan' : 'Background';
  }

  /** A pod that runs on the (only) node is deleted gracefully; a finished or unscheduled one at once. */
  private podGrace(pod: KubeObject, requested: number | undefined): number {
    const phase = pod['status']?.phase;
    if (phase === 'Succeeded' || phase === 'Failed' || !pod['spec']?.nodeName) return 0;
    return requested ?? pod['spec']?.terminationGracePeriodSeconds ?? 30;
  }

  /** The namespace controller's last step: the namespace is empty, remove it. */
  finalizeNamespace(name: string): void {
    this.store.remove(resourceKey(mustFind('namespaces')), undefined, name);
  }

  private checkNamespaceOpen(t: ResourceType, namespace: string, name: string): void {
    const ns = this.store.get(resourceKey(mustFind('namespaces')), undefined, namespace);
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
