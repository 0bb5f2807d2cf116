/**
 * Records core/v1 Events about objects, as controllers and the kubelet do
 * (`kubectl describe` shows them).
 * https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/
 */
import { randomBytes } from 'node:crypto';
import type { Api } from './api.js';
import { mustFind } from './resources.js';
import type { KubeObject } from './types.js';

export class EventRecorder {
  constructor(
    private readonly api: Api,
    private readonly timestamp: () => string,
  ) {}

  record(about: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string): void {
    const now = this.timestamp();
    const m = about.metadata;
    try {
      this.api.create(mustFind('events'), m.namespace ?? 'default', {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${m.name}.${randomBytes(8).toString('hex')}` } as KubeObject['metadata'],
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
    } catch {
      // The namespace may be gone or going; events are best effort, as in Kubernetes.
    }
  }
}
