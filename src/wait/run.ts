/**
 * Waits for every target at once: each is asked again with backoff (100 ms
 * doubling to 1 s) until it answers or the one deadline passes. Each attempt
 * has its own timeout, so a port that accepts and never answers costs one
 * attempt, not the wait. A failure waiting cannot fix (a wrong password)
 * stops every target at once. One AbortSignal cancels it all.
 */
import { type Clock, formatDuration, sleep as realSleep, systemClock } from '../util/time.js';
import { type Attempt, AttemptError } from './attempt.js';
import { describeAttempt, type Target, type TargetKind } from '../config/wait-target.js';
import { WaitError } from './wait-error.js';

export { WaitError };

export interface WaitOptions {
  /** The deadline of the whole wait, from its start. */
  timeoutMs: number;
  /** The deadline of one attempt (never past the whole wait's). @default 5000 */
  attemptTimeoutMs?: number;
  clock?: Clock;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  /** News of a target: a failed attempt (the first, a new error, then one every 5 s), or its answer. */
  onProgress?: (p: Progress) => void;
  /** What a hint tells the user to raise for a longer wait. @default "--timeout" */
  timeoutSetting?: string;
  /** How one attempt is made. @default the probe of the target's kind */
  probe?: (target: Target, attempt: Attempt) => Promise<string>;
}

export interface Progress {
  target: string;
  /** What the attempt did: `connect`, `GET /health`, `AUTH + PING`. */
  action: string;
  attempt: number;
  waitedMs: number;
  ok: boolean;
  /** The answer, or the last error. */
  message: string;
}

export interface TargetResult {
  target: string;
  kind: TargetKind;
  action: string;
  ok: boolean;
  attempts: number;
  waitedMs: number;
  answer?: string;
  /** The last error, when it did not answer. */
  error?: string;
  hint?: string;
  /** Waiting could not fix the error (a wrong password): the wait stopped at once. */
  permanent?: boolean;
}

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 1000;
/** A target that keeps failing the same way gets a progress line this often. */
const REPEAT_LINE_MS = 5000;

/** The line a progress event prints (stderr). */
export function progressLine(p: Progress): string {
  return p.ok
    ? `ready: ${p.target}: ${p.message} (attempt ${p.attempt}, ${formatDuration(p.waitedMs)})`
    : `waiting for ${p.target} (attempt ${p.attempt}, ${formatDuration(p.waitedMs)}): ${p.action}: ${p.message}`;
}

/** The target's probe, loaded when first needed: a `tcp://` wait never loads `pg`. */
export async function probeOf(target: Target, attempt: Attempt): Promise<string> {
  switch (target.kind) {
    case 'tcp':
      return (await import('./tcp.js')).probeTcp(target, attempt);
    case 'http':
      return (await import('./http.js')).probeHttp(target, attempt);
    case 'redis':
      return (await import('./redis.js')).probeRedis(target, attempt);
    case 'postgres':
      return (await import('./postgres.js')).probePostgres(target, attempt);
  }
}

/** A signal for one attempt: aborted by its own timeout (with an AttemptError) or by `parent`. */
export function attemptFor(parent: AbortSignal, ms: number): { attempt: Attempt; done: () => void } {
  const c = new AbortController();
  const onParent = () => c.abort(parent.reason);
  parent.addEventListener('abort', onParent, { once: true });
  const timer = setTimeout(() => c.abort(new AttemptError(`no answer within ${formatDuration(ms)}`)), ms);
  return {
    attempt: { signal: c.signal, timeoutMs: ms },
    done: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParent);
    },
  };
}

/**
 * Waits until every target answers; returns what each answered. Throws a
 * WaitError naming each target that did not, or the signal's reason when
 * the wait was cancelled.
 */
export async function waitForTargets(targets: readonly Target[], opts: WaitOptions): Promise<TargetResult[]> {
  const clock = opts.clock ?? systemClock;
  const sleep = opts.sleep ?? realSleep;
  const probe = opts.probe ?? probeOf;
  const attemptTimeoutMs = opts.attemptTimeoutMs ?? 5000;
  const started = clock.now();
  const deadline = started + opts.timeoutMs;
  // Stops every target: the caller's signal, or a failure that waiting cannot fix.
  const stop = new AbortController();
  // A function, not the property: the signal may abort while a probe runs, which TypeScript's narrowing cannot see.
  const stopped = (): boolean => stop.signal.aborted;
  const outer = opts.signal;
  const onOuter = () => stop.abort(outer?.reason);
  if (outer?.aborted) throw outer.reason;
  outer?.addEventListener('abort', onOuter, { once: true });

  const one = async (target: Target): Promise<TargetResult> => {
    const action = describeAttempt(target);
    const result: TargetResult = {
      target: target.display,
      kind: target.kind,
      action,
      ok: false,
      attempts: 0,
      waitedMs: 0,
    };
    let delay = FIRST_DELAY_MS;
    let shown: { message: string; at: number } | undefined;
    for (;;) {
      const budget = Math.min(attemptTimeoutMs, deadline - clock.now());
      if (stop.signal.aborted || (budget <= 0 && result.attempts > 0)) return result;
      result.attempts++;
      const { attempt, done } = attemptFor(stop.signal, Math.max(1, budget));
      try {
        result.answer = await probe(target, attempt);
        result.ok = true;
        result.waitedMs = clock.now() - started;
        delete result.error;
        delete result.hint;
        opts.onProgress?.({
          target: target.display,
          action,
          attempt: result.attempts,
          waitedMs: result.waitedMs,
          ok: true,
          message: result.answer,
        });
        return result;
      } catch (e) {
        // Stopped (cancelled, or another target failed for good): the reason is not this target's.
        if (stopped()) return result;
        const err =
          e instanceof AttemptError ? e : new AttemptError(e instanceof Error ? e.message : String(e), { cause: e });
        result.error = err.message;
        if (err.hint) result.hint = err.hint;
        else delete result.hint;
        if (err.permanent) {
          result.permanent = true;
          result.waitedMs = clock.now() - started;
          stop.abort(err);
          return result;
        }
      } finally {
        done();
      }
      const now = clock.now();
      result.waitedMs = now - started;
      if (!shown || shown.message !== result.error || now - shown.at >= REPEAT_LINE_MS) {
        shown = { message: result.error, at: now };
        opts.onProgress?.({
          target: target.display,
          action,
          attempt: result.attempts,
          waitedMs: result.waitedMs,
          ok: false,
          message: result.error,
        });
      }
      if (now >= deadline) return result;
      try {
        await sleep(Math.min(delay, deadline - now), stop.signal);
      } catch {
        return result;
      }
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  };

  try {
    const results = await Promise.all(targets.map(one));
    if (outer?.aborted) throw outer.reason;
    if (results.every((r) => r.ok)) return results;
    throw new WaitError(results, opts.timeoutMs, opts.timeoutSetting);
  } finally {
    outer?.removeEventListener('abort', onOuter);
  }
}
