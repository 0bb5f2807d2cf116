/**
 * `KubeApi` over `@kubernetes/client-node`: the only module that calls it.
 * Every call goes through `call()`, so every failure names what was being
 * done and carries its HTTP status.
 */
import type { Writable } from 'node:stream';
import type { KubeConfig, KubernetesObject, V1ConfigMap, V1Job } from '@kubernetes/client-node';
import type { K8s } from './client.js';
import type { KubeApi, LogOptions, ObjectList, Resource, ResourceTypes, Selectors, WatchHandlers } from './api.js';
import { apiError, type Right } from './errors.js';

const FIELD_MANAGER = 'schemagate';

function describe(o: KubernetesObject): string {
  return `${(o.kind ?? 'object').toLowerCase()}/${o.metadata?.name ?? '?'}`;
}

/** The resource (plural) of an object schemagate applies, as RBAC names it. */
function plural(o: KubernetesObject): string {
  const kind = (o.kind ?? 'object').toLowerCase();
  return kind.endsWith('s') ? `${kind}es` : kind.endsWith('y') ? `${kind.slice(0, -1)}ies` : `${kind}s`;
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

  /** Runs one API call; a failure names `what` was being done and, on a 403, the RBAC `right` it needs. */
  private async call<T>(what: string, right: Right, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw apiError(e, what, this.context, { ...right, namespace: right.namespace ?? this.namespace });
    }
  }

  async serverVersion(): Promise<string> {
    const v = await this.call('read the server version', { verb: 'get', resource: '/version' }, () =>
      this.kc.makeApiClient(this.k8s.VersionApi).getCode(),
    );
    return v.gitVersion;
  }

  apply<T extends KubernetesObject>(object: T, options: { dryRun?: boolean } = {}): Promise<T> {
    const where = object.metadata?.namespace ?? this.namespace;
    // Server-side apply is a PATCH, and a create when the object is new (both are authorized).
    const right = { verb: 'patch', also: 'create', resource: plural(object), namespace: where };
    return this.call(
      `${options.dryRun ? 'dry-run apply' : 'apply'} ${describe(object)} in namespace ${where}`,
      right,
      () =>
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
    return this.call(`create job/${job.metadata?.name ?? '?'}`, { verb: 'create', resource: 'jobs' }, () =>
      this.batch.createNamespacedJob({ namespace: this.namespace, body: job }),
    );
  }

  readJob(name: string): Promise<V1Job> {
    return this.call(`read job/${name}`, { verb: 'get', resource: 'jobs' }, () =>
      this.batch.readNamespacedJob({ name, namespace: this.namespace }),
    );
  }

  async deleteJob(name: string): Promise<void> {
    // The propagation policy goes in the body: the batch/v1 default orphans the pods (kubernetes#20902), and
    // client-node sends the query option alone with an empty body that the server ignores (kubernetes-client/javascript#2698).
    await this.call(`delete job/${name}`, { verb: 'delete', resource: 'jobs' }, () =>
      this.batch.deleteNamespacedJob({ name, namespace: this.namespace, body: { propagationPolicy: 'Background' } }),
    );
  }

  patchJob(name: string, patch: object): Promise<V1Job> {
    return this.call(`patch job/${name}`, { verb: 'patch', resource: 'jobs' }, () =>
      this.batch.patchNamespacedJob(
        { name, namespace: this.namespace, body: patch },
        this.k8s.setHeaderOptions('Content-Type', this.k8s.PatchStrategy.MergePatch),
      ),
    );
  }

  readDeployment(name: string) {
    return this.call(`read deployment/${name}`, { verb: 'get', resource: 'deployments' }, () =>
      this.apps.readNamespacedDeployment({ name, namespace: this.namespace }),
    );
  }

  readNamespace(name: string) {
    return this.call(`read namespace/${name}`, { verb: 'get', resource: 'namespaces', namespace: name }, () =>
      this.core.readNamespace({ name }),
    );
  }

  async evictPod(name: string): Promise<void> {
    const body = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: this.namespace } };
    await this.call(`evict pod/${name}`, { verb: 'create', resource: 'pods/eviction' }, () =>
      this.core.createNamespacedPodEviction({ name, namespace: this.namespace, body }),
    );
  }

  async deletePod(name: string): Promise<void> {
    await this.call(`delete pod/${name}`, { verb: 'delete', resource: 'pods' }, () =>
      this.core.deleteNamespacedPod({ name, namespace: this.namespace }),
    );
  }

  createConfigMap(configMap: V1ConfigMap): Promise<V1ConfigMap> {
    return this.call(
      `create configmap/${configMap.metadata?.name ?? '?'}`,
      { verb: 'create', resource: 'configmaps' },
      () => this.core.createNamespacedConfigMap({ namespace: this.namespace, body: configMap }),
    );
  }

  patchConfigMap(name: string, patch: object): Promise<V1ConfigMap> {
    return this.call(`patch configmap/${name}`, { verb: 'patch', resource: 'configmaps' }, () =>
      this.core.patchNamespacedConfigMap(
        { name, namespace: this.namespace, body: patch },
        this.k8s.setHeaderOptions('Content-Type', this.k8s.PatchStrategy.StrategicMergePatch),
      ),
    );
  }

  list<R extends Resource>(resource: R, selectors: Selectors): Promise<ObjectList<ResourceTypes[R]>> {
    const q = { namespace: this.namespace, ...selectors };
    const lists: { [K in Resource]: () => Promise<ObjectList<ResourceTypes[K]>> } = {
      jobs: () => this.batch.listNamespacedJob(q),
      pods: () => this.core.listNamespacedPod(q),
      deployments: () => this.apps.listNamespacedDeployment(q),
      replicasets: () => this.apps.listNamespacedReplicaSet(q),
      events: () => this.core.listNamespacedEvent(q),
    };
    const shown = [selectors.labelSelector, selectors.fieldSelector].filter(Boolean).join(', ');
    return this.call(
      `list ${resource}${shown ? ` (${shown})` : ''} in namespace ${this.namespace}`,
      { verb: 'list', resource },
      lists[resource],
    );
  }

  watch<R extends Resource>(
    resource: R,
    query: Selectors & { resourceVersion?: string },
    handlers: WatchHandlers<ResourceTypes[R]>,
  ): Promise<AbortController> {
    const group = { jobs: '/apis/batch/v1', deployments: '/apis/apps/v1', replicasets: '/apis/apps/v1' }[
      resource as string
    ];
    const path = `${group ?? '/api/v1'}/namespaces/${this.namespace}/${resource}`;
    return this.call(`watch ${resource} in namespace ${this.namespace}`, { verb: 'watch', resource }, () =>
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
    return this.call(`read the log of pod ${pod}, container ${container}`, { verb: 'get', resource: 'pods/log' }, () =>
      this.core.readNamespacedPodLog({ name: pod, namespace: this.namespace, container, ...options }),
    );
  }

  followLog(pod: string, container: string, sink: Writable): Promise<AbortController> {
    return this.call(
      `follow the log of pod ${pod}, container ${container}`,
      { verb: 'get', resource: 'pods/log' },
      () => new this.k8s.Log(this.kc).log(this.namespace, pod, container, sink, { follow: true }),
    );
  }
}
