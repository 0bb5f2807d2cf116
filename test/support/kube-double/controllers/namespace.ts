/**
 * The namespace controller: a namespace being deleted (phase Terminating)
 * has everything in it deleted, and goes away once it is empty.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
 */
import type { Api } from '../api.js';
import type { Clock } from '../clock.js';
import { mustFind, resourceKey, resourceTypes } from '../resources.js';
import { WorkQueue } from './queue.js';

export class NamespaceController {
  private readonly queue: WorkQueue;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly api: Api,
    clock: Clock,
    onError: (err: unknown, where: string) => void,
  ) {
    this.queue = new WorkQueue('namespace', clock, (name) => this.reconcile(name), onError);
    const nsKey = resourceKey(mustFind('namespaces'));
    this.unsubscribe = api.store.subscribe((e) => {
      if (e.resource === nsKey) this.queue.add(e.object.metadata.name);
      else if (e.type === 'DELETED' && e.object.metadata.namespace) this.queue.add(e.object.metadata.namespace);
    });
  }

  stop(): void {
    this.unsubscribe();
    this.queue.stop();
  }

  private reconcile(name: string): void {
    const ns = this.api.tryGet(mustFind('namespaces'), undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    let remaining = 0;
    for (const t of resourceTypes) {
      if (!t.namespaced) continue;
      for (const o of this.api.list(t, name)) {
        remaining++;
        if (!o.metadata.deletionTimestamp)
          this.api.delete(t, name, o.metadata.name, { propagationPolicy: 'Background' });
      }
    }
    if (remaining === 0) this.api.finalizeNamespace(name);
  }
}
