import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';

/**
 * kind-config.yaml against kind's config format, without kind. The shape is
 * kind's v1alpha4 Cluster (sigs.k8s.io/kind pkg/apis/config/v1alpha4/types.go),
 * decoded strictly as kind does (yaml.v3 KnownFields: an unknown field is an
 * error), then the rules of pkg/internal/apis/config/validate.go.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

type Check = (v: unknown, path: string, errs: string[]) => void;

const str: Check = (v, p, e) => {
  if (typeof v !== 'string') e.push(`${p}: expected a string, found ${JSON.stringify(v)}`);
};
const bool: Check = (v, p, e) => {
  if (typeof v !== 'boolean') e.push(`${p}: expected a boolean, found ${JSON.stringify(v)}`);
};
const int32: Check = (v, p, e) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)
    e.push(`${p}: expected an int32, found ${JSON.stringify(v)}`);
};
const oneOf =
  (...values: string[]): Check =>
  (v, p, e) => {
    if (typeof v !== 'string' || !values.includes(v))
      e.push(`${p}: expected one of ${values.join(', ')}, found ${JSON.stringify(v)}`);
  };
const list =
  (item: Check): Check =>
  (v, p, e) => {
    if (!Array.isArray(v)) {
      e.push(`${p}: expected a list`);
      return;
    }
    v.forEach((x: unknown, i) => {
      item(x, `${p}[${i}]`, e);
    });
  };
const map =
  (value: Check): Check =>
  (v, p, e) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      e.push(`${p}: expected a map`);
      return;
    }
    for (const [k, x] of Object.entries(v) as [string, unknown][]) value(x, `${p}.${k}`, e);
  };
/** A struct: every field known (strict decoding), each checked. */
const struct =
  (fields: Record<string, Check>): Check =>
  (v, p, e) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      e.push(`${p || '(root)'}: expected a map`);
      return;
    }
    for (const [k, x] of Object.entries(v) as [string, unknown][]) {
      const f = fields[k];
      if (!f)
        e.push(`${p ? `${p}.` : ''}${k}: field ${k} not found in type ${p ? 'v1alpha4 (nested)' : 'v1alpha4.Cluster'}`);
      else f(x, p ? `${p}.${k}` : k, e);
    }
  };

const patch6902 = struct({ group: str, version: str, kind: str, patch: str });
const portMapping = struct({
  containerPort: int32,
  hostPort: int32,
  listenAddress: str,
  protocol: oneOf('TCP', 'UDP', 'SCTP'),
});
const mount = struct({
  containerPath: str,
  hostPath: str,
  readOnly: bool,
  selinuxRelabel: bool,
  propagation: oneOf('None', 'HostToContainer', 'Bidirectional'),
});
const node = struct({
  role: oneOf('control-plane', 'worker'),
  image: str,
  labels: map(str),
  extraMounts: list(mount),
  extraPortMappings: list(portMapping),
  gpus: str,
  kubeadmConfigPatches: list(str),
  kubeadmConfigPatchesJSON6902: list(patch6902),
});
const networking = struct({
  ipFamily: oneOf('ipv4', 'ipv6', 'dual'),
  apiServerPort: int32,
  apiServerAddress: str,
  podSubnet: str,
  serviceSubnet: str,
  disableDefaultCNI: bool,
  kubeProxyMode: oneOf('iptables', 'ipvs', 'nftables', 'none'),
  dnsSearch: list(str),
});
const cluster = struct({
  kind: str,
  apiVersion: str,
  name: str,
  nodes: list(node),
  networking,
  featureGates: map(bool),
  runtimeConfig: map(str),
  kubeadmConfigPatches: list(str),
  kubeadmConfigPatchesJSON6902: list(patch6902),
  containerdConfigPatches: list(str),
  containerdConfigPatchesJSON6902: list(str),
});

interface PortMapping {
  containerPort?: number;
  hostPort?: number;
  listenAddress?: string;
  protocol?: string;
}

/** What the tests read of a Cluster, once `cluster` has checked its shape. */
interface KindCluster {
  name?: string;
  nodes?: { role?: string; image?: string; extraPortMappings?: PortMapping[] }[];
  networking?: { apiServerPort?: number };
}

