/**
 * Shared set-up for the double's own tests: a double with a small time scale,
 * client-node APIs bound to its kubeconfig, a fresh namespace per test, and
 * a polling wait with a deadline that names what it waited for.
 */
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  type V1PodStatus,
  type V1Status,
} from '@kubernetes/client-node';
import {
  startKubeDouble,
  type KubeDouble,
  type KubeDoubleOptions,
  type KubeObject,
} from '../support/kube-double/index.js';

export interface Harness {
  double: KubeDouble;
  kc: KubeConfig;
  core: CoreV1Api;
  batch: BatchV1Api;
  apps: AppsV1Api;
  objects: KubernetesObjectApi;
  /** Creates a fresh namespace and returns its name. */
  namespace(prefix?: string): Promise<string>;
}

/** Kubernetes' 10 s become 10 ms: back-off, grace periods and TTLs pass quickly. */
export const testTimeScale = 0.001;

let counter = 0;

export async function startHarness(options: KubeDoubleOptions = {}): Promise<Harness> {
  const double = await startKubeDouble({ timeScale: testTimeScale, ...options });
  const kc = new KubeConfig();
  kc.loadFromFile(double.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    double,
    kc,
    core,
    batch: kc.makeApiClient(BatchV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    objects: KubernetesObjectApi.makeApiClient(kc),
    async namespace(prefix = 'test') {
      const name = `${prefix}-${process.pid}-${++counter}`;
      await core.createNamespace({ body: { metadata: { name } } });
      return name;
    },
  };
}

/** Polls `probe` until it returns a value other than undefined/false; fails naming `what` after the deadline. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why =
        last === undefined ? '' : ` (last error: ${last instanceof Error ? String(last) : JSON.stringify(last)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The log of pod `name`, once it has finished (Succeeded or Failed). */
export async function logOfFinishedPod(h: Harness, ns: string, name: string, timeoutMs = 60_000): Promise<string> {
  await waitFor(
    `${name} finished`,
    async () => {
      const p = await h.core.readNamespacedPod({ namespace: ns, name });
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
    },
    timeoutMs,
  );
  return h.core.readNamespacedPodLog({ namespace: ns, name });
}

/** `node -e <script>` as a container command: no shell, an argv. */
export function nodeCommand(script: string): string[] {
  return [process.execPath, '-e', script];
}

export function jobManifest(
  name: string,
  script: string,
  extra: {
    backoffLimit?: number;
    restartPolicy?: 'Never' | 'OnFailure';
    image?: string;
    spec?: object;
    container?: object;
  } = {},
) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      backoffLimit: extra.backoffLimit ?? 0,
      ...extra.spec,
      template: {
        spec: {
          restartPolicy: extra.restartPolicy ?? 'Never',
          containers: [
            { name: 'main', image: extra.image ?? 'node:20', command: nodeCommand(script), ...extra.container },
          ],
        },
      },
    },
  };
}

export function conditionTypes(
  obj: { status?: { conditions?: { type: string; status: string }[] } } | undefined,
): string[] {
  return (obj?.status?.conditions ?? []).filter((c) => c.status === 'True').map((c) => c.type);
}

/** A stored pod's status, in client-node's model (the double stores pods as the API's JSON). */
export function podStatus(pod: KubeObject | undefined): V1PodStatus | undefined {
  return pod?.['status'] as V1PodStatus | undefined;
}

/** The Status a refused API call answered (client-node's ApiException carries the response body as text). */
export function statusOf(err: unknown): V1Status {
  return JSON.parse((err as { body: string }).body) as V1Status;
}
