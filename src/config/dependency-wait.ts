/**
 * `backend.dependencies` as the backend's init container runs them in a
 * cluster: one `schemagate wait` with every target, passwords from Secrets
 * through environment variables. Pure: nothing is read or connected here.
 */
import type { Config, Dependency } from './types.js';
import { readTarget } from './wait-target.js';
import { ConfigError } from '../errors.js';

/** `url` with `#password-env=VAR` added to its options, when the password is kept out of it. */
export function withPasswordEnv(url: string, d: Dependency): string {
  if (!d.password) return url;
  return `${url}${url.includes('#') ? '&' : '#'}password-env=${d.password.env}`;
}

/** An environment variable of the init container, set from a Secret key. */
export interface SecretEnv {
  name: string;
  secret: { name: string; key: string };
}

/** What the backend's init container `wait-for-dependencies` runs: `args` after the CLI, and its environment. */
export interface DependencyWait {
  args: string[];
  env: SecretEnv[];
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * The init container's command for `backend.dependencies`, or undefined when
 * there are none. A password without `secret` cannot reach a pod: refused,
 * naming the key.
 */
export function dependencyWait(config: Pick<Config, 'backend' | 'file'>): DependencyWait | undefined {
  const deps = config.backend.dependencies;
  if (deps.length === 0) return undefined;
  const missing = deps.flatMap((d, i) => {
    if (d.password && !d.password.secret)
      return [
        {
          key: `backend.dependencies[${i}].password.secret`,
          message: `expected the Secret (name and key) that ${d.password.env} comes from in the backend's pods, found nothing (a cluster has no shell environment to read it from)`,
        },
      ];
    const t = readTarget(d.url);
    if ('problem' in t || (t.password === undefined && !t.passwordFrom)) return [];
    // A manifest is read by anyone who can read Deployments: a password there is no secret.
    return [
      {
        key: `backend.dependencies[${i}].url`,
        message: `${t.display}: ${t.password !== undefined ? 'a password in the url' : 'a password from #password-env / #password-file'} would be written into the Deployment (or read from a variable nothing sets in the pod); move it to a Secret and name it with password: { env: VAR, secret: { name: SECRET, key: KEY } }`,
      },
    ];
  });
  if (missing.length > 0) {
    throw new ConfigError(
      config.file ?? 'schemagate.yaml',
      missing,
      'Give each password as password: { env: VAR, secret: { name: SECRET, key: KEY } }, naming the Secret that holds it.',
    );
  }
  const env = new Map<string, SecretEnv>();
  for (const d of deps) {
    if (d.password?.secret) env.set(d.password.env, { name: d.password.env, secret: { ...d.password.secret } });
  }
  return {
    args: ['wait', '--timeout', seconds(config.backend.waitTimeoutMs), ...deps.map((d) => withPasswordEnv(d.url, d))],
    env: [...env.values()],
  };
}
