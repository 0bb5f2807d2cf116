/**
 * A Kubernetes API double for end-to-end tests: an HTTP API server that the
 * real @kubernetes/client-node talks to, with the Job, Deployment,
 * ReplicaSet, namespace, TTL and garbage-collection controllers and a kubelet
 * that runs containers as local processes. See test/support/README.md.
 *
 * Never import @kubernetes/client-node here: this is the server.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Api } from './api.js';
import { Clock } from './clock.js';
import { DeploymentController } from './controllers/deployment.js';
import { JobController } from './controllers/job.js';
import { NamespaceController } from './controllers/namespace.js';
import { ReplicaSetController } from './controllers/replicaset.js';
import { StatefulSetController } from './controllers/statefulset.js';
import { TtlAfterFinishedController } from './controllers/ttl.js';
import { EventRecorder } from './events.js';
import { GarbageCollector } from './gc.js';
import { ADMIN_TOKEN, writeKubeconfig } from './kubeconfig.js';
import { ImageRegistry, type ImageConfig } from './kubelet/images.js';
export type { ImageConfig } from './kubelet/images.js';
import { Kubelet } from './kubelet/kubelet.js';
import { LogStore } from './kubelet/logs.js';
import { snapshotImage } from './kubelet/image-content.js';
import { postgresImage } from './images/postgres.js';
import { redisImage } from './images/redis.js';
import { mustFind, resources, type ObjectOf, type ResourceName, type ResourceType } from './resources.js';
import { Access, type RecordedRequest } from './server/access.js';
export type { RecordedRequest } from './server/access.js';
import { createApiServer } from './server/http.js';
import { userNamed } from './server/rbac.js';
import { Scheduler, type NodeCapacity } from './scheduler.js';
export type { NodeCapacity } from './scheduler.js';
import { Store } from './store.js';
import { preloadSource } from './network/preload.js';
import { ServiceNetwork } from './network/services.js';
import { WatchHub } from './watch.js';

export type { KubeObject } from './types.js';
export type { ObjectOf, ResourceName } from './resources.js';

export interface KubeDoubleOptions {
  /** Multiplies Kubernetes' delays (backoff, TTL, grace periods, probe periods, bookmarks). @default 1 */
  timeScale?: number;
  /** Image globs (`*` matches anything) that cannot be pulled. @default [] */
  absentImages?: string[];
  /** When given, only images matching these globs can be pulled. @default every image */
  presentImages?: string[];
  /** Directory for the generated kubeconfig. @default a new temporary directory */
  kubeconfigDir?: string;
  /** Context, cluster and user name in the kubeconfig. @default "kind-schemagate-double" */
  contextName?: string;
  /** Changes kept for watches; older resourceVersions get 410 Gone. @default 1000 */
  retainedEvents?: number;
  /** TCP port on 127.0.0.1. @default 0 (a random free port) */
  port?: number;
  /** ENTRYPOINT, CMD and WORKDIR of images, by glob: what runs when a container gives only `args`. @default none */
  images?: Record<string, ImageConfig>;
  /** What the one node offers the scheduler (cpu, memory, pods, cordoned). @default 8 cpu, 16Gi, 110 pods */
  node?: NodeCapacity;
  /** Image globs on the node only, as `kind load` puts them: IfNotPresent/Never run them, Always fails to pull. @default [] */
  loadedImages?: string[];
  /** Image globs run as the official postgres image on a local PostgreSQL server (needs `npm run build`). @default [] */
  postgresImages?: string[];
  /** Image globs run as the official redis image on the local redis-server (Debian's package). @default [] */
  redisImages?: string[];
}

export interface BuildImageOptions {
  /** ENTRYPOINT/CMD/ENV of the image; its WORKDIR is the snapshot. */
  config?: ImageConfig;
  /** Only paths (relative to `from`) this accepts are copied. @default everything but node_modules and .git */
  include?: (relativePath: string) => boolean;
  /** Push it to the registry too; otherwise it is only on the node, like `kind load`. @default false */
  push?: boolean;
}

