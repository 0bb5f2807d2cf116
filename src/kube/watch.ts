import type { Cluster } from './client.js';
import { sleep as realSleep } from '../util/time.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Meta {
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export interface ObserveOptions<T extends Meta> {
  cluster: Cluster;
  /** API path of the collection, e.g. `/apis/batch/v1/namespaces/app/jobs`. */
  path: string;
  /** Lists the collection with the same selectors as `query`. */
  list(): Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  query: { labelSelector?: string; fieldSelector?: string };
  /** The complete current state, after every (re-)list. */
  onSync(items: T[]): void;
  onEvent(type: WatchEventType, obj: T): void;
  signal: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Told when the watch is resumed or the list redone, and why. */
  onResume?: (why: string) => void;
}

/**
 * List, then watch from the list's resourceVersion (STYLE 8). A dropped watch
 * resumes from the last version seen (bookmarks included) with capped backoff;
 * `410 Gone` means that version is too old, so the list is done again. Runs
 * until `signal` aborts; the caller decides when it has seen enough.
 *
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
 */
export async function observe<T extends Meta>(opts: ObserveOptions<T>): Promise<void> {
  const sleep = opts.sleep ?? realSleep;
  const watcher = new opts.cluster.k8s.Watch(opts.cluster.kc);
  let rv: string | undefined;
  let failures = 0;
  while (!opts.signal.aborted) {
    if (rv === undefined) {
      try {
        const l = await opts.list();
        rv = l.metadata?.resourceVersion;
        opts.onSync(l.items);
        failures = 0;
      } catch (e) {
        if (opts.signal.aborted) return;
        failures++;
        if (failures > 5) throw e;
        opts.onResume?.(`list failed (${(e as Error).message}); retrying`);
        await sleep(Math.min(200 * 2 ** failures, 5000), opts.signal).catch(() => undefined);
        continue;
      }
    }
    const outcome = await new Promise<'gone' | 'closed' | 'error'>((resolve) => {
      let settled = false;
      const finish = (o: 'gone' | 'closed' | 'error') => {
        if (!settled) {
          settled = true;
          opts.signal.removeEventListener('abort', onAbort);
          resolve(o);
        }
      };
      let controller: AbortController | undefined;
      const onAbort = () => {
        controller?.abort();
        finish('closed');
      };
      opts.signal.addEventListener('abort', onAbort, { once: true });
      watcher
        .watch(
          opts.path,
          { ...opts.query, resourceVersion: rv, allowWatchBookmarks: true },
          (type: string, obj: T & { code?: number }) => {
            if (type === 'BOOKMARK') {
              rv = obj.metadata?.resourceVersion ?? rv;
              return;
            }
            if (type === 'ERROR') {
              if (obj.code === 410) {
                controller?.abort();
                finish('gone');
              }
              return;
            }
            rv = obj.metadata?.resourceVersion ?? rv;
            opts.onEvent(type as WatchEventType, obj);
          },
          (err: unknown) => {
            const status =
              (err as { statusCode?: number; code?: number } | null)?.statusCode ??
              (err as { code?: number } | null)?.code;
            finish(status === 410 ? 'gone' : err ? 'error' : 'closed');
          },
        )
        .then((c) => {
          controller = c;
          if (opts.signal.aborted) c.abort();
        })
        .catch(() => finish('error'));
    });
    if (opts.signal.aborted) return;
    if (outcome === 'gone') {
      opts.onResume?.("the watch's resourceVersion is too old (410 Gone): listing again");
      rv = undefined;
      continue;
    }
    if (outcome === 'error') {
      failures++;
      opts.onResume?.(`the watch failed; resuming from resourceVersion ${rv}`);
      await sleep(Math.min(100 * 2 ** failures, 5000), opts.signal).catch(() => undefined);
      // After repeated failures, start over with a fresh list.
      if (failures > 5) rv = undefined;
      continue;
    }
    failures = 0;
    opts.onResume?.(`the watch was closed; resuming from resourceVersion ${rv}`);
  }
}
