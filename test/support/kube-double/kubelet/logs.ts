/**
 * Container logs as the kubelet keeps them: one log per container run
 * (attempt), stdout and stderr interleaved line by line with a timestamp,
 * and followers that see new lines until the run ends.
 * https://kubernetes.io/docs/concepts/cluster-administration/logging/
 */
export interface LogLine {
  time: Date;
  text: string;
}

type Follower = (line: LogLine | null) => void;

export class ContainerRunLog {
  readonly lines: LogLine[] = [];
  done = false;
  private readonly followers = new Set<Follower>();
  private readonly partial = new Map<string, string>();

  /** Appends output of one stream; complete lines become visible at once. */
  append(stream: 'stdout' | 'stderr', chunk: string): void {
    const text = (this.partial.get(stream) ?? '') + chunk;
    const parts = text.split('\n');
    this.partial.set(stream, parts.pop() ?? '');
    for (const p of parts) this.push(p);
  }

  /** The run ended: flush partial lines and end every follower. */
  finish(): void {
    if (this.done) return;
    for (const rest of this.partial.values()) if (rest !== '') this.push(rest);
    this.partial.clear();
    this.done = true;
    for (const f of [...this.followers]) f(null);
    this.followers.clear();
  }

  /** Calls `f` for each new line, then with null when the run ends. Returns an unsubscribe function. */
  follow(f: Follower): () => void {
    if (this.done) {
      f(null);
      return () => undefined;
    }
    this.followers.add(f);
    return () => this.followers.delete(f);
  }

  private push(text: string): void {
    const line = { time: new Date(), text };
    this.lines.push(line);
    for (const f of [...this.followers]) f(line);
  }
}

export class LogStore {
  private readonly runs = new Map<string, ContainerRunLog[]>();

  /** Starts the log of a new run of a container. */
  newRun(podUid: string, container: string): ContainerRunLog {
    const key = `${podUid}/${container}`;
    const run = new ContainerRunLog();
    const list = this.runs.get(key) ?? [];
    list.push(run);
    this.runs.set(key, list);
    return run;
  }

  /** The runs of a container, oldest first. */
  runsOf(podUid: string, container: string): readonly ContainerRunLog[] {
    return this.runs.get(`${podUid}/${container}`) ?? [];
  }

  /** Forget a deleted pod's logs. */
  forget(podUid: string): void {
    for (const key of [...this.runs.keys()]) {
      if (key.startsWith(`${podUid}/`)) {
        for (const r of this.runs.get(key) ?? []) r.finish();
        this.runs.delete(key);
      }
    }
  }
}
