/**
 * `KubeApi` over `@kubernetes/client-node`: the only module that calls it.
 * Every call goes through `call()`, so every failure names what was being
 * done and carries its HTTP status.
 */
import type { Writable } from 'node:stream';
import type { KubeConfig, KubernetesObject, V1Job } from '@kubernetes/client-node';
import type { K8s } from './client.js';
import type { KubeApi, LogOptions, ObjectList, Resource, ResourceTypes, Selectors, WatchHandlers } from './api.js';
import { apiError } from './errors.js';

const FIELD_MANAGER = 'schemagate';

function describe(o: KubernetesObject): string {
  return `${(o.kind ?? 'object').toLowerCase()}/${o.metadata?.name ?? '?'}`;
}

export class ClientNodeApi implements KubeApi {
  private readonly core;
  private readonly batch;
  private readonly apps;
  private readonly objects;

  constructor(
    private readonly k8s: K8s,
    private readonly kc: KubeConfig,
    readonly context: string,
    readonly namespace: string,
  ) {
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.batch = kc.makeApiClient(k8s.BatchV1Api);
    this.apps = kc.makeApiClient(k8s.AppsV1Api);
    // Objects without a namespace are applied in the session's, whatever the kubeconfig's context names.
    const scoped = new k8s.KubeConfig();
    scoped.loadFromOptions({
      clusters: kc.clusters,
      users: kc.users,
      contexts: kc.contexts.map((c) => (c.name === context ? { ...c, namespace } : c)),
      currentContext: context,
    });
    this.objects = k8s.KubernetesObjectApi.makeApiClient(scoped);
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw apiError(e, what, this.context);
    }
  }

  async serverVersion(): Promise<string> {
    const v = await this.call('read the server version', () => this.kc.makeApiClient(this.k8s.VersionApi).getCode());
    return v.gitVersion;
  }

  apply<T extends KubernetesObject>(object: T, options: { dryRun?: boolean } = {}): Promise<T> {
    const where = object.metadata?.namespace ?? this.namespace;
    return this.call(`${options.dryRun ? 'dry-run apply' : 'apply'} ${describe(object)} in namespace ${where}`, () =>
      this.objects.patch(
        object,
        undefined,
        options.dryRun ? 'All' : undefined,
        FIELD_MANAGER,
        true,
        this.k8s.PatchStrategy.ServerSideApply,
      ),
    );
  }

  createJob(job: V1Job): Promise<V1Job> {
    return this.call(`create job/${job.metadata?.name ?? '?'}`, () =>
      this.batch.createNamespacedJob({ namespace: this.namespace, body: job }),
    );
  }

  readJob(name: string): Promise<V1Job> {
    return this.call(`read job/${name}`, () => this.batch.readNamespacedJob({ name, namespace: this.namespace }));
  }

  async deleteJob(name: string): Promise<void> {
    // The propagation policy goes in the body: the batch/v1 default orphans the pods (kubernetes#20902), and
    // client-node sends the query option alone with an empty body that the server ignores (kubernetes-client/javascript#2698).
    await this.call(`delete job/${name}`, () =>
      this.batch.deleteNamespacedJob({ name, namespace: this.namespace, body: { propagationPolicy: 'Background' } }),
    );
  }

  patchJob(name: string, patch: object): Promise<V1Job> {
    return this.call(`patch job/${name}`, () =>
      this.batch.patchNamespacedJob(
        { name, namespace: this.namespace, body: patch },
        this.k8s.setHeaderOptions('Content-Type', this.k8s.PatchStrategy.MergePatch),
      ),
    );
  }

  readDeployment(name: string) {
    return this.call(`read deployment/${name}`, () =>
      this.apps.readNamespacedDeployment({ name, namespace: this.namespace }),
    );
  }

  list<R extends Resource>(resource: R, selectors: Selectors): Promise<ObjectList<ResourceTypes[R]>> {
    const q = { namespace: this.namespace, ...selectors };
    const lists: { [K in Resource]: () => Promise<ObjectList<ResourceTypes[K]>> } = {
      jobs: () => this.batch.listNamespacedJob(q),
      pods: () => this.core.listNamespacedPod(q),
      deployments: () => this.apps.listNamespacedDeployment(q),
      events: () => this.core.listNamespacedEvent(q),
    };
    const shown = [selectors.labelSelector, selectors.fieldSelector].filter(Boolean).join(', ');
    return this.call(`list ${resource}${shown ? ` (${shown})` : ''} in namespace ${this.namespace}`, lists[resource]);
  }

  watch<R extends Resource>(
    resource: R,
    query: Selectors & { resourceVersion?: string },
    handlers: WatchHandlers<ResourceTypes[R]>,
  ): Promise<AbortController> {
    const group = resource === 'jobs' ? '/apis/batch/v1' : resource === 'deployments' ? '/apis/apps/v1' : '/api/v1';
    const path = `${group}/namespaces/${this.namespace}/${resource}`;
    return this.call(`watch ${resource} in namespace ${this.namespace}`, () =>
      new this.k8s.Watch(this.kc).watch(
        path,
        { ...query, allowWatchBookmarks: true },
        (type: string, obj: ResourceTypes[R] & { code?: number }) =>
          handlers.onEvent(type as Parameters<WatchHandlers<ResourceTypes[R]>['onEvent']>[0], obj),
        (err: unknown) => handlers.onDone(err ?? undefined),
      ),
    );
  }

  readLog(pod: string, container: string, options: LogOptions = {}): Promise<string> {
    return this.call(`read the log of pod ${pod}, container ${container}`, () =>
      this.core.readNamespacedPodLog({ name: pod, namespace: this.namespace, container, ...options }),
    );
  }

  followLog(pod: string, container: string, sink: Writable): Promise<AbortController> {
    return this.call(`follow the log of pod ${pod}, container ${container}`, () =>
      new this.k8s.Log(this.kc).log(this.namespace, pod, container, sink, { follow: true }),
    );
  }
}
