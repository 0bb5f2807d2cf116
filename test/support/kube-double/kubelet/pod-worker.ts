/**
 * One pod's life on the node: init containers in order, then the containers,
 * restarts with back-off by restartPolicy, readiness, status reports, and
 * graceful termination (SIGTERM, then SIGKILL after the grace period).
 * https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/
 * https://kubernetes.io/docs/concepts/workloads/pods/init-containers/
 */
import { createHash, randomBytes } from 'node:crypto';
import { mustFind } from '../resources.js';
import type { Container, Pod, PodStatus } from '../types.js';
import { isRestartPolicy } from '../validation.js';
import { prepareContainer, type KubeletDeps } from './prepare.js';
import { startProcess, type RunningProcess } from './process.js';
import { startReadinessProbe } from './probes.js';
import { podConditions, podPhase, type ContainerStatus, type Phase } from './status.js';
import { materializeVolumes, mountsOf, VolumeError } from './volumes.js';
import { nextPodIp } from '../network/addresses.js';
import { unlessGone } from '../errors.js';

type Outcome = 'succeeded' | 'failed' | 'stopped';

/**
 * A failed volume mount is retried after 0.5 s, doubling, capped at 2 min: the
 * kubelet's volume operations back off this way
 * (pkg/util/goroutinemap/exponentialbackoff/exponential_backoff.go,
 * initialDurationBeforeRetry and maxDurationBeforeRetry).
 */
export function mountBackoffSeconds(failures: number): number {
  return Math.min(0.5 * 2 ** Math.max(failures - 1, 0), 120);
}

/** CrashLoopBackOff: the first restart is immediate, then 10 s doubling, capped at 5 min. */
export function crashBackoffSeconds(crashes: number): number {
  return crashes === 0 ? 0 : Math.min(10 * 2 ** (crashes - 1), 300);
}

function newStatus(c: Container, reason: string): ContainerStatus {
  const image = c.image ?? '';
  return {
    name: c.name,
    state: { waiting: { reason } },
    lastState: {},
    ready: false,
    started: false,
    restartCount: 0,
    image,
    imageID: '',
  };
}

export class PodWorker {
  private readonly inits: ContainerStatus[];
  private readonly mains: ContainerStatus[];
  private initDone: boolean;
  private initFailed = false;
  private terminating = false;
  private sidecarsStopping = false;
  private gone = false;
  private readonly procs = new Map<string, RunningProcess>();
  private readonly sleepers = new Set<() => void>();
  private readonly startTime: string;
  private readonly podIp = nextPodIp();
  private volumes = new Map<string, string>();
  private killTimer: (() => void) | undefined;
  readonly done: Promise<void>;

  constructor(
    private readonly deps: KubeletDeps,
    private readonly pod: Pod,
  ) {
    const inits = pod.spec.initContainers ?? [];
    const hasInit = inits.length > 0;
    this.inits = inits.map((c) => newStatus(c, 'PodInitializing'));
    this.mains = this.containers().map((c) => newStatus(c, hasInit ? 'PodInitializing' : 'ContainerCreating'));
    this.initDone = !hasInit;
    this.startTime = deps.clock.timestamp();
    this.pod.status = { ...(this.pod.status ?? {}), podIP: this.podIp };
    this.done = this.run().catch((err: unknown) => deps.onError(err, `kubelet pod ${this.label}`));
  }

  get uid(): string {
    return this.pod.metadata.uid;
  }

  get label(): string {
    return `${this.pod.metadata.namespace}/${this.pod.metadata.name}`;
  }

  get processCount(): number {
    return this.procs.size;
  }

  /** Read anew after each await: terminate() may have been called meanwhile. */
  private isTerminating(): boolean {
    return this.terminating;
  }

  private containers(): Container[] {
    return this.pod.spec.containers ?? [];
  }

  private initContainers(): Container[] {
    return this.pod.spec.initContainers ?? [];
  }

  /** The pod got a deletionTimestamp (or vanished): stop containers within the grace period. */
  terminate(graceSeconds: number, objectGone = false): void {
    if (objectGone) this.gone = true;
    if (this.terminating) return;
    this.terminating = true;
    for (const wake of [...this.sleepers]) wake();
    for (const [name, proc] of this.procs) {
      this.deps.events.record(this.pod, 'Normal', 'Killing', `Stopping container ${name}`, 'kubelet');
      proc.kill('SIGTERM');
    }
    this.killTimer = this.deps.clock.after(graceSeconds, () => this.killAll());
  }

  killAll(): void {
    for (const proc of this.procs.values()) proc.kill('SIGKILL');
  }

