/** Rendered objects as multi-document YAML (what `render` prints and Tilt reads). */
import { stringify } from 'yaml';
import type { KubernetesObject } from '@kubernetes/client-node';

export function toYaml(objects: readonly KubernetesObject[]): string {
  // lineWidth 0: no folding, so long annotations and args stay on one line.
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}
