/**
 * A `LabelSelector` object (a Job's or a Deployment's `spec.selector`) as the
 * `labelSelector` query string the API takes, so pods are found exactly as
 * their controller finds them: `controller-uid` before Kubernetes 1.27,
 * `batch.kubernetes.io/controller-uid` since, whatever the selector says.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
 */
import type { V1LabelSelector } from '@kubernetes/client-node';

/** `a=b,c in (d,e),!f`; undefined for a selector that selects nothing (none, or empty). */
export function selectorString(selector: V1LabelSelector | undefined): string | undefined {
  if (!selector) return undefined;
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    switch (e.operator) {
      case 'In':
        parts.push(`${e.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${e.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(e.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${e.key}`);
        break;
      default:
        throw new Error(`label selector operator "${e.operator}" is not one Kubernetes defines`);
    }
  }
  // An empty selector matches everything in the API, but in a controller's spec it means "nothing" here.
  return parts.length ? parts.join(',') : undefined;
}
