/**
 * What the Job controller remembers about one Job between syncs: which
 * pods it has counted as succeeded or failed (the real controller uses the
 * batch.kubernetes.io/job-tracking finalizer for this), the back-off record
 * (failures since the last success and when the last one finished, as
 * pkg/controller/job/backoff_utils.go keeps it), and its timers.
 * https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-tracking-with-finalizers
 */
import type { Pod, PodFailurePolicy } from '../types.js';
import { finishedTimeMs, matchPodFailurePolicy } from './pod-failure-policy.js';

/** Delay before re-creating a failed pod: 10 s, 20 s, 40 s ... capped at 6 min (DefaultJobPodFailureBackOff, MaxJobPodFailureBackOff). */
export function jobBackoffSeconds(failures: number): number {
  return failures <= 0 ? 0 : Math.min(10 * 2 ** (failures - 1), 360);
}

export interface Observed {
  newSucceeded: number;
  newFailed: number;
  /** The FailureTarget message of the first newly failed pod that matched a FailJob rule. */
  failJobMessage?: string;
}

export class JobTracker {
  private readonly counted = new Set<string>();
  private readonly seen = new Map<string, Pod>();
  private readonly ignored = new Set<string>();
  /** failuresAfterLastSuccess of the back-off record. */
  failures = 0;
  /** lastFailureTime of the back-off record: when the last counted failed pod finished. */
  lastFailureMs: number | undefined;
  startedAtMs: number | undefined;
  /** Pod creations the API server rejected in a row (for the retry back-off). */
  createFailures = 0;
  private cancelBackoff: (() => void) | undefined;
  private cancelDeadline: (() => void) | undefined;

  constructor(private readonly timeScale = 1) {}

  /**
   * The latest state of one of the Job's pods, as the store changed it: a pod
   * removed between two syncs is judged by the state it went with (the real
   * controller's job-tracking finalizer keeps a pod until it has seen that).
   */
  note(pod: Pod): void {
    if (!this.counted.has(pod.metadata.uid)) this.seen.set(pod.metadata.uid, pod);
  }

  /** Pods deleted because the Job was suspended do not count as failures. */
  ignoreFailureOf(uid: string): void {
    this.ignored.add(uid);
  }

  /**
   * Counts pods that finished since the last sync. Without a podFailurePolicy
   * a pod being deleted counts as failed at once; with one, only once its
   * phase is Failed (isPodFailed / onlyReplaceFailedPods in job_controller.go).
   * A pod that vanished uncounted counts as failed, unless the policy ignores
   * the state it went with (an evicted pod's DisruptionTarget).
   */
  observe(pods: Pod[], nowMs: number, policy?: PodFailurePolicy): Observed {
    const out: Observed = { newSucceeded: 0, newFailed: 0 };
    const present = new Set(pods.map((p) => p.metadata.uid));
    const succeededAt: number[] = [];
    const failedAt: number[] = [];
    const fail = (uid: string, pod: Pod | undefined, finishedMs: number): void => {
      this.counted.add(uid);
      if (this.ignored.has(uid)) return;
      const match = pod ? matchPodFailurePolicy(policy, pod) : { countFailed: true };
      if (!match.countFailed) return;
      if (match.failJobMessage && out.failJobMessage === undefined) out.failJobMessage = match.failJobMessage;
      out.newFailed++;
      failedAt.push(finishedMs);
    };
    for (const p of pods) {
      const uid = p.metadata.uid;
      this.seen.set(uid, p);
      if (this.counted.has(uid)) continue;
      const phase = p.status?.phase;
      if (phase === 'Succeeded') {
        this.counted.add(uid);
        out.newSucceeded++;
        succeededAt.push(finishedTimeMs(p, this.timeScale));
      } else if (phase === 'Failed' || (!policy && p.metadata.deletionTimestamp)) {
        fail(uid, p, finishedTimeMs(p, this.timeScale));
      }
    }
    for (const [uid, last] of [...this.seen]) {
      if (present.has(uid)) continue;
      this.seen.delete(uid);
      if (!this.counted.has(uid)) fail(uid, last, nowMs);
    }
    this.updateBackoff(succeededAt, failedAt);
    return out;
  }

  /** newBackoffRecord: a success resets the count, except for failures that finished after it. */
  private updateBackoff(succeededAt: number[], failedAt: number[]): void {
    failedAt.sort((a, b) => a - b);
    if (succeededAt.length === 0) {
      if (failedAt.length === 0) return;
      this.failures += failedAt.length;
      this.lastFailureMs = failedAt[failedAt.length - 1];
      return;
    }
    const lastSuccess = Math.max(...succeededAt);
    const after = failedAt.filter((t) => t > lastSuccess);
    this.failures = after.length;
    this.lastFailureMs = after.length > 0 ? after[after.length - 1] : undefined;
  }

  /** Real milliseconds until a replacement pod may be created (getRemainingTime). */
  backoffRemainingMs(nowMs: number, scaledMs: (seconds: number) => number): number {
    if (this.failures === 0 || this.lastFailureMs === undefined) return 0;
    return Math.max(0, scaledMs(jobBackoffSeconds(this.failures)) - (nowMs - this.lastFailureMs));
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
