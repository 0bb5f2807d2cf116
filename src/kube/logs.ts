/**
 * The logs of a Job's pods: followed line by line, told in attempt order
 * (a re-attached wait replays attempt 1, then 2, then follows the running
 * one), and each pod's last lines kept for error messages.
 */
import { Writable } from 'node:stream';
import { redact } from '../redact.js';
import type { Sleep } from '../util/time.js';
import type { KubeApi } from './api.js';
import { hasStatus } from './errors.js';

/** Lines kept per pod, and shown in a failure. */
export const TAIL_LINES = 20;

/** How long a failure waits for a pod's stream to deliver its last lines before reading them instead. */
const DRAIN_MS = 2000;

interface Stream {
  pod: string;
  attempt: number;
  ended: boolean;
  /** Lines not yet told: an older attempt's stream is still replaying. */
  pending: string[];
  controller?: AbortController;
  done: Promise<void>;
}

/** What the end of a pod's log says, or why it could not be read. */
export interface LogTail {
  lines: string[];
  /** Set when the log could not be read (e.g. no permission for pods/log). */
  unreadable?: string;
}

/** A log read answers 400 while the container has not started, and 404 once the pod is gone. */
function noLogYet(e: unknown): boolean {
  return hasStatus(e, 400) || hasStatus(e, 404);
}

export class PodLogs {
  private readonly tails = new Map<string, string[]>();
  private readonly streams = new Map<string, Stream>();

  constructor(
    private readonly api: KubeApi,
    private readonly onLine: (line: string, pod: string, attempt: number) => void,
    private readonly sleep: Sleep,
    /** Told when a log cannot be followed for another reason than the container being gone. */
    private readonly onProblem: (line: string) => void = () => undefined,
  ) {}

  private keep(pod: string, line: string): void {
    const t = this.tails.get(pod) ?? [];
    t.push(line);
    if (t.length > TAIL_LINES) t.shift();
    this.tails.set(pod, t);
  }

  /** Tells pending lines of every attempt up to the oldest stream still replaying. */
  private deliver(all = false): void {
    const open = [...this.streams.values()].filter((s) => !s.ended).map((s) => s.attempt);
    const head = all || open.length === 0 ? Infinity : Math.min(...open);
    for (const s of [...this.streams.values()].sort((a, b) => a.attempt - b.attempt)) {
      if (s.attempt > head) break;
      for (const line of s.pending.splice(0)) this.onLine(line, s.pod, s.attempt);
    }
  }

  /** Starts following `pod`'s container once (a container must have started for its log to exist). */
  follow(pod: string, container: string, attempt: number): void {
    const key = `${pod}/${container}`;
    if (this.streams.has(key)) return;
    let partial = '';
    let ended: () => void = () => undefined;
    const stream: Stream = { pod, attempt, ended: false, pending: [], done: new Promise((r) => (ended = r)) };
    const end = () => {
      if (stream.ended) return;
      stream.ended = true;
      ended();
      this.deliver();
    };
    const emit = (line: string) => {
      const clean = redact(line.replace(/\r$/, ''));
      this.keep(pod, clean);
      stream.pending.push(clean);
      this.deliver();
    };
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        partial += chunk.toString('utf8');
        let i: number;
        while ((i = partial.indexOf('\n')) >= 0) {
          emit(partial.slice(0, i));
          partial = partial.slice(i + 1);
        }
        cb();
      },
      final(cb) {
        if (partial) emit(partial);
        partial = '';
        cb();
      },
    });
    sink.on('finish', end);
    this.streams.set(key, stream);
    this.api.followLog(pod, container, sink).then(
      (c) => {
        stream.controller = c;
      },
      (e: unknown) => {
        // A container already gone has its last lines read on demand instead (tail()).
        if (!noLogYet(e)) this.onProblem(`cannot follow the log of pod ${pod}: ${(e as Error).message}`);
        end();
      },
    );
  }

  /** Waits (at most 2 s) for the given streams to deliver their last lines: their containers have ended. */
  private async drainStreams(streams: Stream[]): Promise<void> {
    const open = streams.filter((s) => !s.ended);
    if (open.length === 0) return;
    const drained = new AbortController();
    const waited = this.sleep(DRAIN_MS, drained.signal).catch((e: unknown) => {
      // Cut short below, once the streams ended first.
      if (!drained.signal.aborted) throw e;
    });
    await Promise.race([Promise.all(open.map((s) => s.done)), waited]);
    drained.abort();
  }

  /** Lets every stream deliver its last lines (the Job is done, so its containers have ended). */
  drain(): Promise<void> {
    return this.drainStreams([...this.streams.values()]);
  }

  /** The last lines of `pod`: those streamed, else read from the API. */
  async tail(pod: string, container: string): Promise<LogTail> {
    const s = this.streams.get(`${pod}/${container}`);
    if (s) await this.drainStreams([s]);
    const have = this.tails.get(pod);
    if (have && have.length > 0) return { lines: [...have] };
    try {
      const text = await this.api.readLog(pod, container, { tailLines: TAIL_LINES });
      return {
        lines: text
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => redact(l)),
      };
    } catch (e) {
      if (noLogYet(e)) return { lines: [] };
      return { lines: [], unreadable: (e as Error).message };
    }
  }

  /** Stops every stream; lines still pending are told, in attempt order. */
  stop(): void {
    for (const s of this.streams.values()) s.controller?.abort();
    this.deliver(true);
    this.streams.clear();
  }
}
