import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { Watch } from '@kubernetes/client-node';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startKubeDouble } from '../support/kube-double/index.js';
import { nodeCommand, podStatus, startHarness, waitFor, type Harness } from './helpers.js';

// Facts pinned here: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.double.close());

function container(name: string, script: string, extra: Partial<V1Container> = {}): V1Container {
  return { name, image: 'node:20', command: nodeCommand(script), ...extra };
}

async function createPod(
  ns: string,
  name: string,
  spec: Partial<V1Pod['spec']> & { containers: V1Container[] },
): Promise<V1Pod> {
  return h.core.createNamespacedPod({
    namespace: ns,
    body: { metadata: { name }, spec: { restartPolicy: 'Never', ...spec } },
  });
}

async function until(ns: string, name: string, what: string, ok: (p: V1Pod) => boolean): Promise<V1Pod> {
  return waitFor(`pod ${name}: ${what}`, async () => {
    const p = await h.core.readNamespacedPod({ namespace: ns, name });
    return ok(p) ? p : undefined;
  });
}

const phaseIs = (phase: string) => (p: V1Pod) => p.status?.phase === phase;
const log = (ns: string, name: string, container?: string) =>
  h.core.readNamespacedPodLog({ namespace: ns, name, ...(container ? { container } : {}) });

/** Every container status a pod went through, via a watch (to see short-lived states). */
async function recordStates(ns: string, name: string) {
  const states: { init: string[]; main: string[]; phases: string[] } = { init: [], main: [], phases: [] };
  const req = await new Watch(h.kc).watch(
    `/api/v1/namespaces/${ns}/pods`,
    { fieldSelector: `metadata.name=${name}` },
    (_t, p: V1Pod) => {
      const describe = (s: NonNullable<V1Pod['status']>['containerStatuses']) =>
        (s ?? [])
          .map(
            (c) =>
              `${c.name}:${c.state?.waiting?.reason ?? (c.state?.running ? 'Running' : (c.state?.terminated?.reason ?? '?'))}`,
          )
          .join(',');
      states.init.push(describe(p.status?.initContainerStatuses));
      states.main.push(describe(p.status?.containerStatuses));
      states.phases.push(p.status?.phase ?? '');
    },
    () => undefined,
  );
  return { states, stop: () => req.abort() };
}

