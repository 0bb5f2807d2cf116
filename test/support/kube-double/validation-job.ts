/**
 * API validation of a Job's podFailurePolicy, as pkg/apis/batch/validation/validation.go
 * (Kubernetes 1.31) does it: restartPolicy Never, one of onExitCodes and
 * onPodConditions per rule, known actions and operators, container names of
 * the template, exit codes ordered, unique and not 0 for In.
 * https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-failure-policy
 */
import type { StatusCause } from './errors.js';
import type { JobSpec, PodFailurePolicyRule } from './types.js';

const actions = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const operators = ['In', 'NotIn'];
const statuses = ['False', 'True', 'Unknown'];

const quoted = (values: string[]): string => values.map((v) => JSON.stringify(v)).join(', ');
const goList = (values: string[]): string => `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;
const int32s = (values: unknown[]): string => `[]int32{${values.join(', ')}}`;

function invalid(field: string, message: string): StatusCause {
  return { reason: 'FieldValueInvalid', message, field };
}

function rule(r: PodFailurePolicyRule, path: string, spec: JobSpec, names: Set<string>): StatusCause[] {
  const out: StatusCause[] = [];
  const action = r.action;
  if (action === '')
    out.push({
      reason: 'FieldValueRequired',
      message: `Required value: valid values: ${goList(actions)}`,
      field: `${path}.action`,
    });
  else if (action === 'FailIndex') {
    if (spec.backoffLimitPerIndex === undefined)
      out.push(invalid(`${path}.action`, `Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set`));
  } else if (!actions.includes(action))
    out.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(action)}: supported values: ${quoted(actions)}`,
      field: `${path}.action`,
    });
  const e = r.onExitCodes;
  if (e) {
    const p = `${path}.onExitCodes`;
    if (!e.operator)
      out.push({
        reason: 'FieldValueRequired',
        message: `Required value: valid values: ${goList(operators)}`,
        field: `${p}.operator`,
      });
    else if (!operators.includes(e.operator))
      out.push({
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${JSON.stringify(e.operator)}: supported values: ${quoted(operators)}`,
        field: `${p}.operator`,
      });
    if (e.containerName !== undefined && !names.has(e.containerName))
      out.push(
        invalid(
          `${p}.containerName`,
          `Invalid value: ${JSON.stringify(e.containerName)}: must be one of the container or initContainer names in the pod template`,
        ),
      );
    const values = e.values ?? [];
    if (values.length === 0)
      out.push(invalid(`${p}.values`, `Invalid value: []int32{}: at least one value is required`));
    const seen = new Set<number>();
    values.forEach((v, j) => {
      if (e.operator === 'In' && v === 0)
        out.push(invalid(`${p}.values[${j}]`, `Invalid value: 0: must not be 0 for the In operator`));
      if (seen.has(v))
        out.push({ reason: 'FieldValueDuplicate', message: `Duplicate value: ${v}`, field: `${p}.values[${j}]` });
      seen.add(v);
    });
    if (values.some((v, j) => j > 0 && values[j - 1]! > v))
      out.push(invalid(`${p}.values`, `Invalid value: ${int32s(values)}: must be ordered`));
  }
  (r.onPodConditions ?? []).forEach((c, j) => {
    const p = `${path}.onPodConditions[${j}].status`;
    if (!c.status)
      out.push({
        reason: 'FieldValueRequired',
        message: `Required value: valid values: ${goList(statuses)}`,
        field: p,
      });
    else if (!statuses.includes(c.status))
      out.push({
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${JSON.stringify(c.status)}: supported values: ${quoted(statuses)}`,
        field: p,
      });
  });
  const hasConditions = (r.onPodConditions ?? []).length > 0;
  if (e && hasConditions)
    out.push(invalid(path, 'Invalid value: specifying both OnExitCodes and OnPodConditions is not supported'));
  if (!e && !hasConditions)
    out.push(invalid(path, 'Invalid value: specifying one of OnExitCodes and OnPodConditions is required'));
  return out;
}

/** Causes for spec.podFailurePolicy and the restartPolicy it requires (none when there is no policy). */
export function podFailurePolicyCauses(spec: JobSpec): StatusCause[] {
  const policy = spec.podFailurePolicy;
  if (!policy) return [];
  const out: StatusCause[] = [];
  const pod = spec.template.spec;
  if (pod.restartPolicy === 'OnFailure')
    out.push(
      invalid(
        'spec.template.spec.restartPolicy',
        `Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified`,
      ),
    );
  const names = new Set([...(pod.containers ?? []), ...(pod.initContainers ?? [])].map((c) => c.name));
  const rules = policy.rules ?? [];
  if (rules.length > 20)
    out.push({
      reason: 'FieldValueTooMany',
      message: `Too many: ${rules.length}: must have at most 20 items`,
      field: 'spec.podFailurePolicy.rules',
    });
  rules.forEach((r, i) => out.push(...rule(r, `spec.podFailurePolicy.rules[${i}]`, spec, names)));
  return out;
}