  private async run(): Promise<void> {
    this.writeStatus();
    // Volumes first: a missing ConfigMap or Secret keeps every container waiting (FailedMount, retried).
    let lastMountError = '';
    let mountFailures = 0;
    for (;;) {
      if (this.isTerminating()) {
        this.finishTermination();
        return;
      }
      try {
        this.volumes = materializeVolumes(this.deps.api, this.deps.root, this.pod);
        break;
      } catch (err) {
        if (!(err instanceof VolumeError)) throw err;
        if (err.message !== lastMountError)
          this.deps.events.record(this.pod, 'Warning', 'FailedMount', err.message, 'kubelet');
        lastMountError = err.message;
        await this.sleep(mountBackoffSeconds(++mountFailures));
      }
    }
    const sidecars: Promise<Outcome>[] = [];
    for (const [i, c] of this.initContainers().entries()) {
      if (c.restartPolicy === 'Always') {
        // A sidecar: the next init container starts once it runs; it keeps running beside the containers.
        let started!: () => void;
        const running = new Promise<void>((r) => (started = r));
        sidecars.push(this.runContainer(c, this.inits[i]!, 'sidecar', started));
        await Promise.race([running, sidecars[sidecars.length - 1]]);
        if (this.isTerminating()) return this.finishAfter(sidecars);
      } else {
        const outcome = await this.runContainer(c, this.inits[i]!, 'init');
        if (outcome === 'stopped') return this.finishAfter(sidecars);
        if (outcome === 'failed') {
          this.initFailed = true;
          await this.stopSidecars(sidecars);
          this.writeStatus();
          return;
        }
      }
      const next = this.inits[i + 1];
      if (next) next.state = { waiting: { reason: 'PodInitializing' } };
    }
    if (!this.initDone) {
      this.initDone = true;
      for (const s of this.mains) s.state = { waiting: { reason: 'ContainerCreating' } };
      this.writeStatus();
    }
    await Promise.all(this.containers().map((c, i) => this.runContainer(c, this.mains[i]!, 'main')));
    if (this.isTerminating()) return this.finishAfter(sidecars);
    // The containers are done: sidecars are stopped (they do not keep a Job's pod from completing).
    await this.stopSidecars(sidecars);
    this.writeStatus();
  }

  private async finishAfter(sidecars: Promise<Outcome>[]): Promise<void> {
    await Promise.all(sidecars);
    this.finishTermination();
  }

  private async stopSidecars(sidecars: Promise<Outcome>[]): Promise<void> {
    if (sidecars.length === 0) return;
    this.sidecarsStopping = true;
    for (const wake of [...this.sleepers]) wake();
    // In reverse order of their start, as the kubelet stops sidecars.
    const names = this.initContainers()
      .filter((c) => c.restartPolicy === 'Always')
      .map((c) => c.name)
      .reverse();
    for (const name of names) this.procs.get(name)?.kill('SIGTERM');
    const kill = this.deps.clock.after(this.pod.spec.terminationGracePeriodSeconds ?? 30, () => this.killAll());
    await Promise.all(sidecars);
    kill();
  }