/** A resource's plural name, e.g. "pods", "jobs", "deployments". */

export interface KubeDouble {
  readonly kubeconfigPath: string;
  /** e.g. "http://127.0.0.1:40123" */
  readonly server: string;
  readonly contextName: string;
  readonly timeScale: number;
  /** Stops serving, kills every container process, cancels every timer. */
  close(): Promise<void>;
  /** Ends every open watch stream (clients should resume from their last resourceVersion). */
  dropWatches(): void;
  /** Forgets all history: watches and continue tokens from older resourceVersions get 410 Gone. */
  compact(): void;
  /** Makes an image pullable (or not) from now on. */
  setImagePresent(image: string, present: boolean): void;
  /** Snapshots `from` as the content of image `ref` (its WORKDIR), on the node; returns its digest and folder. */
  buildImage(ref: string, from: string, opts?: BuildImageOptions): { digest: string; dir: string };
  /** Puts an image on the node only (`kind load`). */
  loadImage(ref: string): void;
  /** The next `times` pulls of images matching `glob` fail (default: 429 Too Many Requests), then pulls work again. */
  injectPullErrors(glob: string, times: number, message?: string): void;
  /** Changes what the node offers (pending pods are tried again). */
  setNode(capacity: NodeCapacity): void;
  /** Sets the ENTRYPOINT/CMD/WORKDIR of the images matching `glob`, from now on. */
  setImageConfig(glob: string, config: ImageConfig): void;
  /** A stored object, as the API would return it, or undefined. */
  get<R extends ResourceName>(resource: R, namespace: string | undefined, name: string): ObjectOf<R> | undefined;
  /** Stored objects of a resource, optionally in one namespace. */
  list<R extends ResourceName>(resource: R, namespace?: string): ObjectOf<R>[];
  /** The current resourceVersion of the store. */
  readonly resourceVersion: number;
  /** Open watch streams. */
  readonly openWatches: number;
  /** Container processes the kubelet is running. */
  readonly runningProcesses: number;
  /** Internal errors of controllers and the kubelet (should stay empty). */
  readonly errors: readonly string[];
  /**
   * A kubeconfig (same server and context name) that authenticates as `user`
   * (e.g. `system:serviceaccount:ns:deployer`, as `kubectl create token`
   * would give): RBAC then decides what it may do. The double's own
   * kubeconfig is the cluster admin.
   */
  kubeconfigFor(user: string, groups?: string[]): Promise<string>;
  /** Every resource request so far, with its user, verb, resource and whether RBAC allowed it. */
  readonly requests: readonly RecordedRequest[];
}

/** The type of a resource named by a caller (a test may pass any string at run time). */
function typeFor<R extends ResourceName>(resource: R): ResourceType<ObjectOf<R>> {
  if (!Object.hasOwn(resources, resource))
    throw new Error(`unknown resource "${resource}"; one of ${Object.keys(resources).join(', ')}`);
  return mustFind(resource);
}

