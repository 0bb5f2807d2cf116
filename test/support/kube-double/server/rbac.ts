/**
 * Authentication by bearer token and authorization by RBAC, as far as a
 * namespaced deployer needs them: a token names a user (a ServiceAccount's
 * user is `system:serviceaccount:<namespace>:<name>` with the groups
 * `system:serviceaccounts`, `system:serviceaccounts:<namespace>`); the group
 * `system:masters` may do anything; anyone else may do what a Role bound to
 * them by a RoleBinding in the request's namespace allows, rule by rule as
 * plugin/pkg/auth/authorizer/rbac/rbac.go (RuleAllows) matches: verbs,
 * apiGroups, resources (`pods/log` for a subresource, `*`, `*\/log`) and
 * resourceNames, each with `*`. Non-resource paths (discovery, /version) are
 * open to every authenticated user, as the default `system:discovery` role.
 * https://kubernetes.io/docs/reference/access-authn-authz/rbac/
 */
import type { Store } from '../store.js';
import { mustFind } from '../resources.js';
import type { PolicyRule, Subject } from '../types.js';
import type { RequestAttributes } from './request-info.js';

export interface User {
  name: string;
  groups: string[];
}

export const ADMIN: User = { name: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };

/** The groups Kubernetes gives a user: a ServiceAccount's two, and system:authenticated. */
export function userNamed(name: string, groups: string[] = []): User {
  const sa = /^system:serviceaccount:([^:]+):[^:]+$/.exec(name);
  const implied = sa ? ['system:serviceaccounts', `system:serviceaccounts:${sa[1]}`] : [];
  return { name, groups: [...new Set([...groups, ...implied, 'system:authenticated'])] };
}

const has = (list: string[] | undefined, value: string) => (list ?? []).some((v) => v === '*' || v === value);

/** RuleAllows: verb, API group, resource (or `*\/subresource`) and, when the rule names any, the object's name. */
export function ruleAllows(rule: PolicyRule, a: RequestAttributes): boolean {
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resourceMatches = (rule.resources ?? []).some(
    (r) => r === '*' || r === combined || (a.subresource !== '' && r === `*/${a.subresource}`),
  );
  const nameMatches = (rule.resourceNames ?? []).length === 0 || (rule.resourceNames ?? []).includes(a.name);
  return has(rule.verbs, a.verb) && has(rule.apiGroups, a.apiGroup) && resourceMatches && nameMatches;
}

function subjectMatches(s: Subject, user: User, bindingNamespace: string): boolean {
  if (s.kind === 'User') return s.name === user.name;
  if (s.kind === 'Group') return user.groups.includes(s.name);
  if (s.kind === 'ServiceAccount')
    return user.name === `system:serviceaccount:${s.namespace ?? bindingNamespace}:${s.name}`;
  return false;
}

/** Whether RBAC allows the request (a RoleBinding in its namespace to a Role there, or system:masters). */
export function authorize(store: Store, user: User, a: RequestAttributes): boolean {
  if (user.groups.includes('system:masters')) return true;
  if (a.namespace === '') return false;
  const roles = new Map(store.list(mustFind('roles'), a.namespace).map((r) => [r.metadata.name, r]));
  for (const binding of store.list(mustFind('rolebindings'), a.namespace)) {
    const ref = binding.roleRef;
    if (!(binding.subjects ?? []).some((s) => subjectMatches(s, user, a.namespace))) continue;
    // ClusterRoles are not served by the double: a binding to one grants nothing here.
    const role = ref.kind === 'Role' ? roles.get(ref.name) : undefined;
    if ((role?.rules ?? []).some((rule) => ruleAllows(rule, a))) return true;
  }
  return false;
}
