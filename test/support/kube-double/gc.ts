/**
 * The garbage collector: deletes dependents whose owners are gone, orphans
 * dependents of an owner deleted with the `orphan` finalizer, and holds an
 * owner with `foregroundDeletion` until its blocking dependents are gone.
 * https://kubernetes.io/docs/concepts/architecture/garbage-collection/
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/owners-dependents/
 */
import type { Api } from './api.js';
import { findByKind, findResource, type ResourceType } from './resources.js';
import type { KubeObject, OwnerReference } from './types.js';

interface Entry {
  type: ResourceType;
  object: KubeObject;
}

export class GarbageCollector {
  private scheduled = false;
  private stopped = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly api: Api,
    private readonly onError: (err: unknown, where: string) => void,
  ) {
    this.unsubscribe = api.store.subscribe(() => this.schedule());
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.stopped) return;
      try {
        this.pass();
      } catch (err) {
        this.onError(err, 'garbage collector');
      }
    });
  }

  private entries(): Entry[] {
    const out: Entry[] = [];
    for (const { resource, object } of this.api.store.all()) {
      const [group, version, plural] =
        resource.split('/').length === 2 ? ['', ...resource.split('/')] : resource.split('/');
      const type = findResource(group ?? '', version ?? '', plural ?? '');
      if (type) out.push({ type, object });
    }
    return out;
  }

  private dependentsOf(all: Entry[], owner: KubeObject): Entry[] {
    return all.filter((e) => (e.object.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid));
  }

  private ownerOf(dependent: KubeObject, ref: OwnerReference): KubeObject | undefined {
    const type = findByKind(ref.apiVersion, ref.kind);
    if (!type) return undefined;
    const found = this.api.tryGet(type, type.namespaced ? dependent.metadata.namespace : undefined, ref.name);
    return found && found.metadata.uid === ref.uid ? found : undefined;
  }

  /** Whether a dependent has an owner other than `owner` that exists and is not waiting on its own dependents. */
  private hasSolidOwnerBesides(dependent: KubeObject, owner: KubeObject): boolean {
    return (dependent.metadata.ownerReferences ?? []).some((r) => {
      if (r.uid === owner.metadata.uid) return false;
      const other = this.ownerOf(dependent, r);
      return other !== undefined && !(other.metadata.finalizers ?? []).includes('foregroundDeletion');
    });
  }

  private pass(): void {
    const all = this.entries();
    for (const { type, object } of all) {
      const fin = object.metadata.finalizers ?? [];
      if (!object.metadata.deletionTimestamp) continue;
      if (fin.includes('orphan')) {
        for (const dep of this.dependentsOf(all, object)) {
          const refs = (dep.object.metadata.ownerReferences ?? []).filter((r) => r.uid !== object.metadata.uid);
          const next = structuredClone(dep.object);
          if (refs.length > 0) next.metadata.ownerReferences = refs;
          else delete next.metadata.ownerReferences;
          this.api.update(dep.type, next.metadata.namespace, next.metadata.name, next);
        }
        this.removeFinalizer(type, object, 'orphan');
      } else if (fin.includes('foregroundDeletion')) {
        const deps = this.dependentsOf(all, object);
        for (const dep of deps) {
          if (dep.object.metadata.deletionTimestamp) continue;
          // A dependent that has another owner still in place (one not being deleted itself) stays: only the
          // reference to this owner goes (garbagecollector.go, attemptToDeleteItem: "solid" owners).
          if (this.hasSolidOwnerBesides(dep.object, object)) {
            const next = structuredClone(dep.object);
            next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter(
              (r) => r.uid !== object.metadata.uid,
            );
            this.api.update(dep.type, next.metadata.namespace, next.metadata.name, next);
            continue;
          }
          this.api.delete(dep.type, dep.object.metadata.namespace, dep.object.metadata.name, {
            propagationPolicy: 'Foreground',
          });
        }
        const blocking = deps.filter((d) =>
          (d.object.metadata.ownerReferences ?? []).some(
            (r) => r.uid === object.metadata.uid && r.blockOwnerDeletion === true,
          ),
        );
        if (blocking.length === 0) this.removeFinalizer(type, object, 'foregroundDeletion');
      }
    }
    for (const { type, object } of all) {
      // Re-read: the orphan step above may have just removed references.
      const current = this.api.tryGet(type, object.metadata.namespace, object.metadata.name);
      if (!current || current.metadata.uid !== object.metadata.uid) continue;
      const refs = current.metadata.ownerReferences ?? [];
      if (refs.length === 0 || current.metadata.deletionTimestamp) continue;
      if (!refs.every((r) => findByKind(r.apiVersion, r.kind))) continue;
      const live = refs.filter((r) => this.ownerOf(current, r));
      if (live.length === 0) {
        this.api.delete(type, object.metadata.namespace, object.metadata.name, { propagationPolicy: 'Background' });
      } else if (live.length < refs.length) {
        current.metadata.ownerReferences = live;
        this.api.update(type, current.metadata.namespace, current.metadata.name, current);
      }
    }
  }

  private removeFinalizer(type: ResourceType, object: KubeObject, finalizer: string): void {
    const current = this.api.tryGet(type, object.metadata.namespace, object.metadata.name);
    if (!current) return;
    current.metadata.finalizers = (current.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    if (current.metadata.finalizers.length === 0) delete current.metadata.finalizers;
    this.api.update(type, current.metadata.namespace, current.metadata.name, current);
  }
}
