/**
 * Label selectors (equality- and set-based) and field selectors.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/field-selectors/
 */
import { badRequest } from './errors.js';
import { isJsonObject } from './schema.js';
import type { KubeObject } from './types.js';

export type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!' }
  | { key: string; op: 'gt' | 'lt'; value: number };

export type LabelSelector = Requirement[];

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (!text) return [];
  return splitTopLevel(text).map((part) => {
    const set = /^([^\s!=<>(),]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (set) {
      const values = (set[3] ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      return { key: set[1] ?? '', op: set[2] as 'in' | 'notin', values };
    }
    const cmp = /^([^\s!=<>]+)\s*(==|=|!=|>|<)\s*([^\s,]*)$/.exec(part);
    if (cmp) {
      const [, key = '', op, value = ''] = cmp;
      if (op === '>' || op === '<') {
        const n = Number(value);
        if (!Number.isInteger(n))
          throw badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
        return { key, op: op === '>' ? 'gt' : 'lt', value: n };
      }
      return { key, op: op === '!=' ? 'notin' : 'in', values: [value] };
    }
    const not = /^!\s*([^\s!=<>(),]+)$/.exec(part);
    if (not) return { key: not[1] ?? '', op: '!' };
    if (/^[A-Za-z0-9][-A-Za-z0-9_./]*$/.test(part)) return { key: part, op: 'exists' };
    throw badRequest(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, gt, lt`);
  });
}

interface SelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A metav1.LabelSelector from a spec (Job, Deployment, ReplicaSet). */
export function fromSelectorObject(sel: SelectorObject | undefined): LabelSelector {
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(sel?.matchLabels ?? {})) reqs.push({ key, op: 'in', values: [value] });
  for (const e of sel?.matchExpressions ?? []) {
    const op = e.operator;
    if (op === 'In') reqs.push({ key: e.key, op: 'in', values: e.values ?? [] });
    else if (op === 'NotIn') reqs.push({ key: e.key, op: 'notin', values: e.values ?? [] });
    else if (op === 'Exists') reqs.push({ key: e.key, op: 'exists' });
    else if (op === 'DoesNotExist') reqs.push({ key: e.key, op: '!' });
  }
  return reqs;
}

/** The string form (`a=b,c in (d)`), as a Scale's status.selector carries it. */
export function selectorToString(sel: LabelSelector): string {
  return sel
    .map((r) => {
      if (r.op === 'exists') return r.key;
      if (r.op === '!') return `!${r.key}`;
      if (r.op === 'gt') return `${r.key}>${r.value}`;
      if (r.op === 'lt') return `${r.key}<${r.value}`;
      const values = (r as { values: string[] }).values;
      if (r.op === 'in' && values.length === 1) return `${r.key}=${values[0]}`;
      return `${r.key} ${r.op} (${values.join(',')})`;
    })
    .join(',');
}

export function matchesLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return sel.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'in':
        return has && r.values.includes(v ?? '');
      case 'notin':
        return !has || !r.values.includes(v ?? '');
      case 'exists':
        return has;
      case '!':
        return !has;
      case 'gt':
        return has && Number(v) > r.value;
      case 'lt':
        return has && Number(v) < r.value;
    }
    return false;
  });
}

export interface FieldRequirement {
  path: string;
  equal: boolean;
  value: string;
}

const commonFields = ['metadata.name', 'metadata.namespace'];
/** The field selectors each type supports (others get 400, like the API server). */
const extraFields: Record<string, string[]> = {
  pods: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.phase',
    'status.podIP',
  ],
  events: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  secrets: ['type'],
  namespaces: ['status.phase'],
  jobs: ['status.successful'],
  replicasets: ['status.replicas'],
};

export function parseFieldSelector(text: string | undefined, plural: string, kind: string): FieldRequirement[] {
  if (!text) return [];
  const allowed = [...commonFields, ...(extraFields[plural] ?? [])];
  return splitTopLevel(text).map((part) => {
    const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const path = (m[1] ?? '').trim();
    if (!allowed.includes(path)) {
      throw badRequest(
        `field label not supported: ${path} (${kind} supports ${allowed.map((a) => `"${a}"`).join(', ')})`,
      );
    }
    return { path, equal: m[2] !== '!=', value: (m[3] ?? '').trim() };
  });
}

/** The scalar at a dotted path, as text; '' when there is none. */
function valueAt(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const seg of path.split('.')) cur = isJsonObject(cur) ? cur[seg] : undefined;
  return typeof cur === 'string' || typeof cur === 'number' || typeof cur === 'boolean' ? String(cur) : '';
}

/**
 * Selectable fields whose value is not the field at that path: a Job's
 * status.successful is status.succeeded (pkg/registry/batch/job/strategy.go),
 * an Event's source is source.component, or reportingComponent when that is
 * empty (GetAttrs in pkg/registry/core/event/strategy.go).
 */
const computedFields: Record<string, (obj: KubeObject) => string> = {
  'status.successful': (o) => valueAt(o, 'status.succeeded') || '0',
  source: (o) => valueAt(o, 'source.component') || valueAt(o, 'reportingComponent'),
};

function fieldValue(obj: KubeObject, path: string): string {
  return (computedFields[path] ?? ((o) => valueAt(o, path)))(obj);
}

export function matchesFields(reqs: FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((r) => (fieldValue(obj, r.path) === r.value) === r.equal);
}
