/**
 * The TTL-after-finished controller: a Job with ttlSecondsAfterFinished is
 * deleted (cascading, in the foreground) that long after it finished.
 * https://kubernetes.io/docs/concepts/workloads/controllers/ttlafterfinished/
 */
import type { Api } from '../api.js';
import type { Clock } from '../clock.js';
import { mustFind, resourceKey } from '../resources.js';
import { objectKey } from '../store.js';
import type { Job } from '../types.js';
import { WorkQueue } from './queue.js';

function finishedAt(job: Job): string | undefined {
  const c = (job.status?.conditions ?? []).find(
    (x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True',
  );
  return c ? (c.lastTransitionTime ?? '') : undefined;
}

export class TtlAfterFinishedController {
  private readonly queue: WorkQueue;
  private readonly unsubscribe: () => void;
  /** When this controller first saw each Job (by uid) finished, in ms: finer than the condition's seconds. */
  private readonly finishedMs = new Map<string, number>();
  private readonly timers = new Map<string, () => void>();

  constructor(
    private readonly api: Api,
    private readonly clock: Clock,
    onError: (err: unknown, where: string) => void,
  ) {
    this.queue = new WorkQueue('ttl-after-finished', clock, (key) => this.sync(key), onError);
    const jobsKey = resourceKey(mustFind('jobs'));
    this.unsubscribe = api.store.subscribe((e) => {
      if (e.resource === jobsKey) this.queue.add(objectKey(e.object.metadata.namespace, e.object.metadata.name));
    });
  }

  stop(): void {
    this.unsubscribe();
    this.queue.stop();
    for (const cancel of this.timers.values()) cancel();
  }

  private sync(key: string): void {
    const [namespace, name] = key.split('/') as [string, string];
    const t = mustFind('jobs');
    const job = this.api.tryGet(t, namespace, name);
    if (!job || job.metadata.deletionTimestamp) return;
    const ttl = job.spec.ttlSecondsAfterFinished;
    const finished = finishedAt(job);
    if (typeof ttl !== 'number' || finished === undefined) return;
    const uid = job.metadata.uid;
    let at = this.finishedMs.get(uid);
    if (at === undefined) {
      at = this.clock.now().getTime();
      this.finishedMs.set(uid, at);
    }
    const remainingMs = at + this.clock.scaledMs(ttl) - this.clock.now().getTime();
    this.timers.get(uid)?.();
    if (remainingMs > 0) {
      this.timers.set(
        uid,
        this.clock.afterMs(remainingMs + 1, () => this.queue.add(key)),
      );
      return;
    }
    this.timers.delete(uid);
    this.finishedMs.delete(uid);
    this.api.delete(t, namespace, name, {
      propagationPolicy: 'Foreground',
      preconditions: { uid, resourceVersion: job.metadata.resourceVersion },
    });
  }
}
