import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError, SchemagateError } from '../../src/errors.js';
import { connectKube } from '../../src/kube/kube.js';
import { freePort } from '../../src/util/net.js';
import { job, kubeHarness, progressLog, scratchDir, sh, untilFile, type KubeHarness } from './harness.js';

// The Kube session's other calls against the double: submitting content-named Jobs, deleting and waiting until
// gone, one-off db Jobs, the server-side dry run, events and logs, and connecting.
// Kubernetes facts: https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup,
// https://kubernetes.io/docs/concepts/overview/working-with-objects/finalizers/,
// https://kubernetes.io/docs/reference/using-api/server-side-apply/ (dryRun=All)
let h: KubeHarness;
beforeAll(async () => {
  h = await kubeHarness();
});
afterAll(() => h.close());

const forever = () => new AbortController().signal;

async function rejection(p: Promise<unknown>): Promise<SchemagateError> {
  const e: unknown = await p.then(
    () => new Error('expected a failure'),
    (err: unknown) => err,
  );
  if (!(e instanceof SchemagateError)) throw e;
  return e;
}

describe('ensureJob', () => {
  it('creates a Job, attaches to the same one when asked again, and replaces it once it failed', async () => {
    const s = await h.session();
    const dir = scratchDir();
    const failing = () => job('same', sh(`${untilFile(join(dir, 'go'))}; exit 1`));
    const first = await s.kube.ensureJob(failing(), forever());
    expect([first.how, first.state]).toEqual(['created', 'running']);
    const again = await s.kube.ensureJob(failing(), forever());
    expect(again.how).toBe('attached');
    expect(again.job.metadata.uid).toBe(first.job.metadata.uid);
    writeFileSync(join(dir, 'go'), '');
    await rejection(s.kube.waitForJob({ name: 'same', timeoutMs: 60_000, signal: forever() }));
    const replaced = await s.kube.ensureJob(failing(), forever());
    expect(replaced.how).toBe('replaced');
    expect(replaced.job.metadata.uid).not.toBe(first.job.metadata.uid);
  });

  it('replaces a complete Job only when asked to (replaceComplete)', async () => {
    const s = await h.session();
    await s.kube.ensureJob(job('done', sh('true')), forever());
    await s.kube.waitForJob({ name: 'done', timeoutMs: 60_000, signal: forever() });
    expect((await s.kube.ensureJob(job('done', sh('true')), forever())).state).toBe('complete');
    const rerun = await s.kube.ensureJob(job('done', sh('true')), forever(), { replaceComplete: true });
    expect([rerun.how, rerun.state]).toEqual(['replaced', 'running']);
  });
});

describe('deleteJob', () => {
  it('deletes the Job with its pods (propagation Background) and returns once it is gone', async () => {
    const s = await h.session();
    const dir = scratchDir();
    await s.kube.ensureJob(job('del', sh(untilFile(join(dir, 'go')))), forever());
    const progress = progressLog();
    const waiting = rejection(s.kube.waitForJob({ name: 'del', timeoutMs: 60_000, signal: forever(), ...progress }));
    await progress.next(/started$/);
    await s.kube.deleteJob('del', forever());
    expect(h.double.get('jobs', s.namespace, 'del')).toBeUndefined();
    expect((await waiting).code).toBe('job.deleted');
    // Nothing to delete is not an error.
    await s.kube.deleteJob('del', forever());
  });

  it('says what holds the Job when it is still there at the deadline (a finalizer)', async () => {
    const s = await h.session();
    const held = job('held', sh('true'));
    held.metadata = { ...held.metadata, finalizers: ['example.com/hold'] };
    await s.kube.ensureJob(held, forever());
    const deleting = s.kube.deleteJob('held', forever());
    // The deletion is requested and the wait is watching: then its minute passes.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (s.clock.pending === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    s.clock.advance(60_000);
    const e = await rejection(deleting);
    expect([e.code, e.message]).toEqual(['job.delete-timeout', 'job/held was still there 1m after it was deleted']);
    expect(e.hint).toBe(`A finalizer may hold it: kubectl -n ${s.namespace} get job held -o yaml`);
  });
});

