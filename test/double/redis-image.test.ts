import type { KubernetesObject } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../support/cli.js';
import { redisServerBinary } from '../support/redis.js';
import { logOfFinishedPod, nodeCommand, startHarness, waitFor, type Harness } from './helpers.js';

// Facts pinned here: https://github.com/docker-library/docs/blob/master/redis/README.md (the redis image: CMD
// redis-server, port 6379, options as arguments, protected mode off), and
// https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/ (a Service reached by its name).
// Without redis-server (Debian's package) these are skipped, except in CI, where .ci/run installs it.
const hasRedis = Boolean(redisServerBinary) || Boolean(process.env['CI']);

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ timeScale: 0.01, redisImages: ['redis:*'] });
});
afterAll(() => h.double.close());

const podLog = (ns: string, name: string) => logOfFinishedPod(h, ns, name, 30_000);

// A RESP PING to redis:6379 from a pod, by the Service's name.
const ping = `let got=false;const s=require('net').connect(6379,'redis',()=>s.write('PING\\r\\n'));s.on('data',(d)=>{got=true;process.stdout.write(d.toString());s.end()});s.on('error',(e)=>{got=true;console.log('error '+e.message);process.exitCode=1});s.on('close',()=>{if(!got)console.log('closed without an answer')})`;

describe.skipIf(!hasRedis)('the redis image on the local redis-server', () => {
  test("k8s/redis.yaml's pod gets ready by its exec probe (redis-cli ping) and answers PING through the Service", async () => {
    const ns = await h.namespace('redis');
    for (const doc of parseAllDocuments(readFileSync(join(repoRoot, 'k8s', 'redis.yaml'), 'utf8'))) {
      const obj = doc.toJS() as KubernetesObject;
      obj.metadata = { ...obj.metadata, namespace: ns };
      await h.objects.create(obj);
    }
    const pod = await waitFor(
      'the redis pod ready',
      async () => {
        const pods = (await h.core.listNamespacedPod({ namespace: ns })).items;
        return pods.find((p) => p.status?.containerStatuses?.[0]?.ready);
      },
      30_000,
    );
    // On the pod's own IP, not every address: pods on the one host do not collide.
    const log = await h.core.readNamespacedPodLog({ namespace: ns, name: pod.metadata!.name! });
    expect(log).toMatch(/Ready to accept connections/);
    expect(log).not.toMatch(/0\.0\.0\.0:6379/);
    await h.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'client' },
        spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'node:20', command: nodeCommand(ping) }] },
      },
    });
    expect(await podLog(ns, 'client')).toBe('+PONG\r\n');
  });

  test('scaled to 0, the Service has no ready pod: a connection to it is dropped', async () => {
    const ns = await h.namespace('redis0');
    for (const doc of parseAllDocuments(readFileSync(join(repoRoot, 'k8s', 'redis.yaml'), 'utf8'))) {
      const obj = doc.toJS() as KubernetesObject & { spec?: { replicas?: number } };
      obj.metadata = { ...obj.metadata, namespace: ns };
      if (obj.kind === 'Deployment') obj.spec!.replicas = 0;
      await h.objects.create(obj);
    }
    await h.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'client' },
        spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'node:20', command: nodeCommand(ping) }] },
      },
    });
    // Refused or reset by the proxy, or closed at once: never an answer.
    expect(await podLog(ns, 'client')).toMatch(/^(error \S+|closed without an answer)/);
  });
});
