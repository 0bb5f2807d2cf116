/**
 * `backend.dependencies`: the services the backend needs besides PostgreSQL.
 * Each is a `schemagate wait` target, written as a URL or as a mapping that
 * adds where it is from this machine (`local`) and a password kept out of
 * the URL (`password.env`, set in a cluster from `password.secret`).
 */
import { readTarget } from './wait-target.js';
import { registerUrlSecrets } from '../redact.js';
import { shown, wrongType } from './found.js';
import { childKey, leaf, mapping, optional, Problem, report, required, type Spec, type SpecValue } from './spec.js';
import { dnsLabel, envVarName, secretKey } from './validators.js';

const TARGET = 'a wait target (tcp://, http://, https://, redis://, rediss:// or postgres:// URL)';

/** A URL `schemagate wait` accepts; its password is registered for redaction before anything quotes it. */
export function waitTarget(type = TARGET): Spec<string> {
  return leaf(type, (v) => {
    if (typeof v !== 'string' || v.trim() === '') return new Problem(wrongType(type, v));
    registerUrlSecrets(v.trim());
    const t = readTarget(v);
    return 'problem' in t ? new Problem(`expected ${type}, found ${shown(v)}: ${t.problem}`) : v.trim();
  });
}

const LOCAL = `${TARGET}, or false`;
const localTarget: Spec<string | false> = {
  type: LOCAL,
  read(value, at, issues) {
    if (value === false) return false;
    if (typeof value !== 'string') {
      report(issues, at, wrongType(LOCAL, value));
      return undefined;
    }
    return waitTarget(LOCAL).read(value, at, issues);
  },
};

const password = mapping({
  env: required(envVarName(), 'PASSWORD'),
  secret: optional(
    mapping({
      name: required(dnsLabel(), 'secret'),
      key: required(secretKey(), 'password'),
    }),
  ),
});

const dependencyMapping = mapping({
  url: required(waitTarget(), 'tcp://localhost:1'),
  local: optional(localTarget, 'url'),
  password: optional(password),
});

export type RawDependency = SpecValue<typeof dependencyMapping>;

const DEPENDENCY = 'a wait target URL, or a mapping with url (and local, password)';

/** `password` on a target that has no use for one, or that already names one: said with the key path. */
function checkPassword(d: RawDependency, at: string, issues: Parameters<Spec<unknown>['read']>[2]): void {
  if (!d.password) return;
  const t = readTarget(d.url);
  if ('problem' in t) return;
  if (t.kind === 'tcp') {
    report(
      issues,
      childKey(at, 'password'),
      'a tcp:// target takes no password (it only checks that the port accepts connections)',
    );
  } else if (t.password !== undefined || t.passwordFrom) {
    report(
      issues,
      childKey(at, 'password'),
      `the url already ${t.password !== undefined ? 'has a password' : 'names one with #password-env / #password-file'}: keep one of the two`,
    );
  }
}

/** One item of `backend.dependencies`. */
export const dependency: Spec<RawDependency> = {
  type: DEPENDENCY,
  fields: dependencyMapping.fields,
  read(value, at, issues) {
    if (typeof value === 'string') {
      const url = waitTarget().read(value, at, issues);
      return url === undefined ? undefined : { url, local: undefined, password: undefined };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      report(issues, at, wrongType(DEPENDENCY, value));
      return undefined;
    }
    const before = issues.length;
    const d = dependencyMapping.read(value, at, issues);
    if (d && issues.length === before) checkPassword(d, at, issues);
    return d;
  },
};