/** Every problem kind would report for this text (none: it would create the cluster). */
function validateKindConfig(text: string): string[] {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) return doc.errors.map((e) => `YAML: ${e.message}`);
  const js: unknown = doc.toJS();
  const c: Record<string, unknown> = typeof js === 'object' && js !== null ? (js as Record<string, unknown>) : {};
  const errs: string[] = [];
  if (c['apiVersion'] !== 'kind.x-k8s.io/v1alpha4') return [`unknown apiVersion: ${String(c['apiVersion'])}`];
  if (c['kind'] !== 'Cluster') return [`unknown kind ${String(c['kind'])} for apiVersion kind.x-k8s.io/v1alpha4`];
  cluster(c, '', errs);
  if (errs.length > 0) return errs;
  const checked = c as KindCluster;
  // Defaults (SetDefaultsCluster), then Validate().
  const name = checked.name ?? 'kind';
  if (!/^[a-z0-9.-]+$/.test(name))
    errs.push(`'${name}' is not a valid cluster name, cluster names must match ^[a-z0-9.-]+$`);
  const nodes = checked.nodes ?? [{ role: 'control-plane' }];
  if (!nodes.some((n) => (n.role ?? 'control-plane') === 'control-plane'))
    errs.push('must have at least one control-plane node');
  const port = (p: number | undefined, what: string, i: number) => {
    if (p !== undefined && (p < -1 || p > 65535)) errs.push(`node ${i}: invalid ${what}: invalid port number: ${p}`);
  };
  port(checked.networking?.apiServerPort, 'apiServerPort', -1);
  nodes.forEach((n, i) => {
    const seen = new Map<string, Set<string>>();
    for (const m of n.extraPortMappings ?? []) {
      port(m.hostPort, 'hostPort', i);
      port(m.containerPort, 'containerPort', i);
      if (m.listenAddress !== undefined && isIP(m.listenAddress) === 0)
        errs.push(`node ${i}: listenAddress ${m.listenAddress} is not an IP address`);
      if (m.hostPort === undefined || m.hostPort === 0 || m.hostPort === -1) continue;
      const key = `${m.hostPort}/${m.protocol ?? 'TCP'}`;
      const addr = m.listenAddress === '::' || m.listenAddress === undefined ? '0.0.0.0' : m.listenAddress;
      const addrs = seen.get(key) ?? new Set<string>();
      if (addrs.has(addr) || addrs.has('0.0.0.0') || (addr === '0.0.0.0' && addrs.size > 0))
        errs.push(
          `node ${i}: port mapping with same listen address, port and protocol already configured: ${addr}:${key}`,
        );
      addrs.add(addr);
      seen.set(key, addrs);
    }
  });
  return errs;
}

const text = readFileSync(join(root, 'kind-config.yaml'), 'utf8');
const config = parseDocument(text).toJS() as KindCluster;

describe('kind-config.yaml', () => {
  it('is a valid kind v1alpha4 Cluster', () => {
    expect(validateKindConfig(text)).toEqual([]);
  });

  it('names the cluster schemagate, so its context is kind-schemagate (what the Tiltfile allows)', () => {
    expect(config.name).toBe('schemagate');
    expect(readFileSync(join(root, 'Tiltfile'), 'utf8')).toContain("KIND_CONTEXT = 'kind-schemagate'");
  });

  it("pins the node image by digest, as kind's release notes require, and says which kind release it belongs to", () => {
    const images = config.nodes!.map((n) => n.image);
    for (const image of images) expect(image).toMatch(/^kindest\/node:v1\.31\.\d+@sha256:[0-9a-f]{64}$/);
    expect(text).toMatch(/kind v0\.\d+\.\d+/);
  });

  it("maps the backend's NodePort to the loopback only, on a port the Tilt port-forward (8080) does not use", () => {
    const mappings = config.nodes!.flatMap((n) => n.extraPortMappings ?? []);
    expect(mappings).toEqual([{ containerPort: 30080, hostPort: 30080, listenAddress: '127.0.0.1', protocol: 'TCP' }]);
    // NodePorts live in 30000-32767 by default.
    for (const m of mappings) expect(m.containerPort).toBeGreaterThanOrEqual(30000);
  });
});

describe('the kind config validator', () => {
  const base = 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n';

  it("rejects unknown fields, as kind's strict decoding does", () => {
    expect(validateKindConfig(`${base}name: x\nnodes:\n  - role: control-plane\n    extraPortMapping: []\n`)).toEqual([
      'nodes[0].extraPortMapping: field extraPortMapping not found in type v1alpha4 (nested)',
    ]);
    expect(validateKindConfig(`${base}nodess: []\n`)).toEqual([
      'nodess: field nodess not found in type v1alpha4.Cluster',
    ]);
  });

  it('rejects wrong types, roles, protocols, names, ports and duplicate mappings', () => {
    expect(validateKindConfig(`${base}nodes:\n  - role: master\n`)).toEqual([
      'nodes[0].role: expected one of control-plane, worker, found "master"',
    ]);
    expect(
      validateKindConfig(`${base}nodes:\n  - extraPortMappings:\n      - containerPort: "80"\n        protocol: tcp\n`),
    ).toEqual([
      'nodes[0].extraPortMappings[0].containerPort: expected an int32, found "80"',
      'nodes[0].extraPortMappings[0].protocol: expected one of TCP, UDP, SCTP, found "tcp"',
    ]);
    expect(validateKindConfig(`${base}name: Schema_Gate\n`)).toEqual([
      "'Schema_Gate' is not a valid cluster name, cluster names must match ^[a-z0-9.-]+$",
    ]);
    expect(validateKindConfig(`${base}nodes:\n  - role: worker\n`)).toEqual([
      'must have at least one control-plane node',
    ]);
    expect(
      validateKindConfig(`${base}nodes:\n  - extraPortMappings:\n      - { containerPort: 1, hostPort: 70000 }\n`),
    ).toEqual(['node 0: invalid hostPort: invalid port number: 70000']);
    expect(
      validateKindConfig(
        `${base}nodes:\n  - extraPortMappings:\n      - { containerPort: 1, hostPort: 80 }\n      - { containerPort: 2, hostPort: 80, listenAddress: 127.0.0.1 }\n`,
      ),
    ).toEqual([
      'node 0: port mapping with same listen address, port and protocol already configured: 127.0.0.1:80/TCP',
    ]);
    expect(validateKindConfig('kind: Cluster\napiVersion: kind.sigs.k8s.io/v1alpha3\n')).toEqual([
      'unknown apiVersion: kind.sigs.k8s.io/v1alpha3',
    ]);
  });
});
