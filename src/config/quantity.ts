/**
 * Kubernetes resource quantities, as Jobs' `resources` take them: CPU in cores
 * (`100m`, `0.5`, `1`), memory in bytes (`128Mi`, `1Gi`, `500M`). Read as
 * strings (YAML reads `0.5` and `1` as numbers; both are accepted).
 */
import { wrongType, wrongValue } from './found.js';
import { leaf, Problem, type Spec } from './spec.js';

const NUMBER = '(\\d+(?:\\.\\d*)?|\\.\\d+)';
const CPU = new RegExp(`^${NUMBER}(m)?$`);
const MEMORY = new RegExp(`^${NUMBER}(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$`);

const MEMORY_FACTOR: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export type QuantityKind = 'cpu' | 'memory';

/** The value of a valid quantity, in cores or bytes (for comparing requests with limits). */
export function quantityValue(kind: QuantityKind, q: string): number {
  const m = (kind === 'cpu' ? CPU : MEMORY).exec(q);
  if (!m) throw new Error(`BUG: quantityValue(${kind}, ${q}) on an unvalidated quantity`);
  const n = Number(m[1]);
  if (kind === 'cpu') return m[2] === 'm' ? n / 1000 : n;
  return n * (MEMORY_FACTOR[m[2] ?? ''] ?? 1);
}

function asText(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return String(v);
  return undefined;
}

/** Why a memory quantity that looks almost right is wrong, with the likely intent. */
function memoryWhy(s: string): string | undefined {
  const m = /^(\d+(?:\.\d*)?)\s*([a-zA-Z]+)$/.exec(s);
  if (!m) return undefined;
  const [, n, unit = ''] = m;
  if (unit === 'm') return `m means thousandths of a byte; did you mean "${n}Mi"?`;
  const binary = `${unit[0]?.toUpperCase() ?? ''}i`;
  if (/^[kKmMgGtT]i?[bB]?$/.test(unit)) {
    const decimal = unit[0] === 'k' || unit[0] === 'K' ? 'k' : (unit[0] ?? '').toUpperCase();
    return `did you mean "${n}${binary}" or "${n}${decimal}"?`;
  }
  return undefined;
}

export function cpuQuantity(): Spec<string> {
  const type = 'a CPU quantity (e.g. 100m, 0.5, 1)';
  return leaf(type, (v) => {
    const s = asText(v);
    if (s === undefined) return new Problem(wrongType(type, v));
    return CPU.test(s) ? s : new Problem(wrongValue(type, s));
  });
}

export function memoryQuantity(): Spec<string> {
  const type = 'a memory quantity (e.g. 128Mi, 1Gi, 500M)';
  return leaf(type, (v) => {
    const s = asText(v);
    if (s === undefined) return new Problem(wrongType(type, v));
    return MEMORY.test(s) ? s : new Problem(wrongValue(type, s, memoryWhy(s)));
  });
}
