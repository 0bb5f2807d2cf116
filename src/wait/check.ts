/**
 * One look at each target, for a report (the backend's /health): a single
 * attempt with its own timeout, through the same probes `schemagate wait`
 * uses (a Redis PING, an HTTP GET...), never a wait. All targets at once.
 */
import type { Target, TargetKind } from '../config/wait-target.js';
import { redact } from '../redact.js';
import { attemptFor, probeOf } from './run.js';

export interface TargetState {
  /** As shown everywhere: the password replaced by `***`. */
  target: string;
  kind: TargetKind;
  ok: boolean;
  /** The answer (`PONG`, `200 OK`...), when it answered. */
  answer?: string;
  /** Why it did not. */
  error?: string;
}

/** A target whose password could not be read still gets a line saying why. */
export type Checkable = Target | { display: string; kind: TargetKind; problem: string };

export async function checkTargets(targets: readonly Checkable[], timeoutMs: number): Promise<TargetState[]> {
  const never = new AbortController().signal;
  return Promise.all(
    targets.map(async (t): Promise<TargetState> => {
      if ('problem' in t) return { target: t.display, kind: t.kind, ok: false, error: t.problem };
      const { attempt, done } = attemptFor(never, timeoutMs);
      try {
        return { target: t.display, kind: t.kind, ok: true, answer: await probeOf(t, attempt) };
      } catch (e) {
        const error = redact(e instanceof Error ? e.message : String(e));
        return { target: t.display, kind: t.kind, ok: false, error };
      } finally {
        done();
      }
    }),
  );
}
