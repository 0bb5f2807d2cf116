import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeIfStarted, testCluster, type TestCluster } from '../support/cluster.js';
import { e2eProject } from '../support/e2e-project.js';
import { freshNamespace } from '../support/kube.js';
import { freshDatabase } from '../support/pg.js';

/**
 * The cluster commands with stdout and stderr apart (the --local and db
 * commands: test/integration/streams.test.ts): the task list and the pods'
 * logs are progress, on stderr; the summary is the result, on stdout.
 */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await testCluster({ namespacePrefix: 'e2e-streams' });
});
afterAll(() => closeIfStarted(cluster));

const ESC = '\x1b[';
const plainEnv = { NO_COLOR: undefined, CI: undefined, FORCE_COLOR: undefined };

describe('cluster commands: results on stdout, progress on stderr', () => {
  it("up and migrate: the Jobs' progress and the pods' log lines on stderr, the summary on stdout, no colour in a pipe", async () => {
    const p = e2eProject(await freshNamespace(cluster), await freshDatabase());
    const r = await p.run(['up'], { env: plainEnv });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/^ {2}Migration job\/schemagate-migrate-[0-9a-f]{10} complete \(1 attempt/m);
    expect(r.stdout).toMatch(/^done in \d+\.\ds$/m);
    // The pod's own log, streamed while the Job runs, is progress.
    expect(r.stderr).toMatch(/applied migrations\/001_create_users\.sql/);
    expect(r.stdout).not.toMatch(/applied migrations\/001_create_users\.sql/);
    expect(r.stdout + r.stderr).not.toContain(ESC);

    const rerun = await p.run(['migrate', '--rerun'], { env: plainEnv });
    expect(rerun.exitCode, rerun.all).toBe(0);
    expect(rerun.stdout).toMatch(/^ {2}Migration job\/schemagate-migrate-[0-9a-f]{10} complete/m);
    expect(rerun.stderr).toMatch(/up to date at version 4/);
    expect(rerun.stdout).not.toMatch(/up to date at version 4/);

    const again = await p.run(['migrate', '--json'], { env: plainEnv });
    expect(again.exitCode, again.all).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ namespace: expect.any(String) as unknown });
    expect(again.stderr).toBe('');

    const status = await p.run(['status'], { env: plainEnv });
    expect(status.exitCode, status.all).toBe(0);
    expect(status.stdout).toMatch(/4 applied, 0 pending/);
  });
});
