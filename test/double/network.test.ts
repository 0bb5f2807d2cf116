import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../support/cli.js';
import { logOfFinishedPod, nodeCommand, startHarness, waitFor, type Harness } from './helpers.js';

// Facts pinned here: https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/ (names and search path),
// https://kubernetes.io/docs/concepts/services-networking/service/ (cluster IP, targetPort by name, ready endpoints),
// https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/ (ordinals, OrderedReady, claims),
// https://github.com/docker-library/docs/blob/master/postgres/README.md (the postgres image's variables and init folder).
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ timeScale: 0.01, postgresImages: ['postgres:*'] });
});
afterAll(() => h.double.close());

const podLog = (ns: string, name: string) => logOfFinishedPod(h, ns, name);

const server = "require('http').createServer((q,s)=>s.end('hello from '+process.env.HOSTNAME)).listen(8080)";

describe('Service DNS and traffic', () => {
  test('pods resolve a Service by its short and full names and reach a ready pod behind it, on its own IP', async () => {
    const ns = await h.namespace('net');
    await h.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'web', labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'node:20',
              command: nodeCommand(server),
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
            },
          ],
        },
      },
    });
    const svc = await h.core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] },
      },
    });
    const web = await waitFor('web ready', async () => {
      const p = await h.core.readNamespacedPod({ namespace: ns, name: 'web' });
      return p.status?.containerStatuses?.[0]?.ready ? p : undefined;
    });
    expect(web.status?.podIP).toMatch(/^127\./);
    expect(web.status?.podIP).not.toBe('127.0.0.1');
    const names = ['web', `web.${ns}`, `web.${ns}.svc`, `web.${ns}.svc.cluster.local`];
    const client = `(async()=>{for(const n of ${JSON.stringify(names)}){const r=await fetch('http://'+n+'/');console.log(n+': '+await r.text())}const d=await require('dns').promises.lookup('web');console.log('ip: '+d.address)})()`;
    await h.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'client' },
        spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'node:20', command: nodeCommand(client) }] },
      },
    });
    expect(await podLog(ns, 'client')).toBe(
      [...names.map((n) => `${n}: hello from web`), `ip: ${svc.spec?.clusterIP}`, ''].join('\n'),
    );
  });
});

describe('StatefulSet controller', () => {
  test('pods are created in order, each once the one before is Ready, with a stable name, hostname and claim', async () => {
    const ns = await h.namespace('sts');
    const labels = { app: 'db' };
    const seen: string[] = [];
    await h.apps.createNamespacedStatefulSet({
      namespace: ns,
      body: {
        metadata: { name: 'db' },
        spec: {
          serviceName: 'db',
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [
                {
                  name: 'c',
                  image: 'node:20',
                  command: nodeCommand(server),
                  readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
                },
              ],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: 'data' },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
            },
          ],
        },
      },
    });
    const pods = await waitFor('two ready pods', async () => {
      const list = (await h.core.listNamespacedPod({ namespace: ns })).items;
      for (const p of list) if (!seen.includes(p.metadata!.name!)) seen.push(p.metadata!.name!);
      if (list.length === 1) expect(list[0]?.metadata?.name).toBe('db-0');
      return list.length === 2 && list.every((p) => p.status?.containerStatuses?.[0]?.ready) ? list : undefined;
    });
    expect(seen).toEqual(['db-0', 'db-1']);
    const db1 = pods.find((p) => p.metadata?.name === 'db-1') as V1Pod;
    expect(db1.spec).toMatchObject({ hostname: 'db-1', subdomain: 'db' });
    expect(db1.metadata?.labels).toMatchObject({
      'statefulset.kubernetes.io/pod-name': 'db-1',
      'apps.kubernetes.io/pod-index': '1',
    });
    expect(db1.spec?.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'data-db-1' } });
    const pvcs = (await h.core.listNamespacedPersistentVolumeClaim({ namespace: ns })).items;
    expect(pvcs.map((p) => [p.metadata?.name, p.status?.phase])).toEqual([
      ['data-db-0', 'Bound'],
      ['data-db-1', 'Bound'],
    ]);
    const sts = await waitFor('status', async () => {
      const s = await h.apps.readNamespacedStatefulSet({ namespace: ns, name: 'db' });
      return s.status?.readyReplicas === 2 ? s : undefined;
    });
    expect(sts.status).toMatchObject({ replicas: 2, availableReplicas: 2, updatedReplicas: 2 });
  });
});

describe('the postgres image', () => {
  test("the repository's own postgres manifests run: initdb, the init script's roles, ready on its Service name", async () => {
    const ns = await h.namespace('pg');
    for (const file of ['secrets.yaml', 'postgres.yaml']) {
      for (const doc of parseAllDocuments(readFileSync(join(repoRoot, 'k8s', file), 'utf8'))) {
        const obj = doc.toJS() as KubernetesObject;
        obj.metadata = { ...obj.metadata, namespace: ns };
        await h.objects.create(obj);
      }
    }
    await waitFor(
      'postgres-0 ready',
      async () => {
        const p = await h.core.readNamespacedPod({ namespace: ns, name: 'postgres-0' }).catch(() => undefined);
        return p?.status?.containerStatuses?.[0]?.ready === true;
      },
      60_000,
    );
    const check = `const pg=require(${JSON.stringify(require_('pg'))});(async()=>{const c=new pg.Client('postgres://schemagate_migrator:dev-only-migrator-password@postgres:5432/app');await c.connect();const r=await c.query("select current_user, (select datdba::regrole::text from pg_database where datname='app') as owner");console.log(JSON.stringify(r.rows[0]));await c.end()})().catch(e=>{console.error(e.message);process.exit(1)})`;
    await h.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'client' },
        spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'node:20', command: nodeCommand(check) }] },
      },
    });
    expect(await podLog(ns, 'client')).toBe('{"current_user":"schemagate_migrator","owner":"schemagate_migrator"}\n');
  }, 90_000);
});

function require_(name: string): string {
  return join(repoRoot, 'node_modules', name);
}
