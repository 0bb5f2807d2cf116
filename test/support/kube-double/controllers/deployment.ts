/**
 * The Deployment controller: a ReplicaSet per pod template (named
 * <deployment>-<pod-template-hash>), rolling updates within maxSurge and
 * maxUnavailable (or Recreate), and the rollout status: observedGeneration,
 * replica counts, and the Available and Progressing conditions.
 * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/
 */
import { isDeepStrictEqual } from 'node:util';
import type { Api } from '../api.js';
import { withoutUndefined } from '../objects.js';
import type { Clock } from '../clock.js';
import type { EventRecorder } from '../events.js';
import { mustFind, resourceKey } from '../resources.js';
import { objectKey } from '../store.js';
import type { Condition, Deployment, ReplicaSet } from '../types.js';
import { controllerRef, isTerminal, setCondition } from './pods.js';
import { WorkQueue } from './queue.js';

type DeploymentStatus = NonNullable<Deployment['status']>;
import {
  podTemplateHash,
  rolloutCounts,
  specReplicas,
  statusField,
  surgeAndUnavailable,
  templateWithoutHash,
} from './rollout.js';

const component = 'deployment-controller';
const revisionKey = 'deployment.kubernetes.io/revision';

export class DeploymentController {
  private readonly queue: WorkQueue;
  private readonly unsubscribe: () => void;
  private readonly deadlines = new Map<string, () => void>();

  constructor(
    private readonly api: Api,
    private readonly clock: Clock,
    private readonly events: EventRecorder,
    onError: (err: unknown, where: string) => void,
  ) {
    this.queue = new WorkQueue('deployment-controller', clock, (key) => this.sync(key), onError);
    const dKey = resourceKey(mustFind('deployments'));
    const rsKey = resourceKey(mustFind('replicasets'));
    const podsKey = resourceKey(mustFind('pods'));
    this.unsubscribe = api.store.subscribe((e) => {
      if (e.resource === dKey) this.queue.add(objectKey(e.object.metadata.namespace, e.object.metadata.name));
      else if (e.resource === rsKey) {
        const ref = (e.object.metadata.ownerReferences ?? []).find((r) => r.controller && r.kind === 'Deployment');
        if (ref) this.queue.add(objectKey(e.object.metadata.namespace, ref.name));
      } else if (e.resource === podsKey && e.type === 'DELETED') {
        // A Recreate rollout waits for old pods to be gone: a pod's removal may unblock its Deployment.
        const rsRef = (e.object.metadata.ownerReferences ?? []).find((r) => r.controller && r.kind === 'ReplicaSet');
        const rs = rsRef ? api.tryGet(mustFind('replicasets'), e.object.metadata.namespace, rsRef.name) : undefined;
        const ref = (rs?.metadata.ownerReferences ?? []).find((r) => r.controller && r.kind === 'Deployment');
        if (ref) this.queue.add(objectKey(e.object.metadata.namespace, ref.name));
      }
    });
  }

  stop(): void {
    this.unsubscribe();
    this.queue.stop();
    for (const c of this.deadlines.values()) c();
  }

