/**
 * Pod Security Admission in enforce mode: the namespace label
 * `pod-security.kubernetes.io/enforce: baseline | restricted` (version from
 * `enforce-version`, default latest) rejects pods that violate the level,
 * with the API server's message:
 *   pods "x" is forbidden: violates PodSecurity "restricted:latest": reason (detail), ...
 * Checks in the order of their IDs, as staging/src/k8s.io/pod-security-admission/policy/check_*.go
 * (Kubernetes 1.31) words them; a restricted check replaces the baseline check it overrides.
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/
 * https://kubernetes.io/docs/concepts/security/pod-security-admission/
 */
import type { Container, Namespace, Pod, PodSpec } from '../types.js';

type Level = 'privileged' | 'baseline' | 'restricted';
type Spec = PodSpec;
type Ctr = Container;

type Result = { reason: string; detail: string } | undefined;

const baselineCapabilities = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
const restrictedVolumeTypes = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

const joinQuote = (items: string[]): string => items.map((i) => JSON.stringify(i)).join(', ');
const plural = (one: string, many: string, items: string[]): string =>
  `${items.length === 1 ? one : many} ${joinQuote(items)}`;

function containers(spec: Spec): Ctr[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
}

function volumeType(v: Record<string, unknown>): string {
  return Object.keys(v).find((k) => k !== 'name') ?? '';
}

