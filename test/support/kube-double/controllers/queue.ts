/**
 * A controller's work queue: keys are deduplicated and reconciled one at a
 * time on a later turn of the event loop, never inside a store listener.
 * A reconcile that throws is retried after a short delay.
 */
import type { Clock } from '../clock.js';

export class WorkQueue {
  private readonly pending = new Set<string>();
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly clock: Clock,
    private readonly reconcile: (key: string) => void,
    private readonly onError: (err: unknown, where: string) => void,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    this.pending.add(key);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  /** Reconciles `key` again after `seconds` Kubernetes seconds (scaled). */
  addAfter(key: string, seconds: number): () => void {
    return this.clock.after(seconds, () => this.add(key));
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
  }

  private drain(): void {
    this.scheduled = false;
    const keys = [...this.pending];
    this.pending.clear();
    for (const key of keys) {
      if (this.stopped) return;
      try {
        this.reconcile(key);
      } catch (err) {
        this.onError(err, `${this.name} ${key}`);
        this.clock.afterMs(20, () => this.add(key));
      }
    }
  }
}
