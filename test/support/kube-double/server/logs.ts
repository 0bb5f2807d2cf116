/**
 * GET pods/NAME/log: container, previous, follow, tailLines, limitBytes,
 * sinceSeconds, timestamps, with the API server's 400s for a container that
 * has not started or has no previous run.
 * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#get-read-log-of-the-specified-pod
 */
import type { ServerResponse } from 'node:http';
import type { Api } from '../api.js';
import { badRequest } from '../errors.js';
import type { LogLine, LogStore } from '../kubelet/logs.js';
import { mustFind } from '../resources.js';
import type { ContainerStatus } from '../types.js';

export interface LogQuery {
  container: string | null;
  previous: boolean;
  follow: boolean;
  tailLines: number | undefined;
  limitBytes: number | undefined;
  sinceSeconds: number | undefined;
  timestamps: boolean;
}

function waitingText(reason: string): string {
  if (reason === 'ImagePullBackOff') return 'trying and failing to pull image';
  if (reason === 'ErrImagePull') return "image can't be pulled";
  return reason;
}

export function serveLog(
  api: Api,
  logs: LogStore,
  namespace: string,
  name: string,
  q: LogQuery,
  res: ServerResponse,
): void {
  const pod = api.get(mustFind('pods'), namespace, name);
  const containers = pod.spec.containers ?? [];
  const inits = pod.spec.initContainers ?? [];
  let container = q.container;
  if (!container) {
    if (containers.length !== 1) {
      const names = containers.map((c) => c.name).join(' ');
      const initNames =
        inits.length > 0 ? ` or one of the init containers: [${inits.map((c) => c.name).join(' ')}]` : '';
      throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names}]${initNames}`);
    }
    container = containers[0]?.name ?? '';
  }
  if (![...containers, ...inits].some((c) => c.name === container)) {
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  }
  const runs = logs.runsOf(pod.metadata.uid, container);
  const statuses: ContainerStatus[] = [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []),
  ];
  const status = statuses.find((s) => s.name === container);
  const run = q.previous ? runs[runs.length - 2] : runs[runs.length - 1];
  if (!run) {
    if (q.previous) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    const reason = status?.state?.waiting?.reason ?? 'ContainerCreating';
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${waitingText(reason)}`);
  }

  res.writeHead(200, { 'Content-Type': 'text/plain' });
  const since = q.sinceSeconds !== undefined ? Date.now() - q.sinceSeconds * 1000 : undefined;
  let budget = q.limitBytes ?? Infinity;
  const format = (l: LogLine): string =>
    q.timestamps ? `${l.time.toISOString().replace('Z', '000000Z')} ${l.text}\n` : `${l.text}\n`;
  const emit = (l: LogLine): boolean => {
    if (since !== undefined && l.time.getTime() < since) return true;
    let text = format(l);
    if (Buffer.byteLength(text) > budget) text = Buffer.from(text).subarray(0, budget).toString();
    budget -= Buffer.byteLength(text);
    res.write(text);
    return budget > 0;
  };
  let lines = run.lines.slice();
  if (q.tailLines !== undefined) lines = q.tailLines <= 0 ? [] : lines.slice(-q.tailLines);
  for (const l of lines) {
    if (!emit(l)) {
      res.end();
      return;
    }
  }
  if (!q.follow || run.done) {
    res.end();
    return;
  }
  const stop = run.follow((l) => {
    if (l === null || !emit(l)) {
      stop();
      res.end();
    }
  });
  res.on('close', stop);
}
