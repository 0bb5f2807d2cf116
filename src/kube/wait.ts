/**
 * The one way schemagate waits on Kubernetes. A wait names its sources
 * (collections to list and then watch), says what the current state means
 * (`evaluate`: a result ends the wait, `undefined` waits on), and has one
 * deadline, one delay function and one AbortSignal. The Job wait, the
 * rollout wait and the deletion wait are each a short function on top.
 */
import type { Sleep } from '../util/time.js';
import type { KubeApi, Resource, ResourceTypes, Selectors } from './api.js';
import { observe } from './watch.js';

export interface Source<R extends Resource = Resource> {
  /** Names the source in progress lines, e.g. `pods of job/x`. */
  name: string;
  resource: R;
  /**
   * Fixed selectors, or derived from what the sources hold so far (the pods
   * of a Job by its uid). `undefined`: not known yet, so not watched yet; a
   * change of selectors starts the source over.
   */
  selectors: Selectors | ((view: View) => Selectors | undefined);
}

/** The current state: each source's objects, as of its last list and the watch events since. */
export interface View {
  items<R extends Resource>(source: Source<R>): ResourceTypes[R][];
  /** Whether the source has been listed (since its selectors last changed). */
  synced(source: Source): boolean;
}

export interface WaitSpec<T> {
  api: KubeApi;
  sources: readonly Source[];
  /** Called after every list and every event: a value ends the wait with it; `undefined` waits on. May throw. */
  evaluate(view: View): T | undefined;
  /**
   * When to evaluate again though nothing changed, in ms from now (a grace
   * period that ends, such as how long a pod may stay unschedulable), or
   * `undefined` for no such time. Asked after every evaluation that waits on.
   */
  recheck?: (view: View) => number | undefined;
  /** How long to wait, from now. */
  deadlineMs: number;
  /** The error when the deadline passes: it says what was waited for, and how far it got. */
  timeout(view: View): Error;
  signal: AbortSignal;
  sleep: Sleep;
  /** Told when a source resumes its watch or lists again, and why. */
  onResume?: (source: Source, why: string) => void;
}

interface SourceState {
  items: Map<string, { metadata?: { uid?: string; name?: string } }>;
  synced: boolean;
  /** The selectors being watched, as JSON; undefined while unknown. */
  key: string | undefined;
  stop: AbortController | undefined;
}

function keyOf(o: { metadata?: { uid?: string; name?: string } }): string {
  return o.metadata?.uid ?? o.metadata?.name ?? '';
}

/** A controller aborted with `parent`, or earlier on its own. */
function child(parent: AbortSignal): AbortController {
  const c = new AbortController();
  if (parent.aborted) c.abort();
  else parent.addEventListener('abort', () => c.abort(), { once: true });
  return c;
}

export function waitUntil<T>(spec: WaitSpec<T>): Promise<T> {
  const stop = new AbortController();
  const states = new Map<Source, SourceState>(
    spec.sources.map((s) => [s, { items: new Map(), synced: false, key: undefined, stop: undefined }]),
  );
  const state = (s: Source): SourceState => {
    const st = states.get(s);
    if (!st) throw new Error(`waitUntil: source "${s.name}" is not one of this wait's sources`);
    return st;
  };
  const view: View = {
    items: <R extends Resource>(s: Source<R>) => [...state(s).items.values()] as ResourceTypes[R][],
    synced: (s) => state(s).synced,
  };

  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      spec.signal.removeEventListener('abort', onAbort);
      stop.abort();
      done();
    };
    const fail = (e: unknown) => settle(() => reject(e instanceof Error ? e : new Error(String(e))));
    const onAbort = () => fail(spec.signal.reason ?? new Error('aborted'));

    const start = (source: Source, selectors: Selectors, st: SourceState) => {
      const own = child(stop.signal);
      st.stop = own;
      observe({
        api: spec.api,
        resource: source.resource,
        selectors,
        signal: own.signal,
        sleep: spec.sleep,
        onSync: (items) => {
          st.items = new Map(items.map((o) => [keyOf(o), o]));
          st.synced = true;
          changed();
        },
        onEvent: (type, o) => {
          if (type === 'DELETED') st.items.delete(keyOf(o));
          else st.items.set(keyOf(o), o);
          changed();
        },
        ...(spec.onResume ? { onResume: (why: string) => spec.onResume?.(source, why) } : {}),
      }).catch((e: unknown) => {
        // A source started over (new selectors) ends quietly; any other failure ends the wait.
        if (!own.signal.aborted) fail(e);
      });
    };

    /** Starts the sources whose selectors became known or changed. */
    const refresh = () => {
      for (const source of spec.sources) {
        const st = state(source);
        const selectors = typeof source.selectors === 'function' ? source.selectors(view) : source.selectors;
        const key = selectors === undefined ? undefined : JSON.stringify(selectors);
        if (key === st.key) continue;
        st.stop?.abort();
        st.items = new Map();
        st.synced = false;
        st.key = key;
        if (selectors) start(source, selectors, st);
      }
    };

    // The one pending re-evaluation (a grace period ending); a newer answer replaces it.
    let timer: AbortController | undefined;
    const rearm = () => {
      const ms = spec.recheck?.(view);
      timer?.abort();
      timer = undefined;
      if (ms === undefined) return;
      const own = child(stop.signal);
      timer = own;
      spec.sleep(Math.max(0, ms), own.signal).then(
        () => {
          if (timer === own) timer = undefined;
          changed();
        },
        (e: unknown) => {
          if (!own.signal.aborted) fail(e);
        },
      );
    };

    const changed = () => {
      if (settled) return;
      try {
        refresh();
        const result = spec.evaluate(view);
        if (result !== undefined) settle(() => resolve(result));
        else rearm();
      } catch (e) {
        fail(e);
      }
    };

    if (spec.signal.aborted) {
      onAbort();
      return;
    }
    spec.signal.addEventListener('abort', onAbort, { once: true });
    spec.sleep(spec.deadlineMs, stop.signal).then(
      () => {
        if (!settled) fail(spec.timeout(view));
      },
      (e: unknown) => {
        if (!stop.signal.aborted) fail(e);
      },
    );
    changed();
  });
}
