import { describe, expect, it } from 'vitest';
import { ExitCode, KubeApiError } from '../../src/errors.js';
import type { KubeApi } from '../../src/kube/api.js';
import { apiError } from '../../src/kube/errors.js';
import { createKube } from '../../src/kube/kube.js';
import { sleep, systemClock } from '../../src/util/time.js';

// A 404 is "not there"; anything else (no permission, no answer) is an error that says what was being done.
// Status codes: https://kubernetes.io/docs/reference/using-api/api-concepts/#http-status-codes

/** client-node's ApiException, as far as apiError reads it. */
function apiException(code: number, message: string): Error {
  return Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: JSON.stringify({ kind: 'Status', message }) });
}

/** A KubeApi whose every call fails with `error`. */
function failing(error: unknown): KubeApi {
  const fail = () => Promise.reject(error instanceof Error ? error : new Error(String(error)));
  return {
    context: 'kind-test',
    namespace: 'app',
    serverVersion: fail,
    apply: fail,
    createJob: fail,
    readJob: fail,
    deleteJob: fail,
    patchJob: fail,
    readDeployment: fail,
    readNamespace: fail,
    evictPod: fail,
    deletePod: fail,
    createConfigMap: fail,
    patchConfigMap: fail,
    list: fail,
    watch: fail,
    readLog: fail,
    followLog: fail,
  };
}

const session = (error: unknown) => createKube(failing(error), 'v1.31.0', { clock: systemClock, sleep });

describe('apiError', () => {
  it("names the operation and the API server's own message, with the status", () => {
    const e = apiError(apiException(422, 'Job.batch "x" is invalid'), 'create job/x', 'kind-a');
    expect([e.message, e.status, e.reason, e.exitCode]).toEqual([
      'Kubernetes refused to create job/x (HTTP 422): Job.batch "x" is invalid',
      422,
      'Job.batch "x" is invalid',
      ExitCode.cluster,
    ]);
  });

  it('makes a 403 a refusal with an RBAC hint, and an unanswered call "could not reach"', () => {
    const forbidden = apiError(apiException(403, 'jobs.batch is forbidden'), 'list jobs', 'kind-a', {
      verb: 'list',
      resource: 'jobs',
      namespace: 'app',
    });
    expect([forbidden.exitCode, forbidden.hint]).toEqual([
      ExitCode.refused,
      'The kubeconfig user lacks the RBAC right list on jobs in namespace app. k8s/rbac.yaml is a Role with every right schemagate needs in one namespace: have it applied and bound to you, or use another context.',
    ]);
    const apply = apiError(apiException(403, 'forbidden'), 'apply secret/s', 'kind-a', {
      verb: 'patch',
      also: 'create',
      resource: 'secrets',
      namespace: 'app',
    });
    expect(apply.hint).toMatch(
      /^The kubeconfig user lacks the RBAC right patch \(and create, for an object that does not exist yet\) on secrets in namespace app\./,
    );
    const refused = apiError(
      Object.assign(new Error('request to http://127.0.0.1:1/version failed'), {
        cause: new Error('connect ECONNREFUSED 127.0.0.1:1'),
      }),
      'read the server version',
      'kind-a',
    );
    expect(refused.code).toBe('kube.unreachable');
    expect(refused.message).toMatch(/^could not reach the Kubernetes API of context "kind-a" while trying to read/);
  });
});

describe('what a session does with a failed call', () => {
  it('reads a 404 as "no such Deployment", and lets a 403 or an unreachable server through', async () => {
    expect(await session(apiError(apiException(404, 'not found'), 'read', 'kind-test')).readDeployment('b')).toBe(
      undefined,
    );
    const forbidden = apiError(apiException(403, 'forbidden'), 'read deployment/b', 'kind-test');
    await expect(session(forbidden).readDeployment('b')).rejects.toBe(forbidden);
  });

  it('deletes nothing without complaint when the Job is gone (404), and reports any other failure', async () => {
    await session(apiError(apiException(404, 'not found'), 'delete', 'kind-test')).deleteJob(
      'j',
      new AbortController().signal,
    );
    const broken = apiError(apiException(500, 'etcd timeout'), 'delete job/j', 'kind-test');
    await expect(session(broken).deleteJob('j', new AbortController().signal)).rejects.toBe(broken);
  });

  it('dry-runs: a 422 is the answer about the object; a 403 is no answer and propagates', async () => {
    const invalid = apiError(apiException(422, 'spec.template: Required value'), 'dry-run apply', 'kind-test');
    expect(await session(invalid).dryRun([{ kind: 'Job', metadata: { name: 'x' } }])).toEqual([
      { object: 'Job/x', rejected: 'spec.template: Required value' },
    ]);
    const forbidden = apiError(apiException(403, 'forbidden'), 'dry-run apply', 'kind-test');
    await expect(session(forbidden).dryRun([{ kind: 'Job', metadata: { name: 'x' } }])).rejects.toBeInstanceOf(
      KubeApiError,
    );
  });
});