describe('runDbJob', () => {
  it('returns the JSON report of a command that exits non-zero (pending migrations), and deletes its Job', async () => {
    const s = await h.session();
    const report = JSON.stringify({ ok: false, counts: { pending: 1 } });
    const r = await s.kube.runDbJob(job('status-1', sh(`echo '${report}'; exit 7`)), {
      timeoutMs: 60_000,
      signal: forever(),
    });
    expect(r).toEqual({ ok: false, counts: { pending: 1 } });
    expect(h.double.get('jobs', s.namespace, 'status-1')).toBeUndefined();
  });

  it("reports the command's own error message, and a Job that printed nothing", async () => {
    const s = await h.session();
    const failed = JSON.stringify({ error: 'connect.refused', message: 'could not connect to PostgreSQL' });
    const opts = { timeoutMs: 60_000, signal: forever() };
    expect(await s.kube.runDbJob(job('status-2', sh(`echo '${failed}'; exit 5`)), opts)).toEqual({
      error: 'could not connect to PostgreSQL',
    });
    expect(await s.kube.runDbJob(job('status-3', sh('exit 1')), opts)).toEqual({
      error: 'job/status-3 printed nothing',
    });
  });
});

describe('the rest of the session', () => {
  it('dry-runs objects on the server: what it rejects, with its reason, and nothing is created', async () => {
    const s = await h.session();
    const bad = job('bad', sh('true'));
    bad.spec!.template.spec!.restartPolicy = 'Always';
    const results = await s.kube.dryRun([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fine' } }, bad]);
    expect(results[0]).toEqual({ object: 'ConfigMap/fine' });
    expect(results[1]?.object).toBe('Job/bad');
    expect(results[1]?.rejected).toMatch(/restartPolicy/);
    expect(h.double.list('configmaps', s.namespace)).toEqual([]);
  });

  it("reads a Job's events and a pod's log", async () => {
    const s = await h.session();
    await s.kube.ensureJob(job('talk', sh('echo one; echo two')), forever());
    await s.kube.waitForJob({ name: 'talk', timeoutMs: 60_000, signal: forever() });
    const events = await s.kube.events('Job', 'talk');
    expect(events.map((e) => e.reason)).toContain('SuccessfulCreate');
    const pod = h.double.list('pods', s.namespace)[0]!.metadata.name;
    expect(await s.kube.podLogs(pod, 'main')).toEqual(['one', 'two']);
  });

  it('lists the Jobs of one kind, newest first, by their schemagate.dev/job label', async () => {
    const s = await h.session();
    const labelled = (name: string, kind: string) => {
      const j = job(name, sh('true'));
      j.metadata = { ...j.metadata, labels: { 'app.kubernetes.io/name': 'schemagate', 'schemagate.dev/job': kind } };
      return j;
    };
    await s.kube.ensureJob(labelled('m1', 'migrate'), forever());
    await s.kube.ensureJob(labelled('s1', 'seed'), forever());
    expect((await s.kube.listJobs('migrate')).map((j) => j.metadata?.name)).toEqual(['m1']);
    expect(await s.kube.readDeployment('absent')).toBeUndefined();
  });
});

describe('connectKube', () => {
  it('without any kubeconfig: says which were looked for, and that --local exists', async () => {
    const home = scratchDir();
    const e = await rejection(connectKube({ namespace: 'x', env: { HOME: home } }));
    expect(e.code).toBe('kube.no-config');
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe(
      `no cluster configured: KUBECONFIG is not set and ${join(home, '.kube', 'config')} does not exist`,
    );
    expect(e.hint).toMatch(/add --local\.$/);
    const listed = await rejection(connectKube({ namespace: 'x', env: { KUBECONFIG: join(home, 'nope') } }));
    expect(listed.message).toBe(`no cluster configured: KUBECONFIG names ${join(home, 'nope')}, and it does not exist`);
  });

  it('names the contexts there are when the one asked for is not', async () => {
    const e = await rejection(connectKube({ namespace: 'x', kubeconfig: h.double.kubeconfigPath, context: 'prod' }));
    expect(e.code).toBe('kube.context');
    expect(e.hint).toBe(`Known contexts: ${h.double.contextName}. Pass --context or set kubernetes.context.`);
  });

  it('fails (and so says nothing of being connected) when the API server does not answer', async () => {
    const dir = scratchDir();
    mkdirSync(join(dir, '.kube'));
    const port = await freePort();
    const config = join(dir, 'kubeconfig.json');
    writeFileSync(
      config,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'u', user: { token: 'secret-token-1234' } }],
        contexts: [{ name: 'kind-closed', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'kind-closed',
      }),
    );
    const e = await rejection(connectKube({ namespace: 'x', env: { KUBECONFIG: config } }));
    expect(e).toBeInstanceOf(KubeApiError);
    expect(e.code).toBe('kube.unreachable');
    expect(e.message).toMatch(
      /^could not reach the Kubernetes API of context "kind-closed" while trying to read the server version: /,
    );
  });
});