const checks: { id: string; level: Level; overrides?: string; check: (s: Spec) => Result }[] = [
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    check: (s) => {
      const bad = containers(s)
        .filter((c) => c.securityContext?.allowPrivilegeEscalation !== false)
        .map((c) => c.name);
      if (bad.length === 0) return undefined;
      return {
        reason: 'allowPrivilegeEscalation != false',
        detail: `${plural('container', 'containers', bad)} must set securityContext.allowPrivilegeEscalation=false`,
      };
    },
  },
  {
    id: 'capabilities_baseline',
    level: 'baseline',
    check: (s) => {
      const caps = new Set<string>();
      const bad = containers(s).filter((c) => {
        const extra = (c.securityContext?.capabilities?.add ?? []).filter((a) => !baselineCapabilities.has(a));
        extra.forEach((a) => caps.add(a));
        return extra.length > 0;
      });
      if (bad.length === 0) return undefined;
      return {
        reason: 'non-default capabilities',
        detail: `${plural(
          'container',
          'containers',
          bad.map((c) => c.name),
        )} must not include ${joinQuote([...caps].sort())} in securityContext.capabilities.add`,
      };
    },
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    overrides: 'capabilities_baseline',
    check: (s) => {
      const missing: string[] = [];
      const adding: string[] = [];
      const caps = new Set<string>();
      for (const c of containers(s)) {
        const cc = c.securityContext?.capabilities;
        if (!(cc?.drop ?? []).includes('ALL')) missing.push(c.name);
        const extra = (cc?.add ?? []).filter((a) => a !== 'NET_BIND_SERVICE');
        extra.forEach((a) => caps.add(a));
        if (extra.length > 0) adding.push(c.name);
      }
      const details: string[] = [];
      if (missing.length > 0)
        details.push(
          `${plural('container', 'containers', missing)} must set securityContext.capabilities.drop=["ALL"]`,
        );
      if (adding.length > 0)
        details.push(
          `${plural('container', 'containers', adding)} must not include ${joinQuote([...caps].sort())} in securityContext.capabilities.add`,
        );
      return details.length > 0 ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : undefined;
    },
  },
  {
    id: 'hostNamespaces',
    level: 'baseline',
    check: (s) => {
      const used = [
        s.hostNetwork ? 'hostNetwork=true' : '',
        s.hostPID ? 'hostPID=true' : '',
        s.hostIPC ? 'hostIPC=true' : '',
      ].filter(Boolean);
      return used.length > 0 ? { reason: 'host namespaces', detail: used.join(', ') } : undefined;
    },
  },
  {
    id: 'hostPathVolumes',
    level: 'baseline',
    check: (s) => {
      const bad = (s.volumes ?? []).filter((v) => v.hostPath !== undefined).map((v) => v.name);
      return bad.length > 0 ? { reason: 'hostPath volumes', detail: plural('volume', 'volumes', bad) } : undefined;
    },
  },
  {
    id: 'hostPorts',
    level: 'baseline',
    check: (s) => {
      const names: string[] = [];
      const ports: number[] = [];
      for (const c of containers(s)) {
        const used = (c.ports ?? []).map((p) => p.hostPort ?? 0).filter((p) => p !== 0);
        if (used.length > 0) names.push(c.name);
        ports.push(...used);
      }
      if (names.length === 0) return undefined;
      const verb = names.length === 1 ? 'uses' : 'use';
      const noun = ports.length === 1 ? 'hostPort' : 'hostPorts';
      return {
        reason: 'hostPort',
        detail: `${plural('container', 'containers', names)} ${verb} ${noun} ${ports.join(', ')}`,
      };
    },
  },
  {
    id: 'privileged',
    level: 'baseline',
    check: (s) => {
      const bad = containers(s)
        .filter((c) => c.securityContext?.privileged === true)
        .map((c) => c.name);
      return bad.length > 0
        ? {
            reason: 'privileged',
            detail: `${plural('container', 'containers', bad)} must not set securityContext.privileged=true`,
          }
        : undefined;
    },
  },
  {
    id: 'restrictedVolumes',
    level: 'restricted',
    overrides: 'hostPathVolumes',
    check: (s) => {
      const bad = (s.volumes ?? []).filter((v) => !restrictedVolumeTypes.has(volumeType(v)));
      if (bad.length === 0) return undefined;
      const types = [...new Set(bad.map((v) => volumeType(v)))].sort();
      const noun = types.length === 1 ? 'volume type' : 'volume types';
      const verb = bad.length === 1 ? 'uses' : 'use';
      return {
        reason: 'restricted volume types',
        detail: `${plural(
          'volume',
          'volumes',
          bad.map((v) => v.name),
        )} ${verb} restricted ${noun} ${joinQuote(types)}`,
      };
    },
  },
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    check: (s) => {
      const setters: string[] = [];
      let podTrue = false;
      if (s.securityContext?.runAsNonRoot === false) setters.push('pod');
      else if (s.securityContext?.runAsNonRoot === true) podTrue = true;
      const explicit: string[] = [];
      const implicit: string[] = [];
      for (const c of containers(s)) {
        const v = c.securityContext?.runAsNonRoot;
        if (v === false) explicit.push(c.name);
        else if (v === undefined && !podTrue) implicit.push(c.name);
      }
      if (explicit.length > 0) setters.push(plural('container', 'containers', explicit));
      if (setters.length > 0)
        return {
          reason: 'runAsNonRoot != true',
          detail: `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false`,
        };
      if (implicit.length > 0)
        return {
          reason: 'runAsNonRoot != true',
          detail: `pod or ${plural('container', 'containers', implicit)} must set securityContext.runAsNonRoot=true`,
        };
      return undefined;
    },
  },
  {
    id: 'runAsUser',
    level: 'restricted',
    check: (s) => {
      const setters: string[] = [];
      if (s.securityContext?.runAsUser === 0) setters.push('pod');
      const bad = containers(s)
        .filter((c) => c.securityContext?.runAsUser === 0)
        .map((c) => c.name);
      if (bad.length > 0) setters.push(plural('container', 'containers', bad));
      return setters.length > 0
        ? { reason: 'runAsUser=0', detail: `${setters.join(' and ')} must not set runAsUser=0` }
        : undefined;
    },
  },
  {
    id: 'seccompProfile_baseline',
    level: 'baseline',
    check: (s) => {
      const setters: string[] = [];
      if (s.securityContext?.seccompProfile?.type === 'Unconfined') setters.push('pod');
      const bad = containers(s)
        .filter((c) => c.securityContext?.seccompProfile?.type === 'Unconfined')
        .map((c) => c.name);
      if (bad.length > 0) setters.push(plural('container', 'containers', bad));
      return setters.length > 0
        ? {
            reason: 'seccompProfile',
            detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to "Unconfined"`,
          }
        : undefined;
    },
  },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    overrides: 'seccompProfile_baseline',
    check: (s) => {
      const ok = (t: string | undefined) => t === 'RuntimeDefault' || t === 'Localhost';
      const podType = s.securityContext?.seccompProfile?.type;
      const setters: string[] = [];
      if (podType !== undefined && !ok(podType)) setters.push('pod');
      const explicit: string[] = [];
      const implicit: string[] = [];
      for (const c of containers(s)) {
        const t = c.securityContext?.seccompProfile?.type;
        if (t !== undefined && !ok(t)) explicit.push(c.name);
        else if (t === undefined && !ok(podType)) implicit.push(c.name);
      }
      if (explicit.length > 0) setters.push(plural('container', 'containers', explicit));
      if (setters.length > 0)
        return {
          reason: 'seccompProfile',
          detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to "Unconfined"`,
        };
      if (implicit.length > 0)
        return {
          reason: 'seccompProfile',
          detail: `pod or ${plural('container', 'containers', implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
        };
      return undefined;
    },
  },
];

/** The enforce level and version of a namespace, from its labels. */
export function enforcedPolicy(ns: Namespace | undefined): { level: Level; version: string } {
  const labels = ns?.metadata.labels ?? {};
  const level = labels['pod-security.kubernetes.io/enforce'];
  const version = labels['pod-security.kubernetes.io/enforce-version'] ?? 'latest';
  return { level: level === 'baseline' || level === 'restricted' ? level : 'privileged', version };
}

/** The violation text after `is forbidden: `, or undefined when the pod is allowed. */
export function podSecurityViolation(ns: Namespace | undefined, pod: Pod): string | undefined {
  const { level, version } = enforcedPolicy(ns);
  if (level === 'privileged') return undefined;
  const active = checks.filter((c) => level === 'restricted' || c.level === 'baseline');
  const overridden = new Set(active.map((c) => c.overrides).filter(Boolean));
  const failures = active
    .filter((c) => !overridden.has(c.id))
    .map((c) => c.check(pod.spec))
    .filter((r): r is NonNullable<Result> => r !== undefined);
  if (failures.length === 0) return undefined;
  const detail = failures.map((f) => (f.detail ? `${f.reason} (${f.detail})` : f.reason)).join(', ');
  return `violates PodSecurity "${level}:${version}": ${detail}`;
}
