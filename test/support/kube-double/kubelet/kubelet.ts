/**
 * The node agent: runs a PodWorker per pod bound to its node, passes deletions on, and kills every
 * process on stop.
 * https://kubernetes.io/docs/reference/command-line-tools-reference/kubelet/
 */
import { WorkQueue } from '../controllers/queue.js';
import { mustFind } from '../resources.js';
import { objectKey, objectOf } from '../store.js';
import type { KubeletDeps } from './prepare.js';
import { PodWorker } from './pod-worker.js';

export class Kubelet {
  private readonly workers = new Map<string, PodWorker>();
  private readonly queue: WorkQueue;
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: KubeletDeps) {
    this.queue = new WorkQueue('kubelet', deps.clock, (key) => this.sync(key), deps.onError);
    this.unsubscribe = deps.api.store.subscribe((e) => {
      const pod = objectOf(e, mustFind('pods'));
      if (!pod) return;
      const key = objectKey(pod.metadata.namespace, pod.metadata.name);
      if (e.type === 'DELETED') this.podGone(key, pod.metadata.uid, pod.spec.terminationGracePeriodSeconds ?? 30);
      else this.queue.add(key);
    });
  }

  get runningProcesses(): number {
    let n = 0;
    for (const w of this.workers.values()) n += w.processCount;
    return n;
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    this.queue.stop();
    const all = [...this.workers.values()];
    for (const w of all) {
      w.terminate(0, true);
      w.killAll();
    }
    await Promise.all(all.map((w) => w.done));
  }

  private podGone(key: string, uid: string, grace: number): void {
    const worker = this.workers.get(key);
    if (!worker) return;
    this.workers.delete(key);
    worker.terminate(grace, true);
    void worker.done.then(() => this.deps.logs.forget(uid));
  }

  private sync(key: string): void {
    const [namespace, name] = key.split('/') as [string, string];
    const t = mustFind('pods');
    const pod = this.deps.api.tryGet(t, namespace, name);
    if (!pod) return;
    const worker = this.workers.get(key);
    // A pod recreated under the same name is a new pod.
    if (worker && worker.uid !== pod.metadata.uid) this.podGone(key, worker.uid, 0);
    // The scheduler binds pods (scheduler.ts); an unbound pod is not this node's yet.
    if (pod.spec.nodeName !== this.deps.nodeName) return;
    const phase = pod.status?.phase;
    const current = this.workers.get(key);
    if (pod.metadata.deletionTimestamp) {
      if (current) current.terminate(pod.metadata.deletionGracePeriodSeconds ?? 0);
      else
        this.deps.api.delete(t, namespace, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      return;
    }
    if (!current && phase !== 'Succeeded' && phase !== 'Failed') {
      this.workers.set(key, new PodWorker(this.deps, pod));
    }
  }
}