  private scale(rs: ReplicaSet, replicas: number, d: Deployment): ReplicaSet {
    const from = specReplicas(rs);
    if (from === replicas) return rs;
    const t = mustFind('replicasets');
    const next = structuredClone(rs);
    next.spec.replicas = replicas;
    next.metadata.annotations = {
      ...(next.metadata.annotations ?? {}),
      'deployment.kubernetes.io/desired-replicas': String(d.spec.replicas ?? 1),
    };
    const updated = this.api.update(t, rs.metadata.namespace, rs.metadata.name, next);
    const verb = replicas > from ? 'up' : 'down';
    this.events.record(
      d,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${verb} replica set ${rs.metadata.name} from ${from} to ${replicas}`,
      component,
    );
    return updated;
  }

  private sync(key: string): void {
    const [namespace, name] = key.split('/') as [string, string];
    const d = this.api.tryGet(mustFind('deployments'), namespace, name);
    if (!d || d.metadata.deletionTimestamp) return;
    const spec = d.spec;
    const replicas = spec.replicas ?? 1;
    const rsType = mustFind('replicasets');
    let all = this.api
      .list(rsType, namespace)
      .filter((rs) => (rs.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === d.metadata.uid));
    const wanted = withoutUndefined(templateWithoutHash(spec.template));
    let newRs = all.find((rs) => isDeepStrictEqual(withoutUndefined(templateWithoutHash(rs.spec.template)), wanted));
    const conds = new ConditionSet(d.status?.conditions ?? [], this.clock.timestamp());
    const { maxSurge, maxUnavailable } = surgeAndUnavailable(d);
    const old = (): ReplicaSet[] => all.filter((rs) => rs !== newRs);
    const sumSpec = (list: ReplicaSet[]): number => list.reduce((n, rs) => n + specReplicas(rs), 0);

    if (!newRs) {
      const hash = podTemplateHash(spec.template);
      const revision = Math.max(0, ...all.map((rs) => Number(rs.metadata.annotations?.[revisionKey] ?? 0))) + 1;
      const template = structuredClone(spec.template);
      const labels = { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash };
      template.metadata = { ...(template.metadata ?? {}), labels };
      const isRecreate = spec.strategy?.type === 'Recreate';
      const startAt = isRecreate ? 0 : Math.max(0, Math.min(replicas, replicas + maxSurge - sumSpec(all)));
      newRs = this.api.create(rsType, namespace, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${name}-${hash}`,
          labels,
          annotations: {
            [revisionKey]: String(revision),
            'deployment.kubernetes.io/desired-replicas': String(replicas),
            'deployment.kubernetes.io/max-replicas': String(replicas + maxSurge),
          },
          ownerReferences: [controllerRef(d)],
        },
        spec: {
          replicas: startAt,
          selector: {
            ...spec.selector,
            matchLabels: { ...(spec.selector?.matchLabels ?? {}), 'pod-template-hash': hash },
          },
          template,
        },
      });
      all = [...all, newRs];
      this.events.record(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${newRs.metadata.name} from 0 to ${startAt}`,
        component,
      );
      conds.progressing('True', 'NewReplicaSetCreated', `Created new replica set "${newRs.metadata.name}"`);
    }
    const current = newRs;

    if (spec.strategy?.type === 'Recreate') {
      for (const rs of old()) this.scale(rs, 0, d);
      // Recreate waits until no pod of an old ReplicaSet runs, terminating ones included.
      const oldUids = new Set(old().map((rs) => rs.metadata.uid));
      const oldRunning = this.api
        .list(mustFind('pods'), namespace)
        .some(
          (p) => !isTerminal(p) && (p.metadata.ownerReferences ?? []).some((r) => r.controller && oldUids.has(r.uid)),
        );
      if (!oldRunning) newRs = this.scale(current, replicas, d);
    } else if (old().every((rs) => specReplicas(rs) === 0)) {
      newRs = this.scale(current, replicas, d);
    } else {
      // Scale up the new ReplicaSet within maxSurge, then scale down old ones within maxUnavailable.
      const room = replicas + maxSurge - sumSpec(all);
      if (room > 0 && specReplicas(current) < replicas)
        newRs = this.scale(current, Math.min(replicas, specReplicas(current) + room), d);
      all = all.map((rs) => (rs.metadata.uid === newRs?.metadata.uid ? newRs : rs));
      const minAvailable = replicas - maxUnavailable;
      const newUnavailable = Math.max(0, specReplicas(newRs) - statusField(newRs, 'availableReplicas'));
      let budget = sumSpec(all) - minAvailable - newUnavailable;
      const available = all.reduce((n, rs) => n + statusField(rs, 'availableReplicas'), 0);
      budget = Math.min(
        budget,
        Math.max(0, available - minAvailable) +
          old().reduce((n, rs) => n + Math.max(0, specReplicas(rs) - statusField(rs, 'availableReplicas')), 0),
      );
      for (const rs of old().sort((a, b) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp))) {
        if (budget <= 0) break;
        const down = Math.min(budget, specReplicas(rs));
        if (down > 0) this.scale(rs, specReplicas(rs) - down, d);
        budget -= down;
      }
    }
    all = this.api
      .list(rsType, namespace)
      .filter((rs) => (rs.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === d.metadata.uid));
    newRs = all.find((rs) => rs.metadata.uid === current.metadata.uid) ?? current;
    this.writeStatus(d, all, newRs, conds, maxUnavailable, key);
  }

  private writeStatus(
    d: Deployment,
    all: ReplicaSet[],
    newRs: ReplicaSet,
    conds: ConditionSet,
    maxUnavailable: number,
    key: string,
  ): void {
    const spec = d.spec;
    const replicas = spec.replicas ?? 1;
    const counts = rolloutCounts(all, newRs);
    const rsName = newRs.metadata.name;
    const complete =
      counts.updatedReplicas === replicas && counts.replicas === replicas && counts.availableReplicas === replicas;
    const before = conds.get('Progressing');
    if (complete)
      conds.progressing('True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`);
    else if (before?.reason !== 'ProgressDeadlineExceeded') {
      // https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#failed-deployment
      const deadlineMs = this.clock.scaledMs(spec.progressDeadlineSeconds ?? 600);
      const lastUpdate = before?.lastUpdateTime ? Date.parse(before.lastUpdateTime) : Date.now();
      if (before && before.reason !== 'NewReplicaSetAvailable' && Date.now() - lastUpdate > deadlineMs + 1000) {
        conds.progressing('False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`);
      } else {
        if (!(before?.reason === 'NewReplicaSetCreated' && before.message?.includes(`"${rsName}"`))) {
          conds.progressing('True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`);
        }
        this.deadlines.get(key)?.();
        this.deadlines.set(
          key,
          this.clock.afterMs(deadlineMs + 1100, () => this.queue.add(key)),
        );
      }
    }
    const availableOk = counts.availableReplicas >= replicas - maxUnavailable;
    conds.set(
      availableOk
        ? {
            type: 'Available',
            status: 'True',
            reason: 'MinimumReplicasAvailable',
            message: 'Deployment has minimum availability.',
          }
        : {
            type: 'Available',
            status: 'False',
            reason: 'MinimumReplicasUnavailable',
            message: 'Deployment does not have minimum availability.',
          },
    );
    // syncRolloutStatus (pkg/controller/deployment/progress.go): the new ReplicaSet's ReplicaFailure is the Deployment's.
    const failure = (newRs.status?.conditions ?? []).find((c) => c.type === 'ReplicaFailure');
    if (failure)
      conds.set({ type: 'ReplicaFailure', status: failure.status, reason: failure.reason, message: failure.message });
    else conds.remove('ReplicaFailure');
    // unavailableReplicas is omitempty in DeploymentStatus.
    const { unavailableReplicas, ...rest } = counts;
    const status: DeploymentStatus = {
      observedGeneration: d.metadata.generation ?? 1,
      ...rest,
      ...(unavailableReplicas !== 0 ? { unavailableReplicas } : {}),
      conditions: conds.ordered(),
    };
    const t = mustFind('deployments');
    const next = structuredClone(d);
    next.metadata.annotations = {
      ...(next.metadata.annotations ?? {}),
      [revisionKey]: newRs.metadata.annotations?.[revisionKey] ?? '1',
    };
    const updated = this.api.update(t, d.metadata.namespace, d.metadata.name, next);
    this.api.update(t, d.metadata.namespace, d.metadata.name, { ...updated, status }, { subresource: 'status' });
  }
}

