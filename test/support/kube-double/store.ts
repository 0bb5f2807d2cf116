/**
 * The double's etcd: objects by resource, one resourceVersion counter for
 * everything, and a bounded history of changes for watches. Objects are
 * cloned in and out so no caller can change a stored object in place. Under
 * a resource type the store holds only objects of its type: the Api is the
 * only writer, and it puts nothing that the type's schema has not decoded.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions
 */
import { resourceKey, type ResourceType } from './resources.js';
import type { KubeObject, StoreEvent, WatchEventType } from './types.js';

export type StoreListener = (event: StoreEvent) => void;

export function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export class Store {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();
  private revision = 1;
  /** Oldest resourceVersion a watch may start from; older ones get 410. */
  private compactedAt = 0;

  constructor(private readonly retainedEvents: number) {}

  get currentRevision(): number {
    return this.revision;
  }

  /** The revision below which history is gone: a watch from an older one gets 410 Gone. */
  get oldestWatchable(): number {
    return this.compactedAt;
  }

  get<T extends KubeObject>(t: ResourceType<T>, namespace: string | undefined, name: string): T | undefined {
    const found = this.objects.get(resourceKey(t))?.get(objectKey(namespace, name));
    return found ? typed(t, structuredClone(found)) : undefined;
  }

  /** Objects of a resource, optionally in one namespace, sorted by namespace/name like etcd keys. */
  list<T extends KubeObject>(t: ResourceType<T>, namespace?: string): T[] {
    const bucket = this.objects.get(resourceKey(t));
    if (!bucket) return [];
    const keys = [...bucket.keys()].sort();
    const out: T[] = [];
    for (const key of keys) {
      const obj = bucket.get(key);
      if (!obj) continue;
      if (namespace !== undefined && obj.metadata.namespace !== namespace) continue;
      out.push(typed(t, structuredClone(obj)));
    }
    return out;
  }

  /** Every stored object of every resource (for garbage collection and inspection). */
  *all(): Generator<{ resource: string; object: KubeObject }> {
    for (const [resource, bucket] of this.objects) {
      for (const obj of bucket.values()) yield { resource, object: structuredClone(obj) };
    }
  }

  /** Stores a new or changed object, stamping the next resourceVersion. Returns the stored copy. */
  put<T extends KubeObject>(t: ResourceType<T>, object: T): T {
    const resource = resourceKey(t);
    let bucket = this.objects.get(resource);
    if (!bucket) {
      bucket = new Map();
      this.objects.set(resource, bucket);
    }
    const key = objectKey(object.metadata.namespace, object.metadata.name);
    const previous = bucket.get(key);
    const type: WatchEventType = previous ? 'MODIFIED' : 'ADDED';
    this.revision++;
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(this.revision);
    bucket.set(key, stored);
    this.record(type, resource, stored, previous);
    return typed(t, structuredClone(stored));
  }

  remove<T extends KubeObject>(t: ResourceType<T>, namespace: string | undefined, name: string): T | undefined {
    const resource = resourceKey(t);
    const bucket = this.objects.get(resource);
    const key = objectKey(namespace, name);
    const existing = bucket?.get(key);
    if (!bucket || !existing) return undefined;
    bucket.delete(key);
    this.revision++;
    // A DELETED event carries the object as last seen, at the deletion's revision.
    existing.metadata.resourceVersion = String(this.revision);
    this.record('DELETED', resource, existing);
    return typed(t, structuredClone(existing));
  }

  /**
   * Changes after `fromRevision`, or 'gone' when some of them were forgotten.
   */
  eventsSince(fromRevision: number): StoreEvent[] | 'gone' {
    if (fromRevision < this.compactedAt) return 'gone';
    return this.history.filter((e) => e.resourceVersion > fromRevision);
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forgets all history, like an etcd compaction: older resourceVersions get 410 Gone. */
  compact(): void {
    this.history.length = 0;
    this.compactedAt = this.revision;
  }

  private record(type: WatchEventType, resource: string, object: KubeObject, previous?: KubeObject): void {
    const event: StoreEvent = { type, resource, object: structuredClone(object), resourceVersion: this.revision };
    if (previous) event.previous = previous;
    this.history.push(event);
    if (this.history.length > this.retainedEvents) {
      const dropped = this.history.shift();
      if (dropped) this.compactedAt = dropped.resourceVersion;
    }
    for (const listener of [...this.listeners]) listener(event);
  }
}

/** An object filed under `t` as `t`'s type: only what `t`'s schema decoded is filed there (see above). */
function typed<T extends KubeObject>(_t: ResourceType<T>, object: KubeObject): T {
  return object as T;
}

/** The event's object as `t`'s type, when the event is about `t`. */
export function objectOf<T extends KubeObject>(e: StoreEvent, t: ResourceType<T>): T | undefined {
  return e.resource === resourceKey(t) ? typed(t, e.object) : undefined;
}
