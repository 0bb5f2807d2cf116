/**
 * What the Job controller remembers about one Job between syncs: which
 * pods it has counted as succeeded or failed (the real controller uses the
 * batch.kubernetes.io/job-tracking finalizer for this), when the last
 * failure happened (for the re-creation back-off), and its timers.
 * https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-tracking-with-finalizers
 */
import type { KubeObject } from '../types.js';
import { isTerminal } from './pods.js';

/** Delay before re-creating a failed pod: 10 s, 20 s, 40 s ... capped at 6 min. */
export function jobBackoffSeconds(failures: number): number {
  return failures <= 0 ? 0 : Math.min(10 * 2 ** (failures - 1), 360);
}

export class JobTracker {
  private readonly counted = new Set<string>();
  private readonly seen = new Map<string, KubeObject>();
  private readonly ignored = new Set<string>();
  failures = 0;
  lastFailureMs: number | undefined;
  startedAtMs: number | undefined;
  private cancelBackoff: (() => void) | undefined;
  private cancelDeadline: (() => void) | undefined;

  /** Pods deleted because the Job was suspended do not count as failures. */
  ignoreFailureOf(uid: string): void {
    this.ignored.add(uid);
  }

  /** Counts pods that finished since the last sync, and pods that vanished while running (counted as failed). */
  observe(pods: KubeObject[], nowMs: number): { newSucceeded: number; newFailed: number } {
    let newSucceeded = 0;
    let newFailed = 0;
    const present = new Set(pods.map((p) => p.metadata.uid));
    const fail = (uid: string): void => {
      this.counted.add(uid);
      if (this.ignored.has(uid)) return;
      newFailed++;
      this.failures++;
      this.lastFailureMs = nowMs;
    };
    for (const p of pods) {
      const uid = p.metadata.uid;
      this.seen.set(uid, p);
      if (this.counted.has(uid) || !isTerminal(p)) continue;
      if (p['status'].phase === 'Succeeded') {
        this.counted.add(uid);
        newSucceeded++;
      } else fail(uid);
    }
    for (const uid of [...this.seen.keys()]) {
      if (present.has(uid)) continue;
      this.seen.delete(uid);
      if (!this.counted.has(uid)) fail(uid);
    }
    return { newSucceeded, newFailed };
  }

  scheduleBackoff(start: () => () => void): void {
    this.cancelBackoff?.();
    this.cancelBackoff = start();
  }

  scheduleDeadline(start: () => () => void): void {
    this.cancelDeadline?.();
    this.cancelDeadline = start();
  }
}
