/**
 * The source of the preload every container's Node process gets
 * (NODE_OPTIONS=--require): it makes the pod's network what a pod sees.
 * - DNS: Service names (`postgres`, `postgres.ns`, `postgres.ns.svc`,
 *   `postgres.ns.svc.cluster.local`, StatefulSet pods'
 *   `postgres-0.postgres.ns.svc.cluster.local`) resolve, through the pod's
 *   search path, to the address the double serves them on.
 * - A server that listens on every address (no host, 0.0.0.0 or ::) listens
 *   on the pod's IP, so pods on the one host do not collide on a port.
 * Written to a file at start-up (built-ins only), so it needs no build.
 * https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/
 */
export const preloadSource = String.raw`'use strict';
const dns = require('node:dns');
const net = require('node:net');
const fs = require('node:fs');
const hostsFile = process.env.KUBE_DOUBLE_DNS;
const podIp = process.env.KUBE_DOUBLE_POD_IP;
const ns = process.env.KUBE_DOUBLE_NAMESPACE || 'default';
function resolveCluster(name) {
  if (!hostsFile || typeof name !== 'string' || net.isIP(name)) return undefined;
  let hosts;
  try { hosts = JSON.parse(fs.readFileSync(hostsFile, 'utf8')); } catch { return undefined; }
  const n = name.replace(/\.$/, '').toLowerCase();
  // ndots:5: a name with fewer dots tries the search path first.
  const search = [ns + '.svc.cluster.local', 'svc.cluster.local', 'cluster.local'].map((s) => n + '.' + s);
  for (const candidate of n.split('.').length - 1 < 5 ? [...search, n] : [n, ...search]) {
    const ips = hosts[candidate];
    if (ips && ips.length > 0) return ips;
  }
  return undefined;
}
function answer(ips, options) {
  const all = typeof options === 'object' && options !== null && options.all;
  return all ? ips.map((address) => ({ address, family: 4 })) : { address: ips[0], family: 4 };
}
const lookup = dns.lookup;
dns.lookup = function (hostname, options, callback) {
  if (typeof options === 'function') { callback = options; options = {}; }
  const ips = resolveCluster(hostname);
  if (!ips) return lookup.call(this, hostname, options, callback);
  const a = answer(ips, options);
  process.nextTick(() => (Array.isArray(a) ? callback(null, a) : callback(null, a.address, a.family)));
  return {};
};
const promisesLookup = dns.promises.lookup;
dns.promises.lookup = async function (hostname, options) {
  const ips = resolveCluster(hostname);
  return ips ? answer(ips, options) : promisesLookup.call(this, hostname, options);
};
if (podIp) {
  const everywhere = (h) => h === undefined || h === null || h === '' || h === '0.0.0.0' || h === '::';
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (...args) {
    const first = args[0];
    if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
      if (first.port !== undefined && first.path === undefined && first.handle === undefined && first._handle === undefined && everywhere(first.host))
        args[0] = { ...first, host: podIp };
    } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
      if (typeof args[1] !== 'string' || everywhere(args[1])) args.splice(1, typeof args[1] === 'string' || args[1] === undefined && args.length > 1 ? 1 : 0, podIp);
    } else if (first === undefined || typeof first === 'function') {
      args.unshift(0, podIp);
      if (first === undefined) args.splice(2, 1);
    }
    return listen.apply(this, args);
  };
}
`;
