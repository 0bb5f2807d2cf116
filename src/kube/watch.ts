/**
 * List, then watch from the list's resourceVersion: the one way schemagate
 * follows a collection. A dropped watch resumes from the last version seen
 * (bookmarks included) with capped backoff; `410 Gone` means that version is
 * too old, so the list is done again. Runs until its signal aborts; the
 * caller decides when it has seen enough.
 *
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
 */
import type { Sleep } from '../util/time.js';
import type { KubeApi, Resource, ResourceTypes, Selectors } from './api.js';
import { httpStatus } from './errors.js';
import { KubeApiError } from '../errors.js';

export interface ObserveOptions<R extends Resource> {
  api: KubeApi;
  resource: R;
  selectors: Selectors;
  /** The complete current state, after every (re-)list. */
  onSync(items: ResourceTypes[R][]): void;
  onEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: ResourceTypes[R]): void;
  signal: AbortSignal;
  sleep: Sleep;
  /** Told when the watch is resumed or the list redone, and why. */
  onResume?: (why: string) => void;
}

/** Consecutive failures after which a list error is given up on, or a watch starts over with a list. */
const MAX_FAILURES = 5;

/** Failures that another try cannot fix: a wrong request, or no permission. */
function permanent(e: unknown): boolean {
  const status = e instanceof KubeApiError ? e.status : httpStatus(e);
  return status !== undefined && status >= 400 && status < 500 && status !== 410 && status !== 429;
}

function backoff(failures: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** failures, 5000);
}

type Outcome = 'gone' | 'closed' | { error: unknown };

/** One watch request, from `resourceVersion` until the server ends it, it fails, or `signal` aborts. */
function watchOnce<R extends Resource>(opts: ObserveOptions<R>, rv: { value: string | undefined }): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    let controller: AbortController | undefined;
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      opts.signal.removeEventListener('abort', onAbort);
      controller?.abort();
      resolve(o);
    };
    const onAbort = () => finish('closed');
    // Aborted already (by what the last list showed): no request at all.
    if (opts.signal.aborted) {
      resolve('closed');
      return;
    }
    opts.signal.addEventListener('abort', onAbort, { once: true });
    opts.api
      .watch(
        opts.resource,
        { ...opts.selectors, ...(rv.value === undefined ? {} : { resourceVersion: rv.value }) },
        {
          onEvent: (type, obj) => {
            if (settled) return;
            if (type === 'ERROR') {
              // The API server ends a watch from a compacted version with an ERROR event carrying a 410 Status.
              finish(obj.code === 410 ? 'gone' : { error: new Error(`watch error: ${JSON.stringify(obj)}`) });
              return;
            }
            rv.value = obj.metadata?.resourceVersion ?? rv.value;
            if (type !== 'BOOKMARK') opts.onEvent(type, obj);
          },
          onDone: (err) => {
            if (err === undefined) finish('closed');
            else finish(httpStatus(err) === 410 ? 'gone' : { error: err });
          },
        },
      )
      .then(
        (c) => {
          controller = c;
          if (settled) c.abort();
        },
        (e: unknown) => finish({ error: e }),
      );
  });
}

export async function observe<R extends Resource>(opts: ObserveOptions<R>): Promise<void> {
  // A function, not the property: it changes while this awaits, which narrowing cannot know.
  const aborted = () => opts.signal.aborted;
  const rv: { value: string | undefined } = { value: undefined };
  let listed = false;
  let failures = 0;
  const pause = (ms: number) =>
    opts.sleep(ms, opts.signal).catch((e: unknown) => {
      // Aborted: the loop below sees the signal and ends.
      if (!aborted()) throw e;
    });
  while (!aborted()) {
    if (!listed) {
      try {
        const l = await opts.api.list(opts.resource, opts.selectors);
        if (aborted()) return;
        rv.value = l.metadata?.resourceVersion;
        listed = true;
        failures = 0;
        opts.onSync(l.items);
      } catch (e) {
        if (aborted()) return;
        if (permanent(e) || ++failures > MAX_FAILURES) throw e;
        opts.onResume?.(`list failed (${e instanceof Error ? e.message : String(e)}); retrying`);
        await pause(backoff(failures, 200));
        continue;
      }
    }
    const outcome = await watchOnce(opts, rv);
    if (aborted()) return;
    if (outcome === 'gone') {
      opts.onResume?.("the watch's resourceVersion is too old (410 Gone): listing again");
      listed = false;
      continue;
    }
    if (outcome === 'closed') {
      failures = 0;
      opts.onResume?.(`the watch was closed; resuming from resourceVersion ${rv.value}`);
      continue;
    }
    if (permanent(outcome.error)) throw outcome.error;
    failures++;
    opts.onResume?.(`the watch failed; resuming from resourceVersion ${rv.value}`);
    await pause(backoff(failures, 100));
    // After repeated failures, start over with a fresh list.
    if (failures > MAX_FAILURES) listed = false;
  }
}
