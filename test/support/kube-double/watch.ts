/**
 * Watch streams: newline-delimited JSON events from a resourceVersion, with
 * bookmarks, 410 Gone for a forgotten resourceVersion, and a switch to drop
 * every open stream (so clients' resumption can be tested).
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
 */
import type { ServerResponse } from 'node:http';
import type { Clock } from './clock.js';
import { gone } from './errors.js';
import { apiVersionOf, resourceKey, type ResourceType } from './resources.js';
import { matchesFields, matchesLabels, type FieldRequirement, type LabelSelector } from './selectors.js';
import type { Store } from './store.js';
import type { KubeObject, StoreEvent } from './types.js';

export interface WatchRequest {
  type: ResourceType;
  namespace: string | undefined;
  labels: LabelSelector;
  fields: FieldRequirement[];
  /** undefined, "" or "0": start with ADDED events for what exists now. */
  resourceVersion: string | undefined;
  allowBookmarks: boolean;
  timeoutSeconds: number | undefined;
}

/** The API server sends a bookmark about once a minute (scaled by the clock). */
const bookmarkEverySeconds = 60;

export class WatchHub {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  get openCount(): number {
    return this.open.size;
  }

  /** Ends every open watch response, as when an API server restarts or a proxy times out. */
  dropAll(): void {
    for (const end of [...this.open]) end();
  }

  serve(req: WatchRequest, res: ServerResponse): void {
    const key = resourceKey(req.type);
    const inScope = (o: KubeObject): boolean =>
      (req.namespace === undefined || o.metadata.namespace === req.namespace) &&
      matchesLabels(req.labels, o.metadata.labels) &&
      matchesFields(req.fields, o);
    const write = (type: string, object: unknown): void => {
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();

    let lastRevision = 0;
    const send = (e: StoreEvent): void => {
      lastRevision = e.resourceVersion;
      if (e.resource !== key) return;
      const now = inScope(e.object);
      const before = e.previous ? inScope(e.previous) : false;
      // An object that starts or stops matching the selector is ADDED or DELETED for this watch.
      if (e.type === 'MODIFIED' && now && !before) write('ADDED', e.object);
      else if (e.type === 'MODIFIED' && !now && before) write('DELETED', e.object);
      else if (now) write(e.type, e.object);
    };

    const rv = req.resourceVersion;
    if (rv === undefined || rv === '' || rv === '0') {
      for (const o of this.store.list(req.type, req.type.namespaced ? req.namespace : undefined)) {
        if (inScope(o)) write('ADDED', o);
      }
      lastRevision = this.store.currentRevision;
    } else {
      const from = Number(rv);
      const backlog = Number.isInteger(from) ? this.store.eventsSince(from) : 'gone';
      if (backlog === 'gone') {
        // The API server answers 200 and sends the 410 as an ERROR event, then closes.
        write('ERROR', gone(from, this.store.oldestWatchable).status);
        res.end();
        return;
      }
      lastRevision = from;
      for (const e of backlog) send(e);
    }

    const unsubscribe = this.store.subscribe(send);
    const cancels: (() => void)[] = [];
    const end = (): void => {
      if (!this.open.delete(end)) return;
      unsubscribe();
      for (const c of cancels) c();
      res.end();
    };
    this.open.add(end);
    res.on('close', end);
    if (req.timeoutSeconds !== undefined && req.timeoutSeconds > 0) {
      cancels.push(this.clock.afterMs(req.timeoutSeconds * 1000, end));
    }
    if (req.allowBookmarks) {
      const bookmark = (): void => {
        write('BOOKMARK', {
          kind: req.type.kind,
          apiVersion: apiVersionOf(req.type),
          metadata: { resourceVersion: String(Math.max(lastRevision, this.store.currentRevision)) },
        });
        cancels.push(this.clock.after(bookmarkEverySeconds, bookmark));
      };
      cancels.push(this.clock.after(bookmarkEverySeconds, bookmark));
    }
  }
}