describe('kubelet', () => {
  test('init containers run one after another before the containers, which wait with PodInitializing meanwhile (workloads/pods/init-containers/)', async () => {
    const ns = await h.namespace('init');
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const file = join(dir, 'order');
    const rec = await recordStates(ns, 'p');
    await createPod(ns, 'p', {
      initContainers: [
        container('first', `require('fs').appendFileSync(${JSON.stringify(file)}, 'first ')`),
        container('second', `setTimeout(() => require('fs').appendFileSync(${JSON.stringify(file)}, 'second '), 100)`),
      ],
      containers: [
        container('app', `console.log(require('fs').readFileSync(${JSON.stringify(file)}, 'utf8') + 'app')`),
      ],
    });
    const pod = await until(ns, 'p', 'Succeeded', phaseIs('Succeeded'));
    rec.stop();
    expect(await log(ns, 'p')).toBe('first second app\n');
    expect(pod.status?.initContainerStatuses?.map((s) => s.state?.terminated?.reason)).toEqual([
      'Completed',
      'Completed',
    ]);
    expect(rec.states.main).toContain('app:PodInitializing');
    expect(rec.states.init).toContain('first:Completed,second:Running');
    expect(rec.states.phases.slice(0, rec.states.main.indexOf('app:Running'))).not.toContain('Running');
    expect(pod.status?.conditions?.map((c) => c.type)).toEqual(
      expect.arrayContaining(['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']),
    );
  });

  test('a failing init container of a restartPolicy Never pod fails the pod (workloads/pods/init-containers/#understanding-init-containers)', async () => {
    const ns = await h.namespace('init-fail');
    await createPod(ns, 'p', {
      initContainers: [container('wait', 'process.exit(2)')],
      containers: [container('app', '')],
    });
    const pod = await until(ns, 'p', 'Failed', phaseIs('Failed'));
    expect(pod.status?.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('PodInitializing');
    expect(pod.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('False');
  });

  test('a failing init container of a Deployment pod is restarted with back-off and waits in CrashLoopBackOff (workloads/pods/pod-lifecycle/#container-restarts)', async () => {
    const ns = await h.namespace('crashloop');
    await h.apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'api' },
        spec: {
          selector: { matchLabels: { app: 'api' } },
          template: {
            metadata: { labels: { app: 'api' } },
            spec: {
              initContainers: [container('verify-schema', 'console.error("schema missing"); process.exit(1)')],
              containers: [container('api', 'setInterval(() => {}, 1000)')],
            },
          },
        },
      },
    });
    const pod = await waitFor('an init container in CrashLoopBackOff', async () => {
      const pods = await h.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=api' });
      return pods.items.find(
        (p) =>
          p.status?.initContainerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' &&
          p.status.initContainerStatuses[0].restartCount >= 2,
      );
    });
    const init = pod.status?.initContainerStatuses?.[0];
    expect(init?.state?.waiting?.message).toMatch(/^back-off \d+s restarting failed container=verify-schema pod=/);
    expect(init?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('PodInitializing');
    expect(await log(ns, pod.metadata?.name ?? '', 'verify-schema')).toBe('schema missing\n');
  });

  test('env comes from value, secretKeyRef, configMapKeyRef and envFrom, with $(VAR) expansion (tasks/inject-data-application/define-environment-variable-container/)', async () => {
    const ns = await h.namespace('env');
    await h.core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'db' }, stringData: { url: 'postgres://app@db/app', PGPASSWORD: 'pw' } },
    });
    await h.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'cfg' }, data: { mode: 'dev', LOG: 'debug' } },
    });
    const keys = ['DATABASE_URL', 'MODE', 'GREETING', 'PGPASSWORD', 'CFG_LOG', 'POD', 'HOSTNAME'];
    await createPod(ns, 'p', {
      containers: [
        container(
          'app',
          `console.log(JSON.stringify(Object.fromEntries(${JSON.stringify(keys)}.map((k) => [k, process.env[k]]))))`,
          {
            envFrom: [{ secretRef: { name: 'db' } }, { configMapRef: { name: 'cfg' }, prefix: 'CFG_' }],
            env: [
              { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'db', key: 'url' } } },
              { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'mode' } } },
              { name: 'GREETING', value: 'hello $(MODE) $$(MODE)' },
              { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            ],
          },
        ),
      ],
    });
    await until(ns, 'p', 'Succeeded', phaseIs('Succeeded'));
    expect(JSON.parse(await log(ns, 'p'))).toEqual({
      DATABASE_URL: 'postgres://app@db/app',
      MODE: 'dev',
      GREETING: 'hello dev $(MODE)',
      PGPASSWORD: 'pw',
      CFG_LOG: 'debug',
      POD: 'p',
      HOSTNAME: 'p',
    });
  });

  test('the process sees the pod env plus PATH and HOME of the test process, nothing else of it (README: environment)', async () => {
    const ns = await h.namespace('env-isolation');
    process.env['KUBE_DOUBLE_LEAK_CHECK'] = 'leaked';
    await createPod(ns, 'p', {
      containers: [container('app', 'console.log(JSON.stringify(Object.keys(process.env).sort()))')],
    });
    await until(ns, 'p', 'Succeeded', phaseIs('Succeeded'));
    const keys = JSON.parse(await log(ns, 'p')) as string[];
    expect(keys).toEqual(expect.arrayContaining(['PATH', 'HOME', 'HOSTNAME']));
    expect(keys).not.toContain('KUBE_DOUBLE_LEAK_CHECK');
  });

  test('a missing Secret, or a missing key in it, is CreateContainerConfigError with the kubelet message; creating it lets the container start (configuration/secret/#using-secrets-as-environment-variables)', async () => {
    const ns = await h.namespace('missing-secret');
    const env = [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'db', key: 'url' } } }];
    await createPod(ns, 'p', { containers: [container('app', 'console.log(process.env.DATABASE_URL)', { env })] });
    const waitingWith = (message: string) => (p: V1Pod) => {
      const w = p.status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'CreateContainerConfigError' && w.message === message;
    };
    await until(ns, 'p', 'secret not found', waitingWith('secret "db" not found'));
    await h.core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'db' }, stringData: { other: 'x' } },
    });
    await until(ns, 'p', 'key not found', waitingWith(`couldn't find key url in Secret ${ns}/db`));
    await h.core.patchNamespacedSecret({
      namespace: ns,
      name: 'db',
      body: [{ op: 'add', path: '/data/url', value: Buffer.from('postgres://x').toString('base64') }],
    });
    await until(ns, 'p', 'Succeeded', phaseIs('Succeeded'));
    expect(await log(ns, 'p')).toBe('postgres://x\n');
  });

  test('an image that cannot be pulled shows ErrImagePull, then ImagePullBackOff, naming the image, and runs once present (concepts/containers/images/#imagepullbackoff)', async () => {
    const ns = await h.namespace('pull');
    const image = 'registry.example.com/team/migrator:v1';
    h.double.setImagePresent(image, false);
    const rec = await recordStates(ns, 'p');
    const pod = await createPod(ns, 'p', { containers: [container('app', 'console.log("ran")', { image })] });
    const backoff = await until(
      ns,
      'p',
      'ImagePullBackOff',
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff',
    );
    expect(backoff.status?.containerStatuses?.[0]?.state?.waiting?.message).toBe(`Back-off pulling image "${image}"`);
    expect(rec.states.main).toContain('app:ErrImagePull');
    const pullEvent = (
      await h.core.listNamespacedEvent({
        namespace: ns,
        fieldSelector: `involvedObject.uid=${pod.metadata?.uid},reason=Failed`,
      })
    ).items[0];
    expect(pullEvent?.message).toContain(`Failed to pull image "${image}"`);
    expect(backoff.status?.phase).toBe('Pending');
    h.double.setImagePresent(image, true);
    await until(ns, 'p', 'Succeeded', phaseIs('Succeeded'));
    rec.stop();
    expect(await log(ns, 'p')).toBe('ran\n');
  });

  test('absentImages globs make matching images unpullable; with presentImages, only matching images pull (concepts/containers/images/#imagepullbackoff)', async () => {
    const d = await startKubeDouble({
      timeScale: 0.001,
      absentImages: ['ghcr.io/acme/*'],
      presentImages: ['ghcr.io/*'],
    });
    try {
      const post = (body: object) =>
        fetch(`${d.server}/api/v1/namespaces/default/pods`, { method: 'POST', body: JSON.stringify(body) });
      const pod = (name: string, image: string) => ({
        metadata: { name },
        spec: { restartPolicy: 'Never', containers: [{ name: 'c', image, command: nodeCommand('') }] },
      });
      await post(pod('absent', 'ghcr.io/acme/app:1'));
      await post(pod('present', 'ghcr.io/other/app:1'));
      await post(pod('unlisted', 'node:20'));
      await waitFor(
        'absent to back off',
        () =>
          podStatus(d.get('pods', 'default', 'absent'))?.containerStatuses?.[0]?.state?.waiting?.reason ===
          'ImagePullBackOff',
      );
      await waitFor(
        'unlisted to back off',
        () =>
          podStatus(d.get('pods', 'default', 'unlisted'))?.containerStatuses?.[0]?.state?.waiting?.reason ===
          'ImagePullBackOff',
      );
      await waitFor('present to succeed', () => podStatus(d.get('pods', 'default', 'present'))?.phase === 'Succeeded');
    } finally {
      await d.close();
    }
  });

  test('a syntactically invalid image name is InvalidImageName and never runs (concepts/containers/images/#image-names)', async () => {
    const ns = await h.namespace('badimage');
    await createPod(ns, 'p', { containers: [container('app', '', { image: 'Node:20' })] });
    const pod = await until(
      ns,
      'p',
      'InvalidImageName',
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'InvalidImageName',
    );
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.message).toBe(
      'Failed to apply default image tag "Node:20": couldn\'t parse image name "Node:20": invalid reference format: repository name must be lowercase',
    );
    expect(pod.status?.phase).toBe('Pending');
    await createPod(ns, 'q', { containers: [container('app', '', { image: 'my image' })] });
    await until(
      ns,
      'q',
      'InvalidImageName',
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'InvalidImageName',
    );
  });

  test('command and args are an argv without a shell; $(VAR) is expanded by Kubernetes, $HOME only by a shell (tasks/inject-data-application/define-command-argument-container/)', async () => {
    const ns = await h.namespace('argv');
    await createPod(ns, 'p', {
      containers: [
        {
          name: 'app',
          image: 'node:20',
          command: [process.execPath, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', '--'],
          args: ['$HOME', '$(WHO)', 'a b'],
          env: [{ name: 'WHO', value: 'me' }],
        },
      ],
    });
    await createPod(ns, 'sh', {
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: ['sh', '-c', 'echo "home=$WHO"'],
          env: [{ name: 'WHO', value: 'shell' }],
        },
      ],
    });
    await until(ns, 'p', 'Succeeded', phaseIs('Succeeded'));
    await until(ns, 'sh', 'Succeeded', phaseIs('Succeeded'));
    expect(JSON.parse(await log(ns, 'p'))).toEqual(['$HOME', 'me', 'a b']);
    expect(await log(ns, 'sh')).toBe('home=shell\n');
  });

  test('without command the image ENTRYPOINT runs with args (or else CMD), in the image WORKDIR; a command replaces both (tasks/inject-data-application/define-command-argument-container/#notes)', async () => {
    const ns = await h.namespace('entrypoint');
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'workdir-')));
    const print = 'console.log(JSON.stringify([process.cwd(), ...process.argv.slice(1)]))';
    h.double.setImageConfig('tool:*', {
      entrypoint: [process.execPath, '-e', print, '--'],
      cmd: ['from-cmd'],
      workingDir: dir,
    });
    await createPod(ns, 'args', { containers: [{ name: 'app', image: 'tool:1', args: ['given'] }] });
    await createPod(ns, 'cmd', { containers: [{ name: 'app', image: 'tool:1' }] });
    await createPod(ns, 'command', {
      containers: [
        { name: 'app', image: 'tool:1', command: [process.execPath, '-e', 'console.log(process.argv.length)'] },
      ],
    });
    for (const n of ['args', 'cmd', 'command']) await until(ns, n, 'Succeeded', phaseIs('Succeeded'));
    expect(JSON.parse(await log(ns, 'args'))).toEqual([dir, 'given']);
    expect(JSON.parse(await log(ns, 'cmd'))).toEqual([dir, 'from-cmd']);
    // A command given without args runs without the image's CMD.
    expect(await log(ns, 'command')).toBe('1\n');
  });

  test('workingDir is the process cwd; without it, the cwd of the test process (reference/kubernetes-api/workload-resources/pod-v1/#entrypoint)', async () => {
    const ns = await h.namespace('cwd');
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'cwd-')));
    await createPod(ns, 'p', { containers: [container('app', 'console.log(process.cwd())', { workingDir: dir })] });
    await createPod(ns, 'q', { containers: [container('app', 'console.log(process.cwd())')] });
    await until(ns, 'p', 'Succeeded', phaseIs('Succeeded'));
    await until(ns, 'q', 'Succeeded', phaseIs('Succeeded'));
    expect(await log(ns, 'p')).toBe(`${dir}\n`);
    expect(await log(ns, 'q')).toBe(`${process.cwd()}\n`);
  });

  test('a command that does not exist terminates the container with StartError and exit code 128 (workloads/pods/pod-lifecycle/#container-state-terminated)', async () => {
    const ns = await h.namespace('starterror');
    await createPod(ns, 'p', { containers: [{ name: 'app', image: 'node:20', command: ['no-such-binary-xyz'] }] });
    const pod = await until(ns, 'p', 'Failed', phaseIs('Failed'));
    const t = pod.status?.containerStatuses?.[0]?.state?.terminated;
    expect(t).toMatchObject({ exitCode: 128, reason: 'StartError' });
    expect(t?.message).toContain('exec: "no-such-binary-xyz": executable file not found in $PATH');
  });

  test('container states go waiting, running, terminated with exit code and reason Completed or Error (workloads/pods/pod-lifecycle/#container-states)', async () => {
    const ns = await h.namespace('states');
    const rec = await recordStates(ns, 'ok');
    await createPod(ns, 'ok', { containers: [container('app', 'setTimeout(() => {}, 50)')] });
    await createPod(ns, 'bad', { containers: [container('app', 'process.exit(7)')] });
    const ok = await until(ns, 'ok', 'Succeeded', phaseIs('Succeeded'));
    const bad = await until(ns, 'bad', 'Failed', phaseIs('Failed'));
    rec.stop();
    expect(rec.states.main.filter((s, i, all) => s !== all[i - 1])).toEqual([
      '',
      'app:ContainerCreating',
      'app:Running',
      'app:Completed',
    ]);
    expect(rec.states.phases).toContain('Running');
    expect(ok.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(bad.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 7, reason: 'Error' });
    expect(ok.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'PodCompleted',
    });
  });

  test('an exec readiness probe keeps the pod not Ready until it succeeds (tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#define-readiness-probes)', async () => {
    const ns = await h.namespace('probe-exec');
    const flag = join(mkdtempSync(join(tmpdir(), 'probe-')), 'ready');
    await createPod(ns, 'p', {
      containers: [
        container('app', 'setInterval(() => {}, 1000)', {
          readinessProbe: {
            exec: { command: nodeCommand(`process.exit(require('fs').existsSync(${JSON.stringify(flag)}) ? 0 : 1)`) },
            periodSeconds: 10,
          },
        }),
      ],
    });
    const running = await until(ns, 'p', 'Running', phaseIs('Running'));
    expect(running.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [app]',
    });
    writeFileSync(flag, '');
    const ready = await until(
      ns,
      'p',
      'Ready',
      (p) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
    );
    expect(ready.status?.containerStatuses?.[0]?.ready).toBe(true);
  });

  test("httpGet and tcpSocket readiness probes succeed once the pod's IP answers on the port (configure-liveness-readiness-startup-probes/#define-a-tcp-liveness-probe: host defaults to the pod IP)", async () => {
    const ns = await h.namespace('probe-net');
    const port = await freePort();
    // On every address: the probe comes to the pod's IP, not to its loopback.
    const server = `require('http').createServer((q, s) => { s.statusCode = q.url === '/healthz' ? 200 : 500; s.end(); }).listen(${port})`;
    await createPod(ns, 'http', {
      containers: [
        container('web', server, {
          ports: [{ name: 'http', containerPort: port }],
          readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 },
        }),
      ],
    });
    await until(ns, 'http', 'Ready', (p) => p.status?.containerStatuses?.[0]?.ready === true);
    const tcpPort = await freePort();
    await createPod(ns, 'tcp', {
      containers: [
        container('app', 'setInterval(() => {}, 1000)', {
          readinessProbe: { tcpSocket: { port: tcpPort }, periodSeconds: 5 },
        }),
      ],
    });
    const running = await until(ns, 'tcp', 'Running', phaseIs('Running'));
    expect(running.status?.containerStatuses?.[0]?.ready).toBe(false);
    // Something answering on the pod's IP (the probe's default host).
    const listener = createServer().listen(tcpPort, running.status!.podIP);
    try {
      await until(ns, 'tcp', 'Ready', (p) => p.status?.containerStatuses?.[0]?.ready === true);
    } finally {
      listener.close();
    }
  });

  test('deleting a pod sends SIGTERM, then SIGKILL after the grace period; the pod ends Failed with exit code 137 (workloads/pods/pod-lifecycle/#pod-termination)', async () => {
    const ns = await h.namespace('terminate');
    const rec = await recordTerminal(ns, 'stubborn');
    await createPod(ns, 'stubborn', {
      terminationGracePeriodSeconds: 200,
      containers: [
        container(
          'app',
          'process.on("SIGTERM", () => console.log("ignoring SIGTERM")); console.log("up"); setInterval(() => {}, 1000)',
        ),
      ],
    });
    await waitForLog(ns, 'stubborn', 'up\n');
    const deleted = await h.core.deleteNamespacedPod({ namespace: ns, name: 'stubborn' });
    expect(deleted.metadata?.deletionTimestamp).toBeDefined();
    expect(deleted.metadata?.deletionGracePeriodSeconds).toBe(200);
    await waitFor('the pod to be gone', () => rec.gone());
    expect(rec.last()?.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 137,
      reason: 'Error',
    });
    expect(rec.last()?.status?.phase).toBe('Failed');
    await waitFor('the followed log to end', () => rec.logs() === 'up\nignoring SIGTERM\n');
  });

  test('a process that exits on SIGTERM ends the pod before the grace period with its own exit code (workloads/pods/pod-lifecycle/#pod-termination)', async () => {
    const ns = await h.namespace('terminate-graceful');
    const rec = await recordTerminal(ns, 'polite');
    await createPod(ns, 'polite', {
      terminationGracePeriodSeconds: 100_000,
      containers: [
        container(
          'app',
          'process.on("SIGTERM", () => process.exit(0)); console.log("up"); setInterval(() => {}, 1000)',
        ),
      ],
    });
    await waitForLog(ns, 'polite', 'up\n');
    await h.core.deleteNamespacedPod({ namespace: ns, name: 'polite' });
    await waitFor('the pod to be gone', () => rec.gone());
    expect(rec.last()?.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
  });

  test('close() kills every process the kubelet started', async () => {
    const d = await startKubeDouble({ timeScale: 0.001 });
    const body = {
      metadata: { name: 'forever' },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'node:20',
            command: nodeCommand('console.log(process.pid); setInterval(() => {}, 1000)'),
          },
        ],
      },
    };
    await fetch(`${d.server}/api/v1/namespaces/default/pods`, { method: 'POST', body: JSON.stringify(body) });
    const pid = await waitFor('the pid in the log', async () => {
      const res = await fetch(`${d.server}/api/v1/namespaces/default/pods/forever/log`);
      const text = res.status === 200 ? await res.text() : '';
      return text.trim() ? Number(text.trim()) : undefined;
    });
    expect(d.runningProcesses).toBe(1);
    await d.close();
    expect(() => process.kill(pid, 0)).toThrow();
  });
});

async function waitForLog(ns: string, name: string, text: string): Promise<void> {
  await waitFor(
    `log of ${name} to be ${JSON.stringify(text)}`,
    async () => (await log(ns, name).catch(() => '')) === text,
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Follows a pod through a watch to its deletion, and its log with follow=true. */
async function recordTerminal(ns: string, name: string) {
  let last: V1Pod | undefined;
  let gone = false;
  let logs = '';
  let following = false;
  await new Watch(h.kc).watch(
    `/api/v1/namespaces/${ns}/pods`,
    { fieldSelector: `metadata.name=${name}` },
    (type, p: V1Pod) => {
      if (type === 'DELETED') gone = true;
      else last = p;
      if (!following && p.status?.containerStatuses?.[0]?.state?.running) {
        following = true;
        void fetch(`${h.double.server}/api/v1/namespaces/${ns}/pods/${name}/log?follow=true`).then(async (res) => {
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
            logs += new TextDecoder().decode(chunk);
        });
      }
    },
    () => undefined,
  );
  return { last: () => last, gone: () => gone, logs: () => logs };
}
