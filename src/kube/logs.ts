import { Writable } from 'node:stream';
import { redact } from '../redact.js';
import type { Cluster } from './client.js';

const KEEP = 20;

/**
 * Follows the logs of a Job's pods, line by line, each line told to `onLine`
 * with its attempt number; keeps each pod's last lines for error messages.
 */
export class PodLogs {
  private readonly tails = new Map<string, string[]>();
  private readonly streams = new Map<string, { controller?: AbortController; done: Promise<void> }>();

  constructor(
    private readonly cluster: Cluster,
    private readonly namespace: string,
    private readonly onLine: (line: string, pod: string, attempt: number) => void,
  ) {}

  private push(pod: string, line: string): void {
    const t = this.tails.get(pod) ?? [];
    t.push(line);
    if (t.length > KEEP) t.shift();
    this.tails.set(pod, t);
  }

  /** Starts following `pod`'s container once (a container must have started for its log to exist). */
  follow(pod: string, container: string, attempt: number): void {
    const key = `${pod}/${container}`;
    if (this.streams.has(key)) return;
    let pending = '';
    const emit = (line: string) => {
      const clean = redact(line.replace(/\r$/, ''));
      this.push(pod, clean);
      this.onLine(clean, pod, attempt);
    };
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((r) => (resolveDone = r));
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        pending += chunk.toString('utf8');
        let i: number;
        while ((i = pending.indexOf('\n')) >= 0) {
          emit(pending.slice(0, i));
          pending = pending.slice(i + 1);
        }
        cb();
      },
      final(cb) {
        if (pending) emit(pending);
        pending = '';
        cb();
      },
    });
    sink.on('finish', () => resolveDone());
    const entry: { controller?: AbortController; done: Promise<void> } = { done };
    this.streams.set(key, entry);
    const log = new this.cluster.k8s.Log(this.cluster.kc);
    log
      .log(this.namespace, pod, container, sink, { follow: true })
      .then((c) => {
        entry.controller = c;
      })
      .catch(() => {
        // The container may be gone already: the last lines are fetched on demand instead.
        this.streams.delete(key);
        resolveDone();
      });
  }

  /** The last lines of `pod` (fetched from the API when they were not streamed). */
  async tail(pod: string, container: string): Promise<string[]> {
    const key = `${pod}/${container}`;
    const s = this.streams.get(key);
    if (s) await Promise.race([s.done, new Promise((r) => setTimeout(r, 2000))]);
    const have = this.tails.get(pod);
    if (have && have.length > 0) return have;
    try {
      const text = await this.cluster.core.readNamespacedPodLog({
        name: pod,
        namespace: this.namespace,
        container,
        tailLines: KEEP,
      });
      return String(text)
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => redact(l));
    } catch {
      return [];
    }
  }

  stop(): void {
    for (const s of this.streams.values()) s.controller?.abort();
    this.streams.clear();
  }
}