export async function startKubeDouble(options: KubeDoubleOptions = {}): Promise<KubeDouble> {
  const timeScale = options.timeScale ?? 1;
  const contextName = options.contextName ?? 'kind-schemagate-double';
  const clock = new Clock(timeScale);
  const store = new Store(options.retainedEvents ?? 1000);
  const api = new Api(store, () => clock.timestamp());
  const errors: string[] = [];
  const onError = (err: unknown, where: string): void => {
    const text = `${where}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
    errors.push(text);
    if (process.env['KUBE_DOUBLE_DEBUG']) process.stderr.write(`kube-double: ${text}\n`);
  };
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    api.create(mustFind('namespaces'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  const events = new EventRecorder(api, () => clock.timestamp());
  const logs = new LogStore();
  // Everything the double writes (kubeconfig, image snapshots, volumes) lives here and goes on close().
  const root = mkdtempSync(join(tmpdir(), 'kube-double-'));
  // Readable by the `postgres` user an emulated postgres image runs as (when the tests run as root).
  chmodSync(root, 0o755);
  const preload = join(root, 'pod-network.cjs');
  writeFileSync(preload, preloadSource);
  const hostsFile = join(root, 'hosts.json');
  const images = new ImageRegistry(
    options.presentImages,
    options.absentImages ?? [],
    options.images ?? {},
    options.loadedImages ?? [],
  );
  let built = 0;
  let tokens = 0;
  if ((options.postgresImages ?? []).length > 0) {
    const config = postgresImage(root);
    for (const glob of options.postgresImages ?? []) images.setConfig(glob, config);
  }
  if ((options.redisImages ?? []).length > 0) {
    const config = redisImage(root);
    for (const glob of options.redisImages ?? []) images.setConfig(glob, config);
  }
  const watches = new WatchHub(store, clock);
  const nodeName = `${contextName.replace(/^kind-/, '')}-control-plane`;
  const scheduler = new Scheduler(api, clock, events, nodeName, options.node ?? {}, onError);
  const network = new ServiceNetwork(api, hostsFile, onError);
  const parts = [
    scheduler,
    network,
    new GarbageCollector(api, onError),
    new NamespaceController(api, clock, onError),
    new JobController(api, clock, events, onError),
    new TtlAfterFinishedController(api, clock, onError),
    new ReplicaSetController(api, clock, events, onError),
    new DeploymentController(api, clock, events, onError),
    new StatefulSetController(api, clock, events, onError),
  ];
  const kubelet = new Kubelet({
    api,
    clock,
    logs,
    images,
    events,
    onError,
    nodeName,
    root,
    network: { preload, hostsFile },
  });

  let server = '';
  const access = new Access(ADMIN_TOKEN);
  const http = createApiServer({ api, watches, logs, access }, () => server.replace(/^http:\/\//, ''));
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  server = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const kubeconfigPath = await writeKubeconfig(server, contextName, options.kubeconfigDir ?? root);

  let closed: Promise<void> | undefined;
  return {
    kubeconfigPath,
    server,
    contextName,
    timeScale,
    close() {
      closed ??= (async () => {
        watches.dropAll();
        for (const p of parts) p.stop();
        await kubelet.stop();
        clock.close();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
        rmSync(root, { recursive: true, force: true });
      })();
      return closed;
    },
    dropWatches: () => watches.dropAll(),
    compact: () => store.compact(),
    setImagePresent: (image, present) => images.setPresent(image, present),
    setImageConfig: (glob, config) => images.setConfig(glob, config),
    setNode: (capacity) => scheduler.setCapacity(capacity),
    buildImage(ref, from, opts = {}) {
      const content = snapshotImage(from, join(root, 'images', String(++built)), opts.include);
      images.setContent(ref, content);
      images.setConfig(ref, { ...opts.config, workingDir: content.dir });
      if (opts.push) images.setPresent(ref, true);
      else images.load(ref);
      return { digest: content.digest, dir: content.dir };
    },
    loadImage: (ref) => images.load(ref),
    injectPullErrors: (glob, times, message) => images.injectPullErrors(glob, times, message),
    get: (resource, namespace, name) => store.get(typeFor(resource), namespace, name),
    list: (resource, namespace) => store.list(typeFor(resource), namespace),
    get resourceVersion() {
      return store.currentRevision;
    },
    get openWatches() {
      return watches.openCount;
    },
    get runningProcesses() {
      return kubelet.runningProcesses;
    },
    errors,
    async kubeconfigFor(user, groups = []) {
      const token = `token-${++tokens}`;
      access.addToken(token, userNamed(user, groups));
      const file = `${contextName}.${user.replace(/[^\w.-]+/g, '_')}.kubeconfig`;
      return writeKubeconfig(server, contextName, options.kubeconfigDir ?? root, { token, file });
    },
    get requests() {
      return access.requests;
    },
  };
}
