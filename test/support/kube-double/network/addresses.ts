/**
 * Addresses for pods and Services: each its own loopback address, so a
 * process can listen on a pod's IP and a Service's cluster IP on the one host
 * (every 127.0.0.0/8 address is the loopback interface on Linux). A random
 * second octet per process keeps doubles in parallel test processes apart.
 */
const pick = (from: number): number => from + Math.floor(Math.random() * 60);
const podOctet = pick(64);
const serviceOctet = pick(128);
let nextPod = 0;
let nextService = 0;

function address(octet: number, n: number): string {
  return `127.${octet}.${Math.floor(n / 250) % 250}.${(n % 250) + 2}`;
}

export function nextPodIp(): string {
  return address(podOctet, nextPod++);
}

export function nextClusterIp(): string {
  return address(serviceOctet, nextService++);
}
