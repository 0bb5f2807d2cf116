/**
 * Time for controllers and the kubelet: Kubernetes' delays (backoff, TTL,
 * grace periods, probe periods) multiplied by the time scale, and every timer
 * tracked so close() can cancel them all.
 */
export class Clock {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(readonly timeScale: number) {}

  now(): Date {
    return new Date();
  }

  /**
   * RFC 3339 with seconds, like metav1.Time on the wire. Under a time scale
   * below 1 a Kubernetes second is shorter than that resolution, so the
   * milliseconds stay: the Job controller measures back-off from finishedAt.
   */
  timestamp(at: Date = new Date()): string {
    const iso = at.toISOString();
    return this.timeScale < 1 ? iso : iso.replace(/\.\d{3}Z$/, 'Z');
  }

  /** Kubernetes seconds to real milliseconds under the time scale. */
  scaledMs(seconds: number): number {
    return Math.max(0, seconds * 1000 * this.timeScale);
  }

  /** Runs fn after `seconds` Kubernetes seconds; returns a cancel function. */
  after(seconds: number, fn: () => void): () => void {
    return this.afterMs(this.scaledMs(seconds), fn);
  }

  /** Runs fn after real milliseconds (not scaled). */
  afterMs(ms: number, fn: () => void): () => void {
    if (this.closed) return () => undefined;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
