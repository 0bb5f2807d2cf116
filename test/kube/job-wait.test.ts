import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { JobFailedError, SchemagateError } from '../../src/errors.js';
import { Resource } from '../../src/kube/api.js';
import { waitUntil } from '../../src/kube/wait.js';
import { job, kubeHarness, progressLog, scratchDir, sh, untilFile, type KubeHarness } from './harness.js';

// The Job wait's decisions, each against the double (real HTTP and watch, real client-node) with a manual clock.
// Kubernetes facts: https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup
// and https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
let h: KubeHarness;
beforeAll(async () => {
  h = await kubeHarness({ absentImages: ['ghcr.io/acme/*'] });
});
afterAll(() => h.close());

async function rejection(p: Promise<unknown>): Promise<SchemagateError> {
  const e: unknown = await p.then(
    () => new Error('expected the wait to fail'),
    (err: unknown) => err,
  );
  if (!(e instanceof SchemagateError)) throw e;
  return e;
}

describe('waitForJob', () => {
  it('ends on the Complete condition, with the attempt count, and tells each log line with its attempt', async () => {
    const s = await h.session();
    const dir = scratchDir();
    await s.api.createJob(job('ok', sh(`echo hello; ${untilFile(join(dir, 'go'))}; echo world`)));
    const lines: string[] = [];
    const progress = progressLog();
    const waiting = s.kube.waitForJob({
      name: 'ok',
      timeoutMs: 60_000,
      signal: new AbortController().signal,
      onLog: (line, attempt) => lines.push(`${attempt}: ${line}`),
      ...progress,
    });
    await progress.next(/^attempt 1: pod ok-\w+ started$/);
    writeFileSync(join(dir, 'go'), '');
    const r = await waiting;
    expect(r).toMatchObject({ name: 'ok', attempts: 1, durationMs: 0, completedAt: 0 });
    expect(lines).toEqual(['1: hello', '1: world']);
    expect(s.clock.pending).toBe(0);
  });

  it('fails on the Failed condition (BackoffLimitExceeded), naming every attempt and showing the last lines of the failed one', async () => {
    const s = await h.session();
    await s.api.createJob(
      job('boom', sh('echo "migrations/005_x.sql:3:8: syntax error" >&2; exit 6'), { backoffLimit: 1 }),
    );
    const e = await rejection(
      s.kube.waitForJob({ name: 'boom', timeoutMs: 60_000, signal: new AbortController().signal }),
    );
    expect(e).toBeInstanceOf(JobFailedError);
    expect(e.code).toBe('job.BackoffLimitExceeded');
    expect(e.message).toMatch(
      /^job\/boom failed \(BackoffLimitExceeded\): all 2 attempts failed \(backoffLimit 1\)\n {2}last 1 log lines of boom-\w+:\n {4}migrations\/005_x\.sql:3:8: syntax error$/,
    );
    expect(e.hint).toContain(`kubectl -n ${s.namespace} logs -l batch.kubernetes.io/job-name=boom --prefix`);
    expect((e as JobFailedError).finished).toBe(true);
    expect(h.double.list('pods', s.namespace)).toHaveLength(2);
  });

  it('names DeadlineExceeded when the Job runs past activeDeadlineSeconds', async () => {
    const s = await h.session();
    await s.api.createJob(job('slow', sh('sleep 30'), { spec: { activeDeadlineSeconds: 5 } }));
    const e = await rejection(
      s.kube.waitForJob({ name: 'slow', timeoutMs: 60_000, signal: new AbortController().signal }),
    );
    expect(e.code).toBe('job.DeadlineExceeded');
    expect(e.message).toMatch(
      /^job\/slow failed \(DeadlineExceeded\): it ran longer than activeDeadlineSeconds \(5s\)/,
    );
    expect(e.hint).toMatch(/^Raise activeDeadlineSeconds in schemagate\.yaml/);
  });

  it('fails fast on an image that cannot be pulled, naming the pod, the reason and the image', async () => {
    const s = await h.session();
    await s.api.createJob(job('pull', sh('true'), { image: 'ghcr.io/acme/missing:1' }));
    const e = await rejection(
      s.kube.waitForJob({ name: 'pull', timeoutMs: 60_000, signal: new AbortController().signal }),
    );
    expect(e.code).toMatch(/^job\.(ErrImagePull|ImagePullBackOff)$/);
    expect(e.message).toMatch(
      /^job\/pull: pod pull-\w+, container main: (ErrImagePull|ImagePullBackOff): .*ghcr\.io\/acme\/missing:1/,
    );
    expect(e.hint).toContain('kind load docker-image ghcr.io/acme/missing:1');
    expect((e as JobFailedError).finished).toBe(false);
  });

  it('fails fast on a missing Secret (CreateContainerConfigError), naming the Secret', async () => {
    const s = await h.session();
    const env = [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'nowhere', key: 'DATABASE_URL' } } }];
    await s.api.createJob(job('secret', sh('true'), { container: { env } }));
    const e = await rejection(
      s.kube.waitForJob({ name: 'secret', timeoutMs: 60_000, signal: new AbortController().signal }),
    );
    expect(e.code).toBe('job.CreateContainerConfigError');
    expect(e.message).toMatch(/container main: CreateContainerConfigError: secret "nowhere" not found/);
  });

  it('gives up at its deadline on the injected clock, saying what it waited for and how far the Job got', async () => {
    const s = await h.session();
    const dir = scratchDir();
    await s.api.createJob(job('long', sh(untilFile(join(dir, 'go')))));
    const progress = progressLog();
    const waiting = s.kube.waitForJob({
      name: 'long',
      timeoutMs: 120_000,
      signal: new AbortController().signal,
      ...progress,
    });
    await progress.next(/^attempt 1: pod long-\w+ started$/);
    s.clock.advance(119_999);
    s.clock.advance(1);
    const e = await rejection(waiting);
    writeFileSync(join(dir, 'go'), '');
    expect(e.code).toBe('job.timeout');
    expect(e.message).toMatch(
      /^timed out after 2m waiting for job\/long to finish \(active 1, succeeded 0, failed 0; long-\w+: Running\)$/,
    );
    expect(e.hint).toBe(
      `Look at it with kubectl -n ${s.namespace} describe job long; raise the deadline with --timeout or kubernetes.timeout.`,
    );
  });

  it('says so when the Job is deleted while it waits, and when there is no such Job', async () => {
    const s = await h.session();
    const dir = scratchDir();
    await s.api.createJob(job('gone', sh(untilFile(join(dir, 'go')))));
    const progress = progressLog();
    const waiting = s.kube.waitForJob({
      name: 'gone',
      timeoutMs: 60_000,
      signal: new AbortController().signal,
      ...progress,
    });
    await progress.next(/started$/);
    await s.api.deleteJob('gone');
    const deleted = await rejection(waiting);
    expect([deleted.code, deleted.message]).toEqual(['job.deleted', 'job/gone was deleted while waiting for it']);

    const missing = await rejection(
      s.kube.waitForJob({ name: 'nope', timeoutMs: 60_000, signal: new AbortController().signal }),
    );
    expect([missing.code, missing.message]).toEqual([
      'job.missing',
      `job/nope does not exist in namespace ${s.namespace}`,
    ]);
    // Decided on the first list: the watch that would have followed it is never opened.
    await vi.waitFor(() => expect(h.double.openWatches).toBe(0));
  });

  it("stops at once when its signal aborts, with the signal's reason, leaving no watch or timer behind", async () => {
    const s = await h.session();
    const dir = scratchDir();
    await s.api.createJob(job('abort', sh(untilFile(join(dir, 'go')))));
    const progress = progressLog();
    const controller = new AbortController();
    const waiting = s.kube.waitForJob({ name: 'abort', timeoutMs: 60_000, signal: controller.signal, ...progress });
    await progress.next(/started$/);
    const reason = new SchemagateError('interrupted', 'interrupted by SIGINT');
    controller.abort(reason);
    expect(await rejection(waiting)).toBe(reason);
    writeFileSync(join(dir, 'go'), '');
    expect(s.clock.pending).toBe(0);
    await vi.waitFor(() => expect(h.double.openWatches).toBe(0));
  });
});

