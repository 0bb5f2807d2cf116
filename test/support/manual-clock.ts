/**
 * A clock and a delay function that only move when a test says so: a wait's
 * deadline passes with `advance()`, without waiting for it.
 */
import { abortReason, type Clock, type Sleep } from '../../src/util/time.js';

interface Timer {
  at: number;
  resolve: () => void;
}

export class ManualClock implements Clock {
  private t = 0;
  private readonly timers = new Set<Timer>();

  now(): number {
    return this.t;
  }

  /** Resolves when `advance()` reaches `ms` from now; rejects with the signal's reason when it aborts. */
  readonly sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const timer: Timer = {
        at: this.t + ms,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.timers.delete(timer);
        if (signal) reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.add(timer);
    });

  /** Moves time forward and fires every timer that is due, earliest first. */
  advance(ms: number): void {
    this.t += ms;
    for (const timer of [...this.timers].sort((a, b) => a.at - b.at)) {
      if (timer.at > this.t) break;
      this.timers.delete(timer);
      timer.resolve();
    }
  }

  /** Timers waiting: a wait that settled leaves none behind. */
  get pending(): number {
    return this.timers.size;
  }
}
