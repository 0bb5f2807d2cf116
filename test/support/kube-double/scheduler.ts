/**
 * The scheduler for the double's one node: binds a pod when its requests fit
 * what the node has left (NodeResourcesFit: cpu, memory, pod count) and the
 * node is schedulable (NodeUnschedulable); otherwise leaves it Pending with
 * PodScheduled=False, reason Unschedulable, and a FailedScheduling event, with
 * the scheduler's message (pkg/scheduler/framework/types.go FitError), and
 * tries again when a pod ends or the node changes.
 * https://kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/
 * https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#how-pods-with-resource-requests-are-scheduled
 */
import type { Api } from './api.js';
import type { Clock } from './clock.js';
import { WorkQueue } from './controllers/queue.js';
import type { EventRecorder } from './events.js';
import { mustFind } from './resources.js';
import { objectKey, objectOf } from './store.js';
import type { Condition, Container, Pod } from './types.js';

export interface NodeCapacity {
  /** Allocatable CPU, e.g. "2" or "1500m". @default "8" */
  cpu?: string;
  /** Allocatable memory, e.g. "4Gi". @default "16Gi" */
  memory?: string;
  /** Pods the node takes. @default 110 */
  pods?: number;
  /** Cordoned (`kubectl cordon`): no new pod is scheduled. @default false */
  unschedulable?: boolean;
}

const memoryUnits: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** A resource quantity as a number: cpu in millicores, memory in bytes. */
export function quantity(value: string | number | undefined, kind: 'cpu' | 'memory'): number {
  if (value === undefined) return 0;
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(value).trim());
  if (!m) return 0;
  const n = Number(m[1]);
  if (kind === 'cpu') return m[2] === 'm' ? n : n * 1000;
  return n * (memoryUnits[m[2] ?? ''] ?? 1);
}

interface Req {
  cpu: number;
  memory: number;
}

/** The pod's effective requests: its containers and sidecars together, or its largest init container. */
export function podRequests(pod: Pod): Req {
  const of = (c: Container): Req => ({
    cpu: quantity(c.resources?.requests?.['cpu'], 'cpu'),
    memory: quantity(c.resources?.requests?.['memory'], 'memory'),
  });
  const inits = pod.spec.initContainers ?? [];
  const running = [...(pod.spec.containers ?? []), ...inits.filter((c) => c.restartPolicy === 'Always')];
  const sum = running.map(of).reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), {
    cpu: 0,
    memory: 0,
  });
  for (const c of inits.filter((i) => i.restartPolicy !== 'Always').map(of)) {
    sum.cpu = Math.max(sum.cpu, c.cpu);
    sum.memory = Math.max(sum.memory, c.memory);
  }
  return sum;
}

export class Scheduler {
  private readonly queue: WorkQueue;
  private readonly unsubscribe: () => void;
  private node: Required<NodeCapacity>;

  constructor(
    private readonly api: Api,
    clock: Clock,
    private readonly events: EventRecorder,
    private readonly nodeName: string,
    capacity: NodeCapacity,
    onError: (err: unknown, where: string) => void,
  ) {
    this.node = { cpu: '8', memory: '16Gi', pods: 110, unschedulable: false, ...capacity };
    this.queue = new WorkQueue('scheduler', clock, (key) => this.sync(key), onError);
    this.unsubscribe = api.store.subscribe((e) => {
      const pod = objectOf(e, mustFind('pods'));
      if (!pod) return;
      if (!pod.spec.nodeName && e.type !== 'DELETED')
        this.queue.add(objectKey(pod.metadata.namespace, pod.metadata.name));
      // A pod that ends or goes frees room: pending pods get another try.
      const phase = pod.status?.phase;
      if (e.type === 'DELETED' || phase === 'Succeeded' || phase === 'Failed') this.retryPending();
    });
  }

  get capacity(): Required<NodeCapacity> {
    return { ...this.node };
  }

  setCapacity(capacity: NodeCapacity): void {
    this.node = { ...this.node, ...capacity };
    this.retryPending();
  }

  stop(): void {
    this.unsubscribe();
    this.queue.stop();
  }

  private retryPending(): void {
    for (const p of this.api.store.list(mustFind('pods')))
      if (!p.spec.nodeName && !p.metadata.deletionTimestamp)
        this.queue.add(objectKey(p.metadata.namespace, p.metadata.name));
  }

  /** Why the node cannot take the pod (NodeUnschedulable first, then NodeResourcesFit), or [] when it fits. */
  private reasons(pod: Pod): string[] {
    if (this.node.unschedulable) return ['node(s) were unschedulable'];
    const bound = this.api.store
      .list(mustFind('pods'))
      .filter((p) => p.spec.nodeName === this.nodeName && !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''));
    const used = bound.map(podRequests).reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), {
      cpu: 0,
      memory: 0,
    });
    const want = podRequests(pod);
    const out: string[] = [];
    if (bound.length + 1 > this.node.pods) out.push('Too many pods');
    if (want.cpu > 0 && used.cpu + want.cpu > quantity(this.node.cpu, 'cpu')) out.push('Insufficient cpu');
    if (want.memory > 0 && used.memory + want.memory > quantity(this.node.memory, 'memory'))
      out.push('Insufficient memory');
    return out;
  }

  private sync(key: string): void {
    const [namespace, name] = key.split('/') as [string, string];
    const t = mustFind('pods');
    const pod = this.api.tryGet(t, namespace, name);
    if (!pod || pod.spec.nodeName || pod.metadata.deletionTimestamp) return;
    const reasons = this.reasons(pod);
    if (reasons.length === 0) {
      pod.spec.nodeName = this.nodeName;
      const bound = this.api.update(t, namespace, name, pod);
      this.events.record(
        bound,
        'Normal',
        'Scheduled',
        `Successfully assigned ${namespace}/${name} to ${this.nodeName}`,
        'default-scheduler',
      );
      return;
    }
    // Preemption is not modelled: with no lower-priority pod to evict, this is what the PostFilter says.
    const postFilter = this.node.unschedulable
      ? 'preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.'
      : 'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.';
    const message = `0/1 nodes are available: ${[...reasons]
      .sort()
      .map((r) => `1 ${r}`)
      .join(', ')}. ${postFilter}.`;
    const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    const before = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled');
    const condition: Condition = {
      type: 'PodScheduled',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: before?.status === 'False' ? before.lastTransitionTime : this.api.now(),
      reason: 'Unschedulable',
      message,
    };
    this.api.update(
      t,
      namespace,
      name,
      { ...pod, status: { ...(pod.status ?? {}), phase: 'Pending', conditions: [...conditions, condition] } },
      { subresource: 'status' },
    );
    this.events.record(pod, 'Warning', 'FailedScheduling', message, 'default-scheduler');
  }
}