describe('waitForJob through a flaky API server', () => {
  // Kubernetes' own time scale here: no bookmark (one a minute) moves a watch past the compaction unnoticed.
  let w: KubeHarness;
  beforeAll(async () => {
    w = await kubeHarness({ timeScale: 1 });
  });
  afterAll(() => w.close());

  it('resumes after a dropped watch from the last resourceVersion, and still sees the Job complete', async () => {
    const s = await w.session();
    const dir = scratchDir();
    await s.api.createJob(job('drop', sh(`${untilFile(join(dir, 'go'))}; echo done`)));
    const progress = progressLog();
    const waiting = s.kube.waitForJob({
      name: 'drop',
      timeoutMs: 60_000,
      signal: new AbortController().signal,
      ...progress,
    });
    await progress.next(/started$/);
    // The pods' and events' watches open right after their first lists: cut all three once all are open.
    await vi.waitFor(() => expect(w.double.openWatches).toBe(3));
    w.double.dropWatches();
    await progress.next(/^job\/drop: the watch was closed; resuming from resourceVersion \d+$/);
    await progress.next(/^pods of job\/drop: the watch was closed; resuming from resourceVersion \d+$/);
    writeFileSync(join(dir, 'go'), '');
    expect(await waiting).toMatchObject({ name: 'drop', attempts: 1 });
  });

  it('lists again after 410 Gone (its resourceVersion compacted away), and still sees the Job complete', async () => {
    const s = await w.session();
    const dir = scratchDir();
    await s.api.createJob(job('gone410', sh(untilFile(join(dir, 'go')))));
    const progress = progressLog();
    const waiting = s.kube.waitForJob({
      name: 'gone410',
      timeoutMs: 60_000,
      signal: new AbortController().signal,
      ...progress,
    });
    await progress.next(/started$/);
    await vi.waitFor(() => expect(w.double.openWatches).toBe(3));
    // Move past the watches' last version, forget the history up to there, then cut them: they resume from a version that is gone.
    await s.api.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bump', namespace: s.namespace } });
    w.double.compact();
    w.double.dropWatches();
    await progress.next(/^job\/gone410: the watch's resourceVersion is too old \(410 Gone\): listing again$/);
    writeFileSync(join(dir, 'go'), '');
    expect(await waiting).toMatchObject({ name: 'gone410', attempts: 1 });
  });
});

describe('re-attaching to a Job that already retried', () => {
  // Kubernetes' back-off (10 s, 20 s, ...) at a tenth: attempts start a second or more apart, as they do in a cluster.
  let r: KubeHarness;
  beforeAll(async () => {
    r = await kubeHarness({ timeScale: 0.1 });
  });
  afterAll(() => r.close());

  it('numbers the attempts oldest first and replays their logs in that order before following the running one', async () => {
    const s = await r.session();
    const dir = scratchDir();
    const runs = join(dir, 'runs');
    const script = `mkdir -p '${runs}'; n=$(ls '${runs}' | wc -l); touch '${runs}/'$n; echo "run $n"; [ $n -ge 2 ] || exit 1; ${untilFile(join(dir, 'go'))}; echo finished`;
    await s.api.createJob(job('retry', sh(script), { backoffLimit: 2 }));
    // Attach only once the third attempt runs, as a second `schemagate migrate` would.
    const pods = {
      name: 'pods',
      resource: Resource.pods,
      selectors: { labelSelector: 'batch.kubernetes.io/job-name=retry' },
    };
    const running = await waitUntil({
      api: s.api,
      sources: [pods],
      evaluate: (v) => v.items(pods).find((p) => p.status?.phase === 'Running' && v.items(pods).length === 3),
      deadlineMs: 60_000,
      timeout: () => new Error('the third attempt never ran'),
      signal: new AbortController().signal,
      sleep: s.clock.sleep,
    });
    const logs: string[] = [];
    const progress = progressLog();
    const waiting = s.kube.waitForJob({
      name: 'retry',
      timeoutMs: 60_000,
      signal: new AbortController().signal,
      onLog: (line, attempt) => logs.push(`${attempt}: ${line}`),
      ...progress,
    });
    await progress.next(/^attempt 3: /);
    writeFileSync(join(dir, 'go'), '');
    expect(await waiting).toMatchObject({ attempts: 3 });
    expect(progress.lines.filter((l) => l.startsWith('attempt'))).toEqual([
      expect.stringMatching(/^attempt 1: pod retry-\w+ started$/),
      expect.stringMatching(/^attempt 2: pod retry-\w+ started$/),
      `attempt 3: pod ${running.metadata?.name} started`,
    ]);
    expect(logs).toEqual(['1: run 0', '2: run 1', '3: run 2', '3: finished']);
  });
});
