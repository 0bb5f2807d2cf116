/**
 * The StatefulSet controller: pods named `<set>-<ordinal>` with a stable
 * hostname and subdomain (serviceName), a PersistentVolumeClaim per
 * volumeClaimTemplate (`<template>-<set>-<ordinal>`, kept when the pod goes),
 * OrderedReady: pod n+1 is created only once pods 0..n are Running and Ready,
 * scale-down from the highest ordinal, and a RollingUpdate that replaces pods
 * of an old revision from the highest ordinal down, one at a time.
 * https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/
 */
import type { Api } from '../api.js';
import type { Clock } from '../clock.js';
import type { EventRecorder } from '../events.js';
import { ApiError, unlessGone } from '../errors.js';
import { mustFind, resourceKey } from '../resources.js';
import { objectKey } from '../store.js';
import type { Pod, StatefulSet } from '../types.js';
import { controllerRef, isReady, isTerminal } from './pods.js';
import { WorkQueue } from './queue.js';

type ClaimTemplate = NonNullable<StatefulSet['spec']['volumeClaimTemplates']>[number];
import { podTemplateHash } from './rollout.js';

const component = 'statefulset-controller';

export class StatefulSetController {
  private readonly queue: WorkQueue;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly api: Api,
    clock: Clock,
    private readonly events: EventRecorder,
    onError: (err: unknown, where: string) => void,
  ) {
    this.queue = new WorkQueue(component, clock, (key) => this.sync(key), onError);
    const stsKey = resourceKey(mustFind('statefulsets'));
    const podsKey = resourceKey(mustFind('pods'));
    this.unsubscribe = api.store.subscribe((e) => {
      if (e.resource === stsKey) this.queue.add(objectKey(e.object.metadata.namespace, e.object.metadata.name));
      else if (e.resource === podsKey) {
        const ref = (e.object.metadata.ownerReferences ?? []).find((r) => r.controller && r.kind === 'StatefulSet');
        if (ref) this.queue.add(objectKey(e.object.metadata.namespace, ref.name));
      }
    });
  }

  stop(): void {
    this.unsubscribe();
    this.queue.stop();
  }

  private claims(sts: StatefulSet, ordinal: number): { volume: string; claim: string; template: ClaimTemplate }[] {
    return (sts.spec.volumeClaimTemplates ?? []).map((t) => ({
      volume: t.metadata.name,
      claim: `${t.metadata.name}-${sts.metadata.name}-${ordinal}`,
      template: t,
    }));
  }

  private ensureClaims(sts: StatefulSet, ordinal: number): void {
    const t = mustFind('persistentvolumeclaims');
    for (const c of this.claims(sts, ordinal)) {
      if (this.api.tryGet(t, sts.metadata.namespace, c.claim)) continue;
      const labels = { ...(c.template.metadata.labels ?? {}), ...(sts.spec.selector?.matchLabels ?? {}) };
      const pvc = this.api.create(t, sts.metadata.namespace, {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: c.claim, labels },
        spec: structuredClone(c.template.spec ?? {}),
      });
      // No provisioner stands behind the double: a claim is a folder, bound at once.
      this.api.update(
        t,
        pvc.metadata.namespace,
        pvc.metadata.name,
        { ...pvc, status: { phase: 'Bound' } },
        {
          subresource: 'status',
        },
      );
      this.events.record(
        sts,
        'Normal',
        'SuccessfulCreate',
        `create Claim ${c.claim} Pod ${sts.metadata.name}-${ordinal} in StatefulSet ${sts.metadata.name} success`,
        component,
      );
    }
  }

  private createPod(sts: StatefulSet, ordinal: number, revision: string): void {
    const name = `${sts.metadata.name}-${ordinal}`;
    const template = structuredClone(sts.spec.template);
    const spec = template.spec;
    spec.hostname = name;
    if (sts.spec.serviceName) spec.subdomain = sts.spec.serviceName;
    const claims = this.claims(sts, ordinal);
    spec.volumes = [
      ...(spec.volumes ?? []).filter((v) => !claims.some((c) => c.volume === v.name)),
      ...claims.map((c) => ({ name: c.volume, persistentVolumeClaim: { claimName: c.claim } })),
    ];
    this.ensureClaims(sts, ordinal);
    try {
      this.api.create(mustFind('pods'), sts.metadata.namespace, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          labels: {
            ...(template.metadata?.labels ?? {}),
            'controller-revision-hash': revision,
            'statefulset.kubernetes.io/pod-name': name,
            'apps.kubernetes.io/pod-index': String(ordinal),
          },
          ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
          ownerReferences: [controllerRef(sts)],
        },
        spec,
      });
      this.events.record(
        sts,
        'Normal',
        'SuccessfulCreate',
        `create Pod ${name} in StatefulSet ${sts.metadata.name} successful`,
        component,
      );
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      this.events.record(
        sts,
        'Warning',
        'FailedCreate',
        `create Pod ${name} in StatefulSet ${sts.metadata.name} failed error: ${err.message}`,
        component,
      );
      this.queue.addAfter(objectKey(sts.metadata.namespace, sts.metadata.name), 10);
    }
  }

  private deletePod(sts: StatefulSet, pod: Pod): void {
    unlessGone(() => {
      this.api.delete(mustFind('pods'), pod.metadata.namespace, pod.metadata.name, {
        preconditions: { uid: pod.metadata.uid },
      });
      this.events.record(
        sts,
        'Normal',
        'SuccessfulDelete',
        `delete Pod ${pod.metadata.name} in StatefulSet ${sts.metadata.name} successful`,
        component,
      );
    });
  }

  private sync(key: string): void {
    const [namespace, name] = key.split('/') as [string, string];
    const t = mustFind('statefulsets');
    const sts = this.api.tryGet(t, namespace, name);
    if (!sts || sts.metadata.deletionTimestamp) return;
    const replicas = sts.spec.replicas ?? 1;
    const revision = `${name}-${podTemplateHash(sts.spec.template)}`;
    const pods = new Map<number, Pod>();
    for (const p of this.api.list(mustFind('pods'), namespace)) {
      if (!(p.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === sts.metadata.uid)) continue;
      const m = new RegExp(`^${name}-(\\d+)$`).exec(p.metadata.name);
      if (m) pods.set(Number(m[1]), p);
    }
    const healthy = (p: Pod): boolean => !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && isReady(p);
    // A failed pod is replaced; one that is going away is waited for.
    for (const p of pods.values()) if (isTerminal(p) && !p.metadata.deletionTimestamp) this.deletePod(sts, p);
    let blocked = false;
    for (let i = 0; i < replicas; i++) {
      const p = pods.get(i);
      if (!p) {
        if (!blocked) this.createPod(sts, i, revision);
        blocked = true;
        continue;
      }
      if (!healthy(p)) blocked = true;
    }
    // Scale down from the highest ordinal, one at a time, once the rest are healthy.
    const extra = [...pods.keys()].filter((i) => i >= replicas).sort((a, b) => b - a);
    if (extra.length > 0 && !blocked) {
      const top = pods.get(extra[0]!)!;
      if (!top.metadata.deletionTimestamp) this.deletePod(sts, top);
    } else if (!blocked && sts.spec.updateStrategy?.type !== 'OnDelete') {
      // RollingUpdate: the highest ordinal still on an old revision goes first.
      const stale = [...pods.entries()]
        .filter(([i, p]) => i < replicas && p.metadata.labels?.['controller-revision-hash'] !== revision)
        .sort(([a], [b]) => b - a)[0];
      if (stale) this.deletePod(sts, stale[1]);
    }
    const live = [...pods.values()].filter((p) => !isTerminal(p));
    const ready = live.filter((p) => isReady(p)).length;
    const updated = live.filter((p) => p.metadata.labels?.['controller-revision-hash'] === revision).length;
    const status = {
      observedGeneration: sts.metadata.generation ?? 1,
      replicas: live.length,
      readyReplicas: ready,
      currentReplicas: updated,
      updatedReplicas: updated,
      availableReplicas: ready,
      currentRevision: revision,
      updateRevision: revision,
      collisionCount: 0,
    };
    this.api.update(t, namespace, name, { ...sts, status }, { subresource: 'status' });
  }
}
