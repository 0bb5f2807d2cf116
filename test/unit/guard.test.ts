import { describe, expect, it } from 'vitest';
import { checkContext } from '../../src/kube/guard.js';

const base = {
  command: 'reset',
  allowed: [] as string[],
  allowFlag: undefined as string | undefined,
  env: {} as NodeJS.ProcessEnv,
};

describe('the context guard of destructive commands', () => {
  it.each(['kind-schemagate', 'docker-desktop', 'k3d-dev', 'minikube', 'rancher-desktop', 'orbstack'])(
    'allows the local context %s',
    (context) => {
      expect(checkContext({ ...base, context }).allowedBy).toBeTruthy();
    },
  );

  it('allows contexts listed in kubernetes.allowedContexts, with * patterns', () => {
    expect(checkContext({ ...base, context: 'dev-laptop', allowed: ['dev-*'] })).toEqual({ allowedBy: 'dev-*' });
  });

  it('refuses any other context, naming it and the flag that would allow it', () => {
    expect(() => checkContext({ ...base, context: 'prod-eu' })).toThrow(
      'reset refused on context "prod-eu": it is not a local cluster, and reset deletes data',
    );
    try {
      checkContext({ ...base, context: 'prod-eu' });
    } catch (e) {
      expect((e as { hint: string }).hint).toContain('--allow-context prod-eu. Nothing was deleted.');
      expect((e as { exitCode: number }).exitCode).toBe(11);
    }
  });

  it('allows a non-local context only when --allow-context names that very context', () => {
    expect(checkContext({ ...base, context: 'staging', allowFlag: 'staging' })).toEqual({
      allowedBy: '--allow-context',
    });
    expect(() => checkContext({ ...base, context: 'prod-eu', allowFlag: 'staging' })).toThrow(
      'reset refused: --allow-context staging does not name the current context "prod-eu"',
    );
  });

  it('ignores --allow-context when CI is set', () => {
    expect(() => checkContext({ ...base, context: 'staging', allowFlag: 'staging', env: { CI: 'true' } })).toThrow(
      'reset refused on context "staging": --allow-context is not honoured when CI is set',
    );
    // A local cluster in CI is fine.
    expect(checkContext({ ...base, context: 'kind-ci', env: { CI: 'true' } }).allowedBy).toBe('kind-*');
  });

  it('does not take a context that merely contains a local name', () => {
    expect(() => checkContext({ ...base, context: 'prod-kind-eu' })).toThrow(/not a local cluster/);
    expect(() => checkContext({ ...base, context: 'minikube-prod' })).toThrow(/not a local cluster/);
  });
});
