import type { V1ContainerState, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { failedDependencyWait, needsReplacing } from '../../src/kube/pod-problems.js';

// An init container that fails is restarted (restartPolicy Always), and the pod stays in Init:
// https://kubernetes.io/docs/concepts/workloads/pods/init-containers/#detailed-behavior
const pod = (state: V1ContainerState, lastState: V1ContainerState = {}, restartCount = 0): V1Pod => ({
  metadata: { name: 'backend-abc', uid: 'u1' },
  spec: {
    initContainers: [{ name: 'wait-for-dependencies', args: ['wait', 'redis://redis:6379'] }],
    containers: [{ name: 'backend' }],
  },
  status: {
    phase: 'Pending',
    initContainerStatuses: [
      { name: 'wait-for-dependencies', image: 'x', imageID: '', ready: false, restartCount, state, lastState },
    ],
  },
});

describe("the rollout judges the backend's wait-for-dependencies", () => {
  it('fails at its first non-zero exit: it already waited its whole deadline (backend.waitTimeout)', () => {
    expect(failedDependencyWait(pod({ terminated: { exitCode: 5, reason: 'Error' } }))).toMatchObject({
      pod: 'backend-abc',
      container: 'wait-for-dependencies',
      init: true,
      reason: 'Error',
      message: 'exit code 5: not every dependency answered',
    });
    // Restarted at once by the kubelet: the failed run is in lastState.
    expect(
      failedDependencyWait(pod({ running: { startedAt: new Date() } }, { terminated: { exitCode: 5 } }, 1)),
    ).toMatchObject({ reason: 'Error', message: 'exit code 5: not every dependency answered' });
  });

  it('waits on while it runs, and not once it succeeded', () => {
    expect(failedDependencyWait(pod({ running: { startedAt: new Date() } }))).toBeUndefined();
    expect(
      failedDependencyWait(pod({ terminated: { exitCode: 0 } }, { terminated: { exitCode: 5 } }, 1)),
    ).toBeUndefined();
  });

  it('is a pod a re-run replaces, so that it waits anew from now', () => {
    expect(
      needsReplacing(pod({ waiting: { reason: 'CrashLoopBackOff' } }, { terminated: { exitCode: 5 } }, 1)),
    ).toMatchObject({
      container: 'wait-for-dependencies',
      reason: 'CrashLoopBackOff',
    });
  });
});
