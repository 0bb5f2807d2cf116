import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, test } from 'vitest';
import { testCluster } from '../support/cluster.js';
import { parseArgs } from '../support/kube-double/cli-args.js';
import { waitFor } from './helpers.js';

describe('testCluster()', () => {
  test('without SCHEMAGATE_E2E_REAL it starts the double and creates a fresh namespace per call', async () => {
    const saved = process.env['SCHEMAGATE_E2E_REAL'];
    delete process.env['SCHEMAGATE_E2E_REAL'];
    const a = await testCluster({ namespacePrefix: 'schema' });
    const b = await testCluster({ namespacePrefix: 'schema' });
    try {
      expect(a.isDouble).toBe(true);
      expect(a.context).toBe('kind-schemagate-double');
      expect(a.namespace).toMatch(/^schema-/);
      expect(a.namespace).not.toBe(b.namespace);
      const kc = new KubeConfig();
      kc.loadFromFile(a.kubeconfigPath);
      const ns = await kc.makeApiClient(CoreV1Api).readNamespace({ name: a.namespace });
      expect(ns.status?.phase).toBe('Active');
      expect(a.double?.get('namespaces', undefined, a.namespace)).toBeDefined();
    } finally {
      await a.close();
      await b.close();
      if (saved !== undefined) process.env['SCHEMAGATE_E2E_REAL'] = saved;
    }
  });
});

describe('npm run cluster:double', () => {
  test('options parse: --time-scale, repeatable --absent-image, --present-image, --port', () => {
    expect(
      parseArgs([
        '--time-scale',
        '0.01',
        '--absent-image',
        'ghcr.io/*',
        '--absent-image=bad:*',
        '--present-image',
        'node:*',
        '--port',
        '0',
      ]),
    ).toEqual({
      timeScale: 0.01,
      absentImages: ['ghcr.io/*', 'bad:*'],
      presentImages: ['node:*'],
      port: 0,
    });
    expect(() => parseArgs(['--time-scale', '0'])).toThrow('--time-scale must be a positive number');
    expect(() => parseArgs(['--bogus'])).toThrow('unknown option --bogus');
  });

  test("prints KUBECONFIG=<path> once it serves, honours --absent-image, runs schemagate's image as the CLI, and exits 0 on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [
        'node_modules/vite-node/vite-node.mjs',
        'test/support/kube-double/main.ts',
        '--',
        '--time-scale',
        '0.001',
        '--absent-image',
        'acme/*',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface(child.stdout).on('line', (l) => l.startsWith('KUBECONFIG=') && resolve(l));
        child.on('exit', (code) => reject(new Error(`exited early with ${code}`)));
      });
      const kc = new KubeConfig();
      kc.loadFromFile(line.slice('KUBECONFIG='.length));
      const core = kc.makeApiClient(CoreV1Api);
      await core.createNamespacedPod({
        namespace: 'default',
        body: {
          metadata: { name: 'p' },
          spec: { containers: [{ name: 'c', image: 'acme/app:1', command: ['true'] }] },
        },
      });
      await waitFor(
        'ImagePullBackOff',
        async () =>
          (await core.readNamespacedPod({ namespace: 'default', name: 'p' })).status?.containerStatuses?.[0]?.state
            ?.waiting?.reason === 'ImagePullBackOff',
      );
      // schemagate's image runs the CLI of this checkout, as the real image's ENTRYPOINT does.
      await core.createNamespacedPod({
        namespace: 'default',
        body: {
          metadata: { name: 'sg' },
          spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'schemagate:dev', args: ['--version'] }] },
        },
      });
      await waitFor(
        'the schemagate pod to succeed',
        async () => (await core.readNamespacedPod({ namespace: 'default', name: 'sg' })).status?.phase === 'Succeeded',
      );
      expect(await core.readNamespacedPodLog({ namespace: 'default', name: 'sg' })).toMatch(/^\d+\.\d+\.\d+\n$/);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
