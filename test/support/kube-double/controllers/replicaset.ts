/**
 * The ReplicaSet controller: keeps spec.replicas active pods, and reports
 * replicas, readyReplicas and availableReplicas (minReadySeconds 0: a ready
 * pod is available).
 * https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/
 */
import type { Api } from '../api.js';
import type { Clock } from '../clock.js';
import type { EventRecorder } from '../events.js';
import { mustFind, resourceKey } from '../resources.js';
import { fromSelectorObject, matchesLabels } from '../selectors.js';
import { objectKey } from '../store.js';
import { createPodFromTemplate, deletePod, isActive, isReady, ownedPods, setCondition } from './pods.js';
import { ApiError } from '../errors.js';
import { WorkQueue } from './queue.js';

const component = 'replicaset-controller';

export class ReplicaSetController {
  private readonly queue: WorkQueue;
  private readonly unsubscribe: () => void;
  private readonly createFailures = new Map<string, number>();

  constructor(
    private readonly api: Api,
    private readonly clock: Clock,
    private readonly events: EventRecorder,
    onError: (err: unknown, where: string) => void,
  ) {
    this.queue = new WorkQueue('replicaset-controller', clock, (key) => this.sync(key), onError);
    const rsKey = resourceKey(mustFind('replicasets'));
    const podsKey = resourceKey(mustFind('pods'));
    this.unsubscribe = api.store.subscribe((e) => {
      if (e.resource === rsKey) this.queue.add(objectKey(e.object.metadata.namespace, e.object.metadata.name));
      else if (e.resource === podsKey) {
        const ref = (e.object.metadata.ownerReferences ?? []).find((r) => r.controller && r.kind === 'ReplicaSet');
        if (ref) this.queue.add(objectKey(e.object.metadata.namespace, ref.name));
      }
    });
  }

  stop(): void {
    this.unsubscribe();
    this.queue.stop();
  }

  private sync(key: string): void {
    const [namespace, name] = key.split('/') as [string, string];
    const t = mustFind('replicasets');
    const rs = this.api.tryGet(t, namespace, name);
    if (!rs || rs.metadata.deletionTimestamp) return;
    const spec = rs.spec;
    const pods = ownedPods(this.api, rs);
    const active = pods.filter(isActive);
    const want = spec.replicas ?? 1;
    let failure: string | undefined;
    if (active.length < want) {
      try {
        for (let i = active.length; i < want; i++)
          active.push(createPodFromTemplate(this.api, this.events, rs, spec.template, component));
        this.createFailures.delete(key);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        // pkg/controller/controller_utils.go: an event, and the ReplicaFailure condition (replica_set_utils.go).
        failure = err.message;
        this.events.record(rs, 'Warning', 'FailedCreate', `Error creating: ${err.message}`, component);
        const n = this.createFailures.get(key) ?? 0;
        this.createFailures.set(key, n + 1);
        this.queue.addAfter(key, Math.min(2 ** n, 60));
      }
    } else if (active.length > want) {
      // Delete the least useful first: not ready before ready, then the newest.
      const ranked = [...active].sort((a, b) => {
        const r = Number(isReady(a)) - Number(isReady(b));
        return r !== 0 ? r : b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp);
      });
      for (const p of ranked.slice(0, active.length - want)) deletePod(this.api, this.events, rs, p, component);
      active.splice(0, active.length, ...ranked.slice(active.length - want));
    }
    const labels = fromSelectorObject({ matchLabels: spec.template.metadata?.labels ?? {} });
    const ready = active.filter(isReady).length;
    const before = rs.status?.conditions ?? [];
    let conditions = before.filter((c) => c.type !== 'ReplicaFailure');
    if (failure !== undefined) {
      const now = this.clock.timestamp();
      conditions = setCondition(before, {
        type: 'ReplicaFailure',
        status: 'True',
        reason: 'FailedCreate',
        message: failure,
        lastTransitionTime: now,
      });
    }
    const status = {
      ...(conditions.length > 0 ? { conditions } : {}),
      replicas: active.length,
      fullyLabeledReplicas: active.filter((p) => matchesLabels(labels, p.metadata.labels)).length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: rs.metadata.generation ?? 1,
    };
    this.api.update(t, namespace, name, { ...rs, status }, { subresource: 'status' });
  }
}
