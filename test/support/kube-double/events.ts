/**
 * Records core/v1 Events about objects, as controllers and the kubelet do
 * (`kubectl describe` shows them); a repeat of the same event raises its count.
 * https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/
 */
import type { Api } from './api.js';
import { mustFind } from './resources.js';
import type { KubeObject } from './types.js';

let last = 0n;
/** Wall-clock nanoseconds, strictly increasing within the process. */
function nanoseconds(): bigint {
  const now = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  last = now > last ? now : last + 1n;
  return last;
}

export class EventRecorder {
  constructor(
    private readonly api: Api,
    private readonly timestamp: () => string,
  ) {}

  /** Events already recorded, by what makes two of them the same (client-go's EventCorrelator key). */
  private readonly seen = new Map<string, string>();

  record(about: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string): void {
    const now = this.timestamp();
    const m = about.metadata;
    const key = [m.uid, type, reason, message, component].join('\u0000');
    const existing = this.seen.get(key);
    const t = mustFind('events');
    const before = existing ? this.api.tryGet(t, m.namespace ?? 'default', existing) : undefined;
    if (before) {
      // A repeat is the same Event with count + 1 and a new lastTimestamp, as `kubectl describe` shows "(x3 over 2m)".
      this.api.update(t, m.namespace ?? 'default', existing!, {
        ...before,
        count: (before.count ?? 1) + 1,
        lastTimestamp: now,
      });
      return;
    }
    try {
      const created = this.api.create(t, m.namespace ?? 'default', {
        apiVersion: 'v1',
        kind: 'Event',
        // `<object>.<hex nanoseconds>` like client-go's recorder, so a list (sorted by name) is in time order.
        metadata: { name: `${m.name}.${nanoseconds().toString(16)}` },
        involvedObject: {
          apiVersion: about.apiVersion,
          kind: about.kind,
          name: m.name,
          namespace: m.namespace,
          uid: m.uid,
          resourceVersion: m.resourceVersion,
        },
        reason,
        message,
        type,
        source: { component },
        reportingComponent: component,
        reportingInstance: '',
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
      this.seen.set(key, created.metadata.name);
    } catch {
      // The namespace may be gone or going; events are best effort, as in Kubernetes.
    }
  }
}
