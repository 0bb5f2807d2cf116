/**
 * What kube-proxy and CoreDNS do for the double: each Service port is served
 * on the Service's cluster IP by a TCP proxy to a ready pod the selector
 * picks (round robin, the target port by number or by the container port's
 * name), and a hosts file maps Service names (and, for a headless Service,
 * its pods) to addresses, for the pods' DNS (preload.ts).
 * https://kubernetes.io/docs/concepts/services-networking/service/
 * https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/
 */
import { writeFileSync, renameSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Api } from '../api.js';
import { isReady } from '../controllers/pods.js';
import { mustFind, resourceKey } from '../resources.js';
import { fromSelectorObject, matchesLabels } from '../selectors.js';
import type { Pod, Service, ServicePort } from '../types.js';

/** A ready pod behind a Service: one with an address. */
type Endpoint = Pod & { status: { podIP: string } };

function hasAddress(p: Pod): p is Endpoint {
  return typeof p.status?.podIP === 'string';
}

export class ServiceNetwork {
  private readonly proxies = new Map<string, Server>();
  private readonly sockets = new Set<Socket>();
  private readonly unsubscribe: () => void;
  private readonly turn = new Map<string, number>();
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly api: Api,
    readonly hostsFile: string,
    private readonly onError: (err: unknown, where: string) => void,
  ) {
    const svcKey = resourceKey(mustFind('services'));
    const podsKey = resourceKey(mustFind('pods'));
    this.write();
    this.unsubscribe = api.store.subscribe((e) => {
      if (e.resource !== svcKey && e.resource !== podsKey) return;
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        if (!this.stopped) this.reconcile();
      });
    });
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    for (const s of this.proxies.values()) s.close();
    for (const s of this.sockets) s.destroy();
    this.proxies.clear();
  }

  /** Ready pods behind a Service (its EndpointSlice, in effect). */
  endpoints(svc: Service): Endpoint[] {
    const selector = svc.spec?.selector;
    if (!selector) return [];
    const sel = fromSelectorObject({ matchLabels: selector });
    return this.api
      .list(mustFind('pods'), svc.metadata.namespace)
      .filter((p) => matchesLabels(sel, p.metadata.labels) && isReady(p) && !p.metadata.deletionTimestamp)
      .filter(hasAddress);
  }

  private reconcile(): void {
    const services = this.api.list(mustFind('services'), undefined);
    const wanted = new Set<string>();
    for (const svc of services) {
      const ip = svc.spec?.clusterIP;
      if (!ip || ip === 'None') continue;
      for (const p of svc.spec?.ports ?? []) {
        if ((p.protocol ?? 'TCP') !== 'TCP') continue;
        const key = `${svc.metadata.namespace}/${svc.metadata.name}/${ip}:${p.port}`;
        wanted.add(key);
        if (!this.proxies.has(key)) this.proxies.set(key, this.serve(svc, ip, p));
      }
    }
    for (const [key, server] of this.proxies) {
      if (wanted.has(key)) continue;
      server.close();
      this.proxies.delete(key);
    }
    this.write();
  }

  private serve(svc: Service, ip: string, port: ServicePort): Server {
    const ns = svc.metadata.namespace;
    const name = svc.metadata.name;
    const server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      const current = this.api.tryGet(mustFind('services'), ns, name);
      const ready = current ? this.endpoints(current) : [];
      if (ready.length === 0) {
        // No endpoints: kube-proxy rejects the connection.
        client.destroy();
        return;
      }
      const n = this.turn.get(name) ?? 0;
      this.turn.set(name, n + 1);
      const pod = ready[n % ready.length]!;
      const upstream = connect(targetPort(pod, port), pod.status.podIP);
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    server.on('error', (err) => this.onError(err, `service ${ns}/${name} on ${ip}:${port.port}`));
    server.listen(port.port, ip);
    return server;
  }

  /** The hosts file the pods' preload reads: FQDN -> addresses. */
  private write(): void {
    const hosts: Record<string, string[]> = {};
    const services = this.api.list(mustFind('services'), undefined);
    for (const svc of services) {
      const fqdn = `${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local`;
      const ip = svc.spec?.clusterIP;
      const headless = ip === 'None';
      const ready = headless ? this.endpoints(svc) : [];
      hosts[fqdn] = headless ? ready.map((p) => p.status.podIP) : ip ? [ip] : [];
      // A headless Service names its pods: <hostname>.<service>.<namespace>.svc.cluster.local.
      for (const p of ready) {
        const hostname = p.spec.hostname;
        if (hostname && p.spec.subdomain === svc.metadata.name) hosts[`${hostname}.${fqdn}`] = [p.status.podIP];
      }
    }
    const tmp = `${this.hostsFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(hosts));
    renameSync(tmp, this.hostsFile);
  }
}

function targetPort(pod: Pod, port: ServicePort): number {
  const t = port.targetPort ?? port.port;
  if (typeof t === 'number') return t;
  if (/^\d+$/.test(t)) return Number(t);
  for (const c of pod.spec.containers ?? []) {
    const found = c.ports?.find((p) => p.name === t);
    if (found) return found.containerPort;
  }
  return port.port;
}
