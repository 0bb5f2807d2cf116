import { itemKey, OBJECT_KINDS, type ObjectKind, type SchemaSnapshot, type SnapshotItem } from './schema-snapshot.js';

/** One difference between two snapshots: `+` only in the actual one, `-` only in the expected one, `~` both but different. */
export interface SchemaChange {
  sign: '+' | '-' | '~';
  kind: ObjectKind;
  name: string;
  before?: string;
  after?: string;
  /** Set when only the order of the members (columns, enum labels) differs. */
  order?: true;
}

export function changeKey(c: SchemaChange): string {
  return `${c.sign} ${c.kind} ${c.name}${c.order ? ' order' : ''}`;
}

/** Do the members both lists share come in the same relative order? */
function sameRelativeOrder(a: readonly string[], b: readonly string[]): boolean {
  const inB = new Set(b);
  const inA = new Set(a);
  const x = a.filter((m) => inB.has(m));
  const y = b.filter((m) => inA.has(m));
  return x.every((m, i) => m === y[i]);
}

/**
 * What differs between `expected` and `actual`, in snapshot order. A member
 * added or removed (a column, an enum label) is reported once, as its own
 * item; its parent is reported only when the order of the members both have
 * changed.
 */
export function diffSnapshots(expected: SchemaSnapshot, actual: SchemaSnapshot): SchemaChange[] {
  const want = new Map(expected.items.map((i) => [itemKey(i), i]));
  const have = new Map(actual.items.map((i) => [itemKey(i), i]));
  const out: SchemaChange[] = [];
  const all: SnapshotItem[] = [...expected.items, ...actual.items.filter((i) => !want.has(itemKey(i)))];
  const seen = new Set<string>();
  for (const item of all) {
    const key = itemKey(item);
    if (seen.has(key)) continue;
    seen.add(key);
    const w = want.get(key);
    const h = have.get(key);
    if (w && !h) out.push({ sign: '-', kind: w.kind, name: w.name, before: w.definition });
    else if (!w && h) out.push({ sign: '+', kind: h.kind, name: h.name, after: h.definition });
    else if (w && h) {
      if (w.definition !== h.definition)
        out.push({ sign: '~', kind: w.kind, name: w.name, before: w.definition, after: h.definition });
      if (w.order && h.order && !sameRelativeOrder(w.order, h.order)) {
        out.push({
          sign: '~',
          kind: w.kind,
          name: w.name,
          before: `(${w.order.join(', ')})`,
          after: `(${h.order.join(', ')})`,
          order: true,
        });
      }
    }
  }
  return out.sort(
    (a, b) =>
      OBJECT_KINDS.indexOf(a.kind) - OBJECT_KINDS.indexOf(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

const MEMBERS: readonly ObjectKind[] = ['column', 'constraint', 'trigger'];

/** Leaves out the columns, constraints and triggers of a table that is itself added or removed: the table says it all. */
export function withoutMembersOfWhole(changes: readonly SchemaChange[]): SchemaChange[] {
  const whole = new Set(
    changes.filter((c) => c.sign !== '~' && !MEMBERS.includes(c.kind)).map((c) => `${c.sign} ${c.name}`),
  );
  return changes.filter(
    (c) =>
      !(
        MEMBERS.includes(c.kind) &&
        c.sign !== '~' &&
        whole.has(`${c.sign} ${c.name.slice(0, c.name.lastIndexOf('.'))}`)
      ),
  );
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

function shorten(s: string, max = 160): string {
  const t = oneLine(s);
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** Two long texts shown around the first place they differ. */
function around(a: string, b: string): [string, string] {
  const x = oneLine(a);
  const y = oneLine(b);
  if (x.length <= 100 && y.length <= 100) return [x, y];
  let p = 0;
  while (p < x.length && p < y.length && x[p] === y[p]) p++;
  const start = Math.max(0, p - 40);
  const cut = (s: string) => `${start > 0 ? '…' : ''}${s.slice(start, p + 60)}${s.length > p + 60 ? '…' : ''}`;
  return [cut(x), cut(y)];
}

/** `+ index public.users_email_key: CREATE UNIQUE INDEX ...`, `- column public.users.nickname text`. */
export function formatChange(c: SchemaChange): string {
  if (c.sign === '~' && c.order)
    return `~ ${c.kind} ${c.name}: ${c.kind === 'type' ? 'label' : 'column'} order ${c.before} -> ${c.after}`;
  if (c.sign === '~') {
    const [a, b] = around(c.before ?? '', c.after ?? '');
    return `~ ${c.kind} ${c.name}: ${a || '(none)'} -> ${b || '(none)'}`;
  }
  const def = shorten((c.sign === '+' ? c.after : c.before) ?? '');
  if (!def) return `${c.sign} ${c.kind} ${c.name}`;
  return c.kind === 'column' ? `${c.sign} column ${c.name} ${def}` : `${c.sign} ${c.kind} ${c.name}: ${def}`;
}

/** `table public.x`: how an object is named in a sentence. */
export function describeObject(c: Pick<SchemaChange, 'kind' | 'name'>): string {
  return `${c.kind} ${c.name}`;
}
