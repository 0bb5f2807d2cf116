/**
 * Readiness probes: exec, httpGet and tcpSocket, with initialDelaySeconds,
 * periodSeconds, timeoutSeconds, successThreshold and failureThreshold
 * (the delays scaled by the clock).
 * https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Clock } from '../clock.js';
import type { Container, Probe } from '../types.js';

function portOf(c: Container, port: number | string): number {
  if (typeof port === 'number') return port;
  const named = c.ports?.find((p) => p.name === port);
  return named ? named.containerPort : Number(port);
}

function runOnce(
  probe: Probe,
  c: Container,
  env: Record<string, string>,
  cwd: string,
  timeoutMs: number,
  podIp: string,
): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean): void => resolve(ok);
    if (probe.exec?.command && probe.exec.command.length > 0) {
      const [file, ...args] = probe.exec.command;
      const child = spawn(file ?? '', args, { cwd, env, stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', () => done(false));
      child.on('close', (code) => {
        clearTimeout(timer);
        done(code === 0);
      });
    } else if (probe.httpGet) {
      const req = request(
        {
          // The host defaults to the pod's IP.
          host: probe.httpGet.host ?? podIp,
          port: portOf(c, probe.httpGet.port),
          path: probe.httpGet.path ?? '/',
          timeout: timeoutMs,
        },
        (res) => {
          res.resume();
          const code = res.statusCode ?? 0;
          done(code >= 200 && code < 400);
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => done(false));
      req.end();
    } else if (probe.tcpSocket) {
      const socket = connect({
        host: probe.tcpSocket.host ?? podIp,
        port: portOf(c, probe.tcpSocket.port),
        timeout: timeoutMs,
      });
      socket.on('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.on('timeout', () => {
        socket.destroy();
        done(false);
      });
      socket.on('error', () => done(false));
    } else done(true);
  });
}

/** Probes until stopped; calls onChange when the container's readiness changes. */
export function startReadinessProbe(
  clock: Clock,
  probe: Probe,
  c: Container,
  env: Record<string, string>,
  cwd: string,
  onChange: (ready: boolean) => void,
): () => void {
  let stopped = false;
  let cancel = (): void => undefined;
  let ready = false;
  let successes = 0;
  let failures = 0;
  // Read anew after the probe's await: the returned function may have stopped it meanwhile.
  const isStopped = (): boolean => stopped;
  const tick = async (): Promise<void> => {
    if (stopped) return;
    const ok = await runOnce(
      probe,
      c,
      env,
      cwd,
      (probe.timeoutSeconds ?? 1) * 1000,
      env['KUBE_DOUBLE_POD_IP'] ?? '127.0.0.1',
    );
    if (isStopped()) return;
    if (ok) {
      failures = 0;
      successes++;
      if (!ready && successes >= (probe.successThreshold ?? 1)) {
        ready = true;
        onChange(true);
      }
    } else {
      successes = 0;
      failures++;
      if (ready && failures >= (probe.failureThreshold ?? 3)) {
        ready = false;
        onChange(false);
      }
    }
    cancel = clock.after(probe.periodSeconds ?? 10, () => void tick());
  };
  cancel = clock.after(probe.initialDelaySeconds ?? 0, () => void tick());
  return () => {
    stopped = true;
    cancel();
  };
}
