/**
 * What a wait remembers between evaluations, so its verdicts judge only what
 * is current: when it first saw each state (on its own clock, for grace
 * periods), and which states were already there when it began (a re-run must
 * not fail on what the last run left behind: a pod's old back-off, an old
 * event). A state is named by a key that changes when the state does (a
 * container's restart count, an event's count).
 */
import type { Clock } from '../util/time.js';

export interface Memory {
  /** The wait's clock, as of this evaluation. */
  readonly now: number;
  /** When the wait first saw `key`, on its clock (`now` for a key it has not recorded). */
  firstSeen(key: string): number;
  /** Whether `key` was there at the wait's first complete look, on something it attached to (not created). */
  stale(key: string): boolean;
}

export class WaitMemory implements Memory {
  private readonly seen = new Map<string, number>();
  private baseline: ReadonlySet<string> | undefined;
  now: number;

  /**
   * @param existing whether the waited-for object was there before this run
   *   (attached to, not created or replaced): then what the first complete
   *   look shows is stale until it changes.
   */
  constructor(
    private readonly clock: Clock,
    private readonly existing: boolean,
  ) {
    this.now = clock.now();
  }

  /** Records the state keys of one look; the first complete one (every source listed) is the baseline. */
  look(keys: Iterable<string>, complete: boolean): this {
    this.now = this.clock.now();
    const all = [...keys];
    for (const k of all) if (!this.seen.has(k)) this.seen.set(k, this.now);
    if (complete && this.baseline === undefined) this.baseline = new Set(this.existing ? all : []);
    return this;
  }

  firstSeen(key: string): number {
    return this.seen.get(key) ?? this.now;
  }

  stale(key: string): boolean {
    // Until the first complete look, everything seen may be old: judge nothing yet.
    return this.baseline === undefined ? this.existing : this.baseline.has(key);
  }
}
