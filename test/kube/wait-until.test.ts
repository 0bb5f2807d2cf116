import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Resource } from '../../src/kube/api.js';
import { type Source, waitUntil } from '../../src/kube/wait.js';
import { kubeHarness, type KubeHarness } from './harness.js';

// The wait primitive itself: list-then-watch sources (one derived from another), one deadline on the injected
// clock, one AbortSignal. https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
let h: KubeHarness;
beforeAll(async () => {
  h = await kubeHarness();
});
afterAll(() => h.close());

describe('waitUntil', () => {
  it("follows a source whose selector comes from another source's objects, starting it over when that changes", async () => {
    const s = await h.session();
    // A suspended Job's label names which pods to watch, as a Job's uid does for its pods.
    const jobsSource: Source<'jobs'> = { name: 'jobs', resource: Resource.jobs, selectors: {} };
    const selected: string[] = [];
    const pods: Source<'pods'> = {
      name: 'pods',
      resource: Resource.pods,
      selectors: (v) => {
        const jobs = v.items(jobsSource);
        const app = jobs[0]?.metadata?.labels?.['app'];
        if (app) selected.push(app);
        return app ? { labelSelector: `app=${app}` } : undefined;
      },
    };
    const seen: string[][] = [];
    const waiting = waitUntil({
      api: s.api,
      sources: [jobsSource, pods],
      evaluate: (v) => {
        if (!v.synced(pods)) return undefined;
        const names = v.items(pods).map((p) => p.metadata?.name ?? '');
        seen.push(names);
        return names.includes('two-b') ? names : undefined;
      },
      deadlineMs: 60_000,
      timeout: () => new Error('deadline'),
      signal: new AbortController().signal,
      sleep: s.clock.sleep,
    });
    const suspendedJob = (app: string) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pointer', labels: { app } },
      spec: { suspend: true, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } },
    });
    const bare = (name: string, app: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app } },
      spec: { containers: [{ name: 'c', image: 'busybox:1', command: ['sh', '-c', 'sleep 300'] }] },
    });
    await s.api.apply(bare('one-a', 'one'));
    await s.api.apply(suspendedJob('one'));
    await vi.waitFor(() => expect(seen.at(-1)).toEqual(['one-a']));
    await s.api.apply(bare('two-b', 'two'));
    await s.api.apply(suspendedJob('two'));
    expect(await waiting).toEqual(['two-b']);
    expect(selected).toContain('two');
    expect(s.clock.pending).toBe(0);
  });

  it('rejects with what evaluate throws, and when its signal is already aborted, without listing anything', async () => {
    const s = await h.session();
    const all: Source<'pods'> = { name: 'pods', resource: Resource.pods, selectors: {} };
    const base = {
      api: s.api,
      sources: [all],
      deadlineMs: 1000,
      timeout: () => new Error('deadline'),
      sleep: s.clock.sleep,
    };
    await expect(
      waitUntil({
        ...base,
        signal: new AbortController().signal,
        evaluate: (v) => {
          if (v.synced(all)) throw new Error('cannot decide');
          return undefined;
        },
      }),
    ).rejects.toThrow('cannot decide');
    const aborted = new AbortController();
    aborted.abort(new Error('stopped before it started'));
    await expect(waitUntil({ ...base, signal: aborted.signal, evaluate: () => 1 })).rejects.toThrow(
      'stopped before it started',
    );
    expect(s.clock.pending).toBe(0);
    await vi.waitFor(() => expect(h.double.openWatches).toBe(0));
  });

  it('evaluates again when the time it asked for passes on the injected clock, though nothing changed', async () => {
    const s = await h.session();
    const all: Source<'pods'> = { name: 'pods', resource: Resource.pods, selectors: {} };
    const asked: number[] = [];
    const waiting = waitUntil({
      api: s.api,
      sources: [all],
      // A grace period that ends 5 s after the wait began, as the unschedulable rule asks.
      evaluate: (v) => (v.synced(all) && s.clock.now() >= 5_000 ? 'grace over' : undefined),
      recheck: () => {
        asked.push(s.clock.now());
        return 5_000 - s.clock.now();
      },
      deadlineMs: 60_000,
      timeout: () => new Error('deadline'),
      signal: new AbortController().signal,
      sleep: s.clock.sleep,
    });
    await vi.waitFor(() => expect(asked.length).toBeGreaterThan(0));
    s.clock.advance(4_999);
    s.clock.advance(1);
    expect(await waiting).toBe('grace over');
    expect(s.clock.pending).toBe(0);
  });
});