  private sleep(seconds: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.sleepers.delete(wake);
        cancel();
        resolve();
      };
      const cancel = this.deps.clock.after(seconds, wake);
      this.sleepers.add(wake);
    });
  }

  private async runContainer(
    c: Container,
    status: ContainerStatus,
    kind: 'init' | 'sidecar' | 'main',
    onStarted: () => void = () => undefined,
  ): Promise<Outcome> {
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    const isInit = kind === 'init';
    const stopped = (): boolean => this.terminating || (kind === 'sidecar' && this.sidecarsStopping);
    for (let run = 0; ; run++) {
      if (stopped()) return 'stopped';
      const cfg = await prepareContainer(
        this.deps,
        this.pod,
        c,
        mountsOf(this.volumes, c),
        (reason, message) => {
          status.state = { waiting: message ? { reason, message } : { reason } };
          this.writeStatus();
        },
        (s) => this.sleep(s),
        stopped,
      );
      if (cfg === 'stopped') return 'stopped';
      const log = this.deps.logs.newRun(this.pod.metadata.uid, c.name);
      const proc = startProcess(cfg.argv, cfg.cwd, cfg.env, log);
      this.procs.set(c.name, proc);
      const containerID = `containerd://${randomBytes(32).toString('hex')}`;
      const startedAt = this.deps.clock.timestamp();
      if (run > 0) status.restartCount++;
      status.state = { running: { startedAt } };
      status.started = true;
      status.containerID = containerID;
      // An image with content has the digest of its files; any other a stable made-up one.
      const digest =
        this.deps.images.content(c.image ?? '')?.digest ??
        `sha256:${createHash('sha256')
          .update(c.image ?? '')
          .digest('hex')}`;
      status.imageID = `${cfg.qualifiedImage.replace(/:[^:/]*$/, '')}@${digest}`;
      status.image = cfg.qualifiedImage;
      const probe = !isInit ? c.readinessProbe : undefined;
      let stopProbe = (): void => undefined;
      if (!isInit) {
        if (probe) {
          stopProbe = startReadinessProbe(this.deps.clock, probe, c, cfg.env, cfg.cwd, (ready) => {
            if (this.procs.get(c.name) !== proc) return;
            status.ready = ready;
            this.writeStatus();
          });
        } else status.ready = true;
      }
      this.deps.events.record(this.pod, 'Normal', 'Started', `Started container ${c.name}`, 'kubelet');
      this.writeStatus();
      onStarted();
      const exit = await proc.exited;
      stopProbe();
      this.procs.delete(c.name);
      status.ready = false;
      status.started = false;
      const terminated = {
        exitCode: exit.exitCode,
        ...(exit.kind === 'exited' && exit.signal !== undefined ? { signal: exit.signal } : {}),
        reason: exit.kind === 'startError' ? 'StartError' : exit.exitCode === 0 ? 'Completed' : 'Error',
        ...(exit.kind === 'startError' ? { message: exit.message } : {}),
        startedAt: exit.kind === 'startError' ? '1970-01-01T00:00:00Z' : startedAt,
        finishedAt: this.deps.clock.timestamp(),
        containerID,
      };
      status.state = { terminated };
      if (stopped()) {
        this.writeStatus();
        return 'stopped';
      }
      const ok = exit.exitCode === 0;
      // A sidecar is restarted whatever the pod's restartPolicy.
      const restart =
        kind === 'sidecar' ||
        (isInit ? !ok && policy !== 'Never' : policy === 'Always' || (policy === 'OnFailure' && !ok));
      if (!restart) {
        this.writeStatus();
        return ok ? 'succeeded' : 'failed';
      }
      status.lastState = { terminated };
      const delay = crashBackoffSeconds(run);
      if (delay > 0) {
        const pod = this.pod.metadata;
        const message = `back-off ${delay}s restarting failed container=${c.name} pod=${pod.name}_${pod.namespace}(${pod.uid})`;
        status.state = { waiting: { reason: 'CrashLoopBackOff', message } };
        this.deps.events.record(this.pod, 'Warning', 'BackOff', 'Back-off restarting failed container', 'kubelet');
        this.writeStatus();
        await this.sleep(delay);
      } else this.writeStatus();
    }
  }

  private finishTermination(): void {
    this.killTimer?.();
    if (this.gone) return;
    const specInits = this.initContainers();
    // A sidecar stopped by the termination says nothing about how the pod ended.
    const all = [...this.inits.filter((_, i) => specInits[i]?.restartPolicy !== 'Always'), ...this.mains];
    const failed = all.some((s) => 'terminated' in s.state && s.state.terminated.exitCode !== 0);
    const ranAll = this.mains.every((s) => 'terminated' in s.state);
    // Since Kubernetes 1.27 the kubelet puts a deleted pod in a terminal phase before removing it.
    this.writeStatus(failed || !ranAll ? 'Failed' : 'Succeeded');
    const t = mustFind('pods');
    const m = this.pod.metadata;
    unlessGone(() => {
      this.deps.api.delete(t, m.namespace, m.name, { gracePeriodSeconds: 0, preconditions: { uid: m.uid } });
    });
  }

  private writeStatus(forcePhase?: Phase): void {
    if (this.gone) return;
    const t = mustFind('pods');
    const m = this.pod.metadata;
    const current = this.deps.api.tryGet(t, m.namespace, m.name);
    if (!current || current.metadata.uid !== m.uid) {
      this.gone = true;
      return;
    }
    const previous = current.status ?? {};
    const phaseBefore = previous.phase;
    const terminalBefore = phaseBefore === 'Succeeded' || phaseBefore === 'Failed';
    // Validation lets no other restartPolicy in; none is Always, the default.
    const rp = current.spec.restartPolicy;
    let phase: Phase = terminalBefore
      ? phaseBefore
      : (forcePhase ??
        podPhase({
          restartPolicy: isRestartPolicy(rp) ? rp : 'Always',
          initDone: this.initDone,
          initFailed: this.initFailed,
          containers: this.mains,
        }));
    // The kubelet reports a terminal phase only once every container, sidecars too, has stopped.
    if (!terminalBefore && !forcePhase && (phase === 'Succeeded' || phase === 'Failed') && this.procs.size > 0)
      phase = 'Running';
    const specInits = current.spec.initContainers ?? [];
    const sidecarStatuses = this.inits.filter((_, i) => specInits[i]?.restartPolicy === 'Always');
    const now = this.deps.clock.timestamp();
    const owned = podConditions({
      phase,
      initStatuses: this.inits,
      initDone: this.initDone,
      containers: [...sidecarStatuses, ...this.mains],
      previous: previous.conditions ?? [],
      now,
    });
    // Conditions others own (DisruptionTarget from an eviction, a readiness gate's) are kept.
    const others = (previous.conditions ?? []).filter((c) => !owned.some((o) => o.type === c.type));
    const status: PodStatus = {
      phase,
      conditions: [...others, ...owned],
      hostIP: '127.0.0.1',
      hostIPs: [{ ip: '127.0.0.1' }],
      podIP: this.podIp,
      podIPs: [{ ip: this.podIp }],
      startTime: this.startTime,
      // pkg/kubelet/kubelet_pods.go sorts the containers' statuses by name; init containers keep spec order.
      containerStatuses: structuredClone(this.mains).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      qosClass: previous.qosClass ?? 'BestEffort',
    };
    if (this.inits.length > 0) status.initContainerStatuses = structuredClone(this.inits);
    this.deps.api.update(t, m.namespace, m.name, { ...current, status }, { subresource: 'status' });
  }
}
