/**
 * The double's etcd: objects by resource, one resourceVersion counter for
 * everything, and a bounded history of changes for watches. Objects are
 * cloned in and out so no caller can change a stored object in place.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions
 */
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

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.objects.get(resource)?.get(objectKey(namespace, name));
    return found ? structuredClone(found) : undefined;
  }

  /** Objects of a resource, optionally in one namespace, sorted by namespace/name like etcd keys. */
  list(resource: string, namespace?: string): KubeObject[] {
    const bucket = this.objects.get(resource);
    if (!bucket) return [];
    const keys = [...bucket.keys()].sort();
    const out: KubeObject[] = [];
    for (const key of keys) {
      const obj = bucket.get(key);
      if (!obj) continue;
      if (namespace !== undefined && obj.metadata.namespace !== namespace) continue;
      out.push(structuredClone(obj));
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
  put(resource: string, object: KubeObject): KubeObject {
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
    return structuredClone(stored);
  }

  remove(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const bucket = this.objects.get(resource);
    const key = objectKey(namespace, name);
    const existing = bucket?.get(key);
    if (!bucket || !existing) return undefined;
    bucket.delete(key);
    this.revision++;
    // A DELETED event carries the object as last seen, at the deletion's revision.
    existing.metadata.resourceVersion = String(this.revision);
    this.record('DELETED', resource, existing);
    return structuredClone(existing);
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
