/**
 * Pod phase and conditions from container statuses, as the kubelet computes
 * them. https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/
 */
import type { Condition } from '../types.js';
import type { RestartPolicy } from '../validation.js';

export type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export interface Terminated {
  exitCode: number;
  signal?: number;
  reason: string;
  message?: string;
  startedAt: string | null;
  finishedAt: string;
  containerID?: string;
}

/** A container's state as the kubelet keeps it: exactly one of the three. */
export type RunState =
  { waiting: { reason: string; message?: string } } | { running: { startedAt: string } } | { terminated: Terminated };

/** What the kubelet reports about one container (ContainerStatus, with its state kept exact). */
export interface ContainerStatus {
  name: string;
  state: RunState;
  lastState: { terminated?: Terminated };
  ready: boolean;
  started?: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
}

export interface PhaseInput {
  restartPolicy: RestartPolicy;
  initDone: boolean;
  initFailed: boolean;
  containers: ContainerStatus[];
}

function hasRun(s: ContainerStatus): boolean {
  return 'running' in s.state || 'terminated' in s.state || s.lastState.terminated !== undefined;
}

function exitCodeOf(s: ContainerStatus): number | undefined {
  if ('terminated' in s.state) return s.state.terminated.exitCode;
  return s.lastState.terminated?.exitCode;
}

/** https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-phase */
export function podPhase(input: PhaseInput): Phase {
  if (input.initFailed) return 'Failed';
  if (!input.initDone) return 'Pending';
  const cs = input.containers;
  if (cs.some((s) => 'waiting' in s.state && !hasRun(s))) return 'Pending';
  if (cs.some((s) => 'running' in s.state)) return 'Running';
  const failed = cs.filter((s) => (exitCodeOf(s) ?? 0) !== 0).length;
  switch (input.restartPolicy) {
    case 'Always':
      return 'Running';
    case 'OnFailure':
      return failed > 0 ? 'Running' : 'Succeeded';
    case 'Never':
      return failed > 0 ? 'Failed' : 'Succeeded';
  }
}

export interface ConditionInput {
  phase: Phase;
  initStatuses: ContainerStatus[];
  initDone: boolean;
  containers: ContainerStatus[];
  previous: Condition[];
  now: string;
}

function condition(
  previous: Condition[],
  now: string,
  type: string,
  ok: boolean,
  reason?: string,
  message?: string,
): Condition {
  const status = ok ? 'True' : 'False';
  const before = previous.find((c) => c.type === type);
  const c: Condition = {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: before && before.status === status ? (before.lastTransitionTime ?? now) : now,
  };
  if (!ok && reason) c.reason = reason;
  if (!ok && message) c.message = message;
  return c;
}

/** https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-conditions */
export function podConditions(input: ConditionInput): Condition[] {
  const { previous, now } = input;
  const terminal = input.phase === 'Succeeded' || input.phase === 'Failed';
  const incompleteInit = input.initStatuses
    .filter((s) => !('terminated' in s.state && s.state.terminated.exitCode === 0))
    .map((s) => s.name);
  const unready = input.containers.filter((s) => !s.ready).map((s) => s.name);
  const readyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';
  const readyMessage = terminal ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const initialized = input.initDone || (terminal && incompleteInit.length === 0);
  return [
    condition(
      previous,
      now,
      'Initialized',
      initialized,
      terminal && incompleteInit.length === 0 ? 'PodCompleted' : 'ContainersNotInitialized',
      `containers with incomplete status: [${incompleteInit.join(' ')}]`,
    ),
    condition(previous, now, 'Ready', !terminal && unready.length === 0, readyReason, readyMessage),
    condition(previous, now, 'ContainersReady', !terminal && unready.length === 0, readyReason, readyMessage),
    { ...condition(previous, now, 'PodScheduled', true) },
  ];
}