/** Deployment conditions: lastUpdateTime moves on every change, lastTransitionTime only when the status flips. */
class ConditionSet {
  constructor(
    private list: Condition[],
    private readonly now: string,
  ) {}

  get(type: string): Condition | undefined {
    return this.list.find((c) => c.type === type);
  }

  set(c: Omit<Condition, 'lastUpdateTime' | 'lastTransitionTime'>): void {
    const before = this.get(c.type);
    if (before && before.status === c.status && before.reason === c.reason && before.message === c.message) return;
    const next: Condition = {
      ...c,
      lastUpdateTime: this.now,
      lastTransitionTime: before && before.status === c.status ? (before.lastTransitionTime ?? this.now) : this.now,
    };
    this.list = setCondition(this.list, next);
  }

  remove(type: string): void {
    this.list = this.list.filter((c) => c.type !== type);
  }

  progressing(status: 'True' | 'False', reason: string, message: string): void {
    this.set({ type: 'Progressing', status, reason, message });
  }

  /** Available first, then Progressing, as `kubectl get deploy -o yaml` shows them. */
  ordered(): Condition[] {
    const rank = (c: Condition): number => (c.type === 'Available' ? 0 : c.type === 'Progressing' ? 1 : 2);
    return [...this.list].sort((a, b) => rank(a) - rank(b));
  }
}
