/**
 * What a rollout wait says while the backend's pods wait in their init
 * container `wait-for-dependencies`: once per pod, which dependencies it
 * waits for and up to when, then that container's own lines (`schemagate
 * wait` tells each target's last error), so `up` names the dependency that
 * holds the release. The last line per pod is kept for a timeout's message.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { Sleep } from '../util/time.js';
import type { KubeApi } from './api.js';
import { PodLogs } from './logs.js';
import { DEPENDENCIES_INIT_CONTAINER } from './render/dependency-init.js';

/** The targets a `wait` container's args name, as shown (options after `#` are schemagate's own). */
function targetsOf(pod: V1Pod): string[] {
  const c = pod.spec?.initContainers?.find((x) => x.name === DEPENDENCIES_INIT_CONTAINER);
  return (c?.args ?? []).filter((a) => a.includes('://')).map((a) => a.replace(/#.*$/, ''));
}

function deadlineOf(pod: V1Pod): string | undefined {
  const args = pod.spec?.initContainers?.find((x) => x.name === DEPENDENCIES_INIT_CONTAINER)?.args ?? [];
  const at = args.indexOf('--timeout');
  return at >= 0 ? args[at + 1] : undefined;
}

export class DependencyProgress {
  private readonly told = new Set<string>();
  private readonly last = new Map<string, string>();
  private readonly logs: PodLogs;

  constructor(
    api: KubeApi,
    sleep: Sleep,
    private readonly onProgress: (line: string) => void,
  ) {
    this.logs = new PodLogs(
      api,
      (line, pod) => {
        if (line.trim() === '') return;
        this.last.set(pod, line);
        this.onProgress(`pod ${pod}, ${DEPENDENCIES_INIT_CONTAINER}: ${line}`);
      },
      sleep,
    );
  }

  /** Looks at the pods: a pod whose `wait-for-dependencies` runs is announced, and its log followed. */
  look(pods: readonly V1Pod[]): void {
    for (const pod of pods) {
      const name = pod.metadata?.name;
      const s = pod.status?.initContainerStatuses?.find((x) => x.name === DEPENDENCIES_INIT_CONTAINER);
      if (!name || !s?.state?.running || this.told.has(name)) continue;
      this.told.add(name);
      const deadline = deadlineOf(pod);
      this.onProgress(
        `pod ${name} is in Init: ${DEPENDENCIES_INIT_CONTAINER} waits for ${targetsOf(pod).join(', ')}${deadline ? ` (up to ${deadline})` : ''}`,
      );
      this.logs.follow(name, DEPENDENCIES_INIT_CONTAINER, 1);
    }
  }

  /** The pods still waiting for a dependency when the wait ended, with their last line. */
  waiting(pods: readonly V1Pod[]): string[] {
    return pods.flatMap((pod) => {
      const name = pod.metadata?.name ?? '';
      const s = pod.status?.initContainerStatuses?.find((x) => x.name === DEPENDENCIES_INIT_CONTAINER);
      if (!s?.state?.running) return [];
      const line = this.last.get(name);
      return [
        `pod ${name} still waits in ${DEPENDENCIES_INIT_CONTAINER} for ${targetsOf(pod).join(', ')}${line ? ` (${line})` : ''}`,
      ];
    });
  }

  stop(): void {
    this.logs.stop();
  }
}
