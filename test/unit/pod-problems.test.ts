import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { crashingInit, oomKilled, stuckContainer, stuckHint } from '../../src/kube/pod-problems.js';

// Container states as the kubelet reports them:
// https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-states
const pod = (status: V1Pod['status']): V1Pod => ({
  metadata: { name: 'p-1' },
  spec: { containers: [{ name: 'migrate', image: 'schemagate:x' }] },
  status,
});

describe('pod problems the runner fails fast on', () => {
  it.each(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError'])(
    'treats a container waiting with %s as stuck',
    (reason) => {
      const p = pod({
        containerStatuses: [
          {
            name: 'migrate',
            image: 'schemagate:x',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason, message: 'm' } },
          },
        ],
      });
      expect(stuckContainer(p)).toEqual({
        pod: 'p-1',
        container: 'migrate',
        init: false,
        reason,
        message: 'm',
        key: 'stuck/p-1/main/migrate/0',
      });
    },
  );

  it('does not treat ContainerCreating or PodInitializing as stuck', () => {
    for (const reason of ['ContainerCreating', 'PodInitializing', 'CrashLoopBackOff']) {
      const p = pod({
        containerStatuses: [
          { name: 'migrate', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason } } },
        ],
      });
      expect(stuckContainer(p)).toBeUndefined();
    }
  });

  it('finds a stuck init container too', () => {
    const p = pod({
      initContainerStatuses: [
        {
          name: 'wait-for-db',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "s" not found' } },
        },
      ],
    });
    expect(stuckContainer(p)).toMatchObject({ container: 'wait-for-db', init: true, message: 'secret "s" not found' });
  });

  it('names containers that were OOMKilled, now or in their last state', () => {
    const p = pod({
      containerStatuses: [
        {
          name: 'a',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 1,
          state: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
        },
        {
          name: 'b',
          image: 'x',
          imageID: '',
          ready: true,
          restartCount: 1,
          state: { running: {} },
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
        },
        { name: 'c', image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: {} } },
      ],
    });
    expect(oomKilled(p)).toEqual(['a', 'b']);
  });

  it('sees an init container in CrashLoopBackOff, or failed twice, as crashing', () => {
    const loop = pod({
      initContainerStatuses: [
        {
          name: 'verify-schema',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 8 } },
        },
      ],
    });
    expect(crashingInit(loop)).toMatchObject({
      container: 'verify-schema',
      reason: 'CrashLoopBackOff',
      message: 'exit code 8, restarted 3 times',
    });
    const once = pod({
      initContainerStatuses: [
        {
          name: 'verify-schema',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 1,
          state: { running: {} },
          lastState: { terminated: { exitCode: 8 } },
        },
      ],
    });
    expect(crashingInit(once)).toBeUndefined();
  });

  it('says how to get past each reason', () => {
    const p = { pod: 'p', container: 'c', init: false, message: '' };
    expect(stuckHint({ ...p, reason: 'ImagePullBackOff' }, 'schemagate:abc')).toContain(
      'kind load docker-image schemagate:abc',
    );
    expect(stuckHint({ ...p, reason: 'InvalidImageName' }, 'Bad')).toContain('repository names are lowercase');
    expect(stuckHint({ ...p, reason: 'CreateContainerConfigError' }, undefined)).toContain(
      'kubectl apply -f k8s/secrets.yaml',
    );
  });
});
