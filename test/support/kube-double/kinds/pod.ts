/**
 * Pods and the pod templates of workloads: the fields the scheduler, the
 * kubelet, admission and the controllers read.
 * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/
 */
import {
  bool,
  int,
  int64,
  intOrString,
  list,
  map,
  nullable,
  quantity,
  raw,
  req,
  str,
  struct,
  type TypeOf,
} from '../schema.js';
import { condition, kind } from './meta.js';

const keySelector = (goName: string) => struct(goName, { name: str, key: req(str), optional: bool });

const envVar = struct('EnvVar', {
  name: req(str),
  value: str,
  valueFrom: struct('EnvVarSource', {
    secretKeyRef: keySelector('SecretKeySelector'),
    configMapKeyRef: keySelector('ConfigMapKeySelector'),
    fieldRef: struct('ObjectFieldSelector', { apiVersion: str, fieldPath: req(str) }),
  }),
});
export type EnvVar = TypeOf<typeof envVar>;

const envFromSource = struct('EnvFromSource', {
  prefix: str,
  secretRef: struct('SecretEnvSource', { name: str, optional: bool }),
  configMapRef: struct('ConfigMapEnvSource', { name: str, optional: bool }),
});

export const probe = struct('Probe', {
  exec: struct('ExecAction', { command: list(str) }),
  httpGet: struct('HTTPGetAction', { path: str, port: req(intOrString), host: str, scheme: str }),
  tcpSocket: struct('TCPSocketAction', { port: req(intOrString), host: str }),
  initialDelaySeconds: int,
  periodSeconds: int,
  timeoutSeconds: int,
  successThreshold: int,
  failureThreshold: int,
});
export type Probe = TypeOf<typeof probe>;

const securityContext = struct('SecurityContext', {
  allowPrivilegeEscalation: bool,
  privileged: bool,
  runAsNonRoot: bool,
  runAsUser: int64,
  capabilities: struct('Capabilities', { add: list(str), drop: list(str) }),
  seccompProfile: struct('SeccompProfile', { type: str }),
});

export const container = struct('Container', {
  name: req(str),
  image: str,
  command: list(str),
  args: list(str),
  workingDir: str,
  env: list(envVar),
  envFrom: list(envFromSource),
  ports: list(struct('ContainerPort', { name: str, containerPort: req(int), hostPort: int, protocol: str })),
  readinessProbe: probe,
  resources: struct('ResourceRequirements', { requests: map(quantity), limits: map(quantity) }),
  volumeMounts: list(struct('VolumeMount', { name: req(str), mountPath: req(str), subPath: str })),
  imagePullPolicy: str,
  terminationMessagePath: str,
  terminationMessagePolicy: str,
  securityContext,
  /** Always on an init container makes it a sidecar (1.29+). */
  restartPolicy: str,
});
export type Container = TypeOf<typeof container>;

const keyToPath = list(struct('KeyToPath', { key: req(str), path: req(str) }));

const volume = struct('Volume', {
  name: req(str),
  configMap: struct('ConfigMapVolumeSource', { name: str, optional: bool, items: keyToPath }),
  secret: struct('SecretVolumeSource', { secretName: str, optional: bool, items: keyToPath }),
  emptyDir: raw,
  /** Never mounted by the double; Pod Security refuses it below restricted. */
  hostPath: raw,
  persistentVolumeClaim: struct('PersistentVolumeClaimVolumeSource', { claimName: req(str) }),
});
export type Volume = TypeOf<typeof volume>;

export const podSpec = struct('PodSpec', {
  containers: list(container),
  initContainers: list(container),
  ephemeralContainers: list(container),
  volumes: list(volume),
  restartPolicy: str,
  terminationGracePeriodSeconds: int64,
  activeDeadlineSeconds: int64,
  nodeName: str,
  hostname: str,
  subdomain: str,
  serviceAccountName: str,
  serviceAccount: str,
  enableServiceLinks: bool,
  priority: int,
  dnsPolicy: str,
  schedulerName: str,
  hostNetwork: bool,
  hostPID: bool,
  hostIPC: bool,
  securityContext: struct('PodSecurityContext', {
    runAsNonRoot: bool,
    runAsUser: int64,
    seccompProfile: struct('SeccompProfile', { type: str }),
  }),
});
export type PodSpec = TypeOf<typeof podSpec>;

/** A container's state as stored: any of the three may be set (the kubelet sets one, a client may write any). */
const containerState = struct('ContainerState', {
  waiting: struct('ContainerStateWaiting', { reason: str, message: str }),
  running: struct('ContainerStateRunning', { startedAt: nullable(str) }),
  terminated: struct('ContainerStateTerminated', {
    exitCode: req(int),
    signal: int,
    reason: str,
    message: str,
    startedAt: nullable(str),
    finishedAt: nullable(str),
    containerID: str,
  }),
});
export type ContainerState = TypeOf<typeof containerState>;

const containerStatus = struct('ContainerStatus', {
  name: req(str),
  state: containerState,
  lastState: containerState,
  ready: req(bool),
  started: bool,
  restartCount: req(int),
  image: req(str),
  imageID: req(str),
  containerID: str,
});
export type ContainerStatus = TypeOf<typeof containerStatus>;

const podIPs = list(struct('PodIP', { ip: req(str) }));

export const podStatus = struct('PodStatus', {
  phase: str,
  conditions: list(condition('PodCondition')),
  hostIP: str,
  hostIPs: podIPs,
  podIP: str,
  podIPs,
  startTime: nullable(str),
  containerStatuses: list(containerStatus),
  initContainerStatuses: list(containerStatus),
  qosClass: str,
});
export type PodStatus = TypeOf<typeof podStatus>;

/** spec is always there: a pod without containers does not pass validation. */
export const pod = kind('Pod', { spec: req(podSpec), status: podStatus });
export type Pod = TypeOf<typeof pod>;

/** A template's metadata: its labels and annotations (what else it holds is kept as sent). */
export const templateMeta = struct('ObjectMeta', { labels: map(str), annotations: map(str) });

export const podTemplateSpec = struct('PodTemplateSpec', { metadata: templateMeta, spec: req(podSpec) });
export type PodTemplateSpec = TypeOf<typeof podTemplateSpec>;
