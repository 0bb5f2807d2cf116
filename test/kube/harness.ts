/**
 * In-process tests of `src/kube` against the Kubernetes API double: a double
 * per test file, a fresh namespace per test, a `Kube` session on a manual
 * clock, and the raw API for setting the scene. No build needed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Job } from '@kubernetes/client-node';
import { connectApi } from '../../src/kube/client.js';
import type { KubeApi } from '../../src/kube/api.js';
import { createKube, type Kube } from '../../src/kube/kube.js';
import type { Timers } from '../../src/kube/job-wait.js';
import { startKubeDouble, type KubeDouble, type KubeDoubleOptions } from '../support/kube-double/index.js';
import { ManualClock } from '../support/manual-clock.js';

export interface KubeHarness {
  double: KubeDouble;
  /** A session in a fresh namespace (with these labels), on its own manual clock. */
  session(labels?: Record<string, string>): Promise<Session>;
  close(): Promise<void>;
}

export interface Session {
  kube: Kube;
  api: KubeApi;
  clock: ManualClock;
  timers: Timers;
  namespace: string;
}

let counter = 0;

export async function kubeHarness(options: KubeDoubleOptions = {}): Promise<KubeHarness> {
  // 10 s of Kubernetes time is 10 ms: back-off and grace periods pass at once.
  const double = await startKubeDouble({ timeScale: 0.001, ...options });
  return {
    double,
    async session(labels = {}) {
      const namespace = `kube-${process.pid}-${++counter}`;
      const created = await fetch(`${double.server}/api/v1/namespaces`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } }),
      });
      if (created.status !== 201) throw new Error(`namespace ${namespace}: HTTP ${created.status}`);
      const { api, serverVersion } = await connectApi({ kubeconfig: double.kubeconfigPath, namespace });
      const clock = new ManualClock();
      const timers = { clock, sleep: clock.sleep };
      return { kube: createKube(api, serverVersion, timers), api, clock, timers, namespace };
    },
    close: () => double.close(),
  };
}

/** A folder for files a container and the test share (a container finishes when its file appears). */
export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'schemagate-kube-'));
}

/** `sh -c script` as a container's argv: no node start-up, so a pod runs in milliseconds. */
export function sh(script: string): string[] {
  return ['sh', '-c', script];
}

/** A shell line that waits until `file` exists (the test creates it to let the container finish). */
export function untilFile(file: string): string {
  return `while [ ! -f '${file}' ]; do sleep 0.01; done`;
}

export function job(
  name: string,
  command: string[],
  extra: { backoffLimit?: number; image?: string; spec?: object; container?: object } = {},
): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      backoffLimit: extra.backoffLimit ?? 0,
      ...extra.spec,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'main', image: extra.image ?? 'busybox:1', command, ...extra.container }],
        },
      },
    },
  };
}

/** Resolves with the first progress line that matches, as the wait reports it. */
export function progressLog(): { lines: string[]; onProgress: (l: string) => void; next(re: RegExp): Promise<string> } {
  const lines: string[] = [];
  const waiting: { re: RegExp; resolve: (l: string) => void }[] = [];
  return {
    lines,
    onProgress(l) {
      lines.push(l);
      for (const w of [...waiting])
        if (w.re.test(l)) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve(l);
        }
    },
    next(re) {
      const seen = lines.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiting.push({ re, resolve }));
    },
  };
}
