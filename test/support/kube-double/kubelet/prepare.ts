/**
 * Getting a container ready to start: pull its image (ErrImagePull,
 * ImagePullBackOff, InvalidImageName, ErrImageNeverPull), resolve its
 * environment (CreateContainerConfigError), and build the argv.
 * https://kubernetes.io/docs/concepts/containers/images/#imagepullbackoff
 * https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Api } from '../api.js';
import type { Clock } from '../clock.js';
import type { EventRecorder } from '../events.js';
import type { Container, Pod } from '../types.js';
import { ContainerConfigError, expand, resolveEnv } from './env.js';
import { qualifiedImage, type ImageRegistry } from './images.js';
import type { LogStore } from './logs.js';

export interface KubeletDeps {
  api: Api;
  clock: Clock;
  logs: LogStore;
  images: ImageRegistry;
  events: EventRecorder;
  onError: (err: unknown, where: string) => void;
  nodeName: string;
  /** The double's folder: pod volumes and claims live under it. */
  root: string;
  /** The preload that gives Node processes the pod's network, and the hosts file it reads. */
  network: { preload: string; hostsFile: string };
}

export interface ContainerConfig {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  qualifiedImage: string;
}

/** Image pull back-off: 10 s doubling, capped at 5 min (the kubelet's MaxContainerBackOff). */
export function pullBackoffSeconds(failures: number): number {
  return Math.min(10 * 2 ** failures, 300);
}

/** How long ErrImagePull shows before the kubelet reports ImagePullBackOff. */
const errImagePullSeconds = 1;
/** How often a container with a configuration error is retried (the pod worker's resync). */
const configRetrySeconds = 10;

/**
 * The container's working directory on the host: a `workingDir` inside a
 * volume's mountPath is that volume's folder (the process runs on the host,
 * where the mountPath does not exist); any other is taken as it is.
 */
export function workingDirOf(workingDir: string | undefined, mounts: Record<string, string>): string | undefined {
  if (workingDir === undefined) return undefined;
  // The deepest mount wins, as in a container's mount table.
  const mountPath = Object.keys(mounts)
    .filter((m) => workingDir === m || workingDir.startsWith(`${m.replace(/\/$/, '')}/`))
    .sort((a, b) => b.length - a.length)[0];
  if (mountPath === undefined) return workingDir;
  return join(mounts[mountPath] ?? '', workingDir.slice(mountPath.length));
}

export async function prepareContainer(
  deps: KubeletDeps,
  pod: Pod,
  c: Container,
  mounts: Record<string, string>,
  setWaiting: (reason: string, message?: string) => void,
  sleep: (seconds: number) => Promise<void>,
  terminating: () => boolean,
): Promise<ContainerConfig | 'stopped'> {
  const image = c.image ?? '';
  const pullPolicy = c.imagePullPolicy ?? 'IfNotPresent';
  let pullFailures = 0;
  let pulled = false;
  let lastConfigError = '';
  while (!terminating()) {
    const invalid = deps.images.invalidReason(image);
    if (invalid) {
      setWaiting('InvalidImageName', invalid);
      deps.events.record(pod, 'Warning', 'InspectFailed', invalid, 'kubelet');
      while (!terminating()) await sleep(300);
      return 'stopped';
    }
    if (pullPolicy === 'Never') {
      if (!deps.images.usableWithoutPull(image)) {
        const message = `Container image "${image}" is not present with pull policy of Never`;
        setWaiting('ErrImageNeverPull', message);
        deps.events.record(pod, 'Warning', 'ErrImageNeverPull', message, 'kubelet');
        await sleep(configRetrySeconds);
        continue;
      }
    } else if (!pulled) {
      const startedMs = Date.now();
      const r = deps.images.pull(image, pullPolicy);
      if (!r.ok) {
        // pkg/kubelet/images/image_manager.go: the error, then ErrImagePull, then the back-off.
        deps.events.record(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, 'kubelet');
        setWaiting('ErrImagePull', r.message);
        deps.events.record(pod, 'Warning', 'Failed', r.message, 'kubelet');
        deps.events.record(pod, 'Warning', 'Failed', 'Error: ErrImagePull', 'kubelet');
        await sleep(errImagePullSeconds);
        if (terminating()) break;
        setWaiting('ImagePullBackOff', `Back-off pulling image "${image}"`);
        deps.events.record(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`, 'kubelet');
        deps.events.record(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff', 'kubelet');
        await sleep(pullBackoffSeconds(pullFailures++));
        continue;
      }
      pulled = true;
      if (r.pulled) {
        const took = `${Date.now() - startedMs}ms`;
        deps.events.record(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, 'kubelet');
        deps.events.record(
          pod,
          'Normal',
          'Pulled',
          `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${r.size} bytes.`,
          'kubelet',
        );
      } else
        deps.events.record(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, 'kubelet');
    }
    let vars: Record<string, string>;
    try {
      vars = resolveEnv(deps.api, pod, c);
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      if (err.message !== lastConfigError) {
        setWaiting('CreateContainerConfigError', err.message);
        deps.events.record(pod, 'Warning', 'Failed', `Error: ${err.message}`, 'kubelet');
        lastConfigError = err.message;
      }
      await sleep(configRetrySeconds);
      continue;
    }
    // The container's environment: the pod spec's variables over PATH and HOME of the test process.
    const env: Record<string, string> = {};
    for (const key of ['PATH', 'HOME']) {
      const v = process.env[key];
      if (v !== undefined) env[key] = v;
    }
    env['HOSTNAME'] = pod.metadata.name;
    const img = deps.images.config(image);
    Object.assign(env, img.env ?? {}, vars);
    // The pod's network and volumes, for the double's preload and the images it emulates.
    const podIp = pod.status?.podIP ?? '127.0.0.1';
    Object.assign(env, {
      KUBE_DOUBLE_POD_IP: podIp,
      KUBE_DOUBLE_NAMESPACE: pod.metadata.namespace ?? 'default',
      KUBE_DOUBLE_DNS: deps.network.hostsFile,
      KUBE_DOUBLE_MOUNTS: JSON.stringify(mounts),
      // The container's own writable folder (its "root file system"), short enough for a Unix socket path.
      KUBE_DOUBLE_ROOTFS: join(
        deps.root,
        'r',
        `${pod.metadata.uid.slice(0, 8)}-${createHash('sha256').update(c.name).digest('hex').slice(0, 6)}`,
      ),
      NODE_OPTIONS: `--require "${deps.network.preload}"${vars['NODE_OPTIONS'] ? ` ${vars['NODE_OPTIONS']}` : ''}`,
    });
    // command/args are an argv (no shell); $(VAR) refers to the container's variables.
    // Without a command the image's ENTRYPOINT runs; without args, its CMD (unless a command was given).
    const command = c.command ?? img.entrypoint ?? [];
    const args = c.args ?? (c.command ? [] : (img.cmd ?? []));
    const argv = [...command, ...args].map((a) => expand(a, vars));
    return {
      argv,
      env,
      cwd: workingDirOf(c.workingDir, mounts) ?? img.workingDir ?? process.cwd(),
      qualifiedImage: qualifiedImage(image),
    };
  }
  return 'stopped';
}
