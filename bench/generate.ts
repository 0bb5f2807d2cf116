import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A deterministic, realistic migration history for the benchmark: tables with
 * foreign keys to earlier tables, indexes, rows, ALTERs, comments, and now and
 * then a function with a trigger or a view. The same statements are written
 * as schemagate files and as a drizzle journal, so every tool runs the same SQL.
 */
export interface GeneratedMigration {
  /** `0001_create_accounts_1`: the file name without `.sql`. */
  name: string;
  statements: string[];
}

interface Table {
  name: string;
  /** Rows inserted when it was created: ids 1..rows exist for good, so children may reference them. */
  rows: number;
  fkCols: string[];
  /** Columns added by ALTERs, so each ALTER adds a new one. */
  extra: number;
  hasUpdatedAt: boolean;
}

const NOUNS = [
  'accounts',
  'customers',
  'orders',
  'invoices',
  'products',
  'shipments',
  'payments',
  'addresses',
  'tickets',
  'events',
  'projects',
  'tasks',
  'comments',
  'teams',
  'devices',
  'sessions',
];
const STATUSES = ['new', 'active', 'paused', 'closed'];

/** mulberry32: a small seeded PRNG, so every run generates the same files. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateMigrations(n: number, seed = 20240601): GeneratedMigration[] {
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  // Recent tables are referenced more often, as in a real history.
  const pick = (tables: Table[]) =>
    tables[Math.max(0, tables.length - 1 - Math.floor(Math.pow(rand(), 2) * tables.length))]!;
  const tables: Table[] = [];
  const out: GeneratedMigration[] = [];

  const createTable = (i: number): { desc: string; statements: string[] } => {
    const name = `${NOUNS[i % NOUNS.length]}_${i}`;
    const parents =
      tables.length === 0 ? [] : tables.length === 1 || rand() < 0.7 ? [pick(tables)] : [pick(tables), pick(tables)];
    const uniqueParents = [...new Map(parents.map((p) => [p.name, p])).values()];
    const fkCols = uniqueParents.map(
      (p) => `  ${p.name}_id bigint NOT NULL REFERENCES ${p.name} (id) ON DELETE CASCADE,`,
    );
    const rows = int(10, 120);
    const statements = [
      `CREATE TABLE ${name} (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n${fkCols.join('\n')}${fkCols.length ? '\n' : ''}  name text NOT NULL,\n  status text NOT NULL DEFAULT 'new' CHECK (status IN (${STATUSES.map((s) => `'${s}'`).join(', ')})),\n  amount numeric(12, 2) NOT NULL DEFAULT 0,\n  payload jsonb NOT NULL DEFAULT '{}'::jsonb,\n  created_at timestamptz NOT NULL DEFAULT now()\n)`,
      ...uniqueParents.map((p) => `CREATE INDEX ${name}_${p.name}_id_idx ON ${name} (${p.name}_id)`),
      `CREATE INDEX ${name}_status_created_at_idx ON ${name} (status, created_at DESC)`,
      `COMMENT ON TABLE ${name} IS 'generated table ${i}: ${uniqueParents.length ? `child of ${uniqueParents.map((p) => p.name).join(' and ')}` : 'a root'}'`,
      `INSERT INTO ${name} (${[...uniqueParents.map((p) => `${p.name}_id`), 'name', 'status', 'amount', 'payload'].join(', ')})\nSELECT ${[
        ...uniqueParents.map((p) => `1 + (g % ${p.rows})`),
        `'${name.replace(/_\d+$/, '')} ' || g`,
        `(ARRAY[${STATUSES.map((s) => `'${s}'`).join(', ')}])[1 + g % ${STATUSES.length}]`,
        `round((g * 7.31)::numeric % 1000, 2)`,
        `jsonb_build_object('seq', g, 'source', 'bench')`,
      ].join(',\n       ')}\nFROM generate_series(1, ${rows}) AS g`,
    ];
    if (rand() < 0.3 && uniqueParents[0]) {
      statements.push(`CREATE UNIQUE INDEX ${name}_parent_name_key ON ${name} (${uniqueParents[0].name}_id, name)`);
    }
    tables.push({ name, rows, fkCols: uniqueParents.map((p) => `${p.name}_id`), extra: 0, hasUpdatedAt: false });
    return { desc: `create_${name}`, statements };
  };

  const alterTable = (): { desc: string; statements: string[] } => {
    const t = pick(tables);
    t.extra++;
    const col = `note_${t.extra}`;
    return {
      desc: `add_${col}_to_${t.name}`,
      statements: [
        `ALTER TABLE ${t.name} ADD COLUMN ${col} text`,
        `UPDATE ${t.name} SET ${col} = 'backfilled ' || id WHERE id % 3 = 0`,
        `ALTER TABLE ${t.name} ADD COLUMN ${col}_at timestamptz NOT NULL DEFAULT now()`,
        `CREATE INDEX ${t.name}_${col}_idx ON ${t.name} (${col}) WHERE ${col} IS NOT NULL`,
        `COMMENT ON COLUMN ${t.name}.${col} IS 'added by an ALTER'`,
      ],
    };
  };

  const insertRows = (i: number): { desc: string; statements: string[] } => {
    const t = pick(tables);
    const cols = [...t.fkCols, 'name', 'status', 'amount', 'payload'];
    // Copies get ids above `rows`, so deleting some of them never breaks a later child's foreign key.
    const statements = t.fkCols.length
      ? [
          `INSERT INTO ${t.name} (${cols.join(', ')})\nSELECT ${[...t.fkCols, `name || ' #${i}'`, `'new'`, 'amount + 1', `payload || '{"copy": true}'`].join(', ')}\nFROM ${t.name} WHERE id % 10 = 1`,
        ]
      : [
          `INSERT INTO ${t.name} (name, status, amount) VALUES\n  ${Array.from({ length: 5 }, (_, k) => `('extra ${i}.${k + 1}', '${STATUSES[k % STATUSES.length]}', ${(k + 1) * 10}.50)`).join(',\n  ')}`,
        ];
    statements.push(
      `UPDATE ${t.name} SET amount = amount * 1.1, status = 'active' WHERE status = 'new' AND id % 5 = 0`,
      `DELETE FROM ${t.name} WHERE id > ${t.rows} AND id % 4 = 0`,
    );
    return { desc: `add_rows_to_${t.name}`, statements };
  };

  const functionAndTrigger = (i: number): { desc: string; statements: string[] } => {
    const t = pick(tables.filter((x) => !x.hasUpdatedAt).length ? tables.filter((x) => !x.hasUpdatedAt) : tables);
    const fn = `${t.name}_touch_${i}`;
    const statements = [
      ...(t.hasUpdatedAt ? [] : [`ALTER TABLE ${t.name} ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()`]),
      `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger\nLANGUAGE plpgsql AS $$\nBEGIN\n  NEW.updated_at := now();\n  IF NEW.status = 'closed' AND OLD.status <> 'closed' THEN\n    NEW.payload := NEW.payload || jsonb_build_object('closed_at', now());\n  END IF;\n  RETURN NEW;\nEND;\n$$`,
      `CREATE TRIGGER ${fn}_trg BEFORE UPDATE ON ${t.name}\n  FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
      `COMMENT ON FUNCTION ${fn}() IS 'keeps ${t.name}.updated_at current'`,
    ];
    t.hasUpdatedAt = true;
    return { desc: `touch_trigger_on_${t.name}`, statements };
  };

  const view = (i: number): { desc: string; statements: string[] } => {
    const t = pick(tables);
    const name = `${t.name}_summary_${i}`;
    return {
      desc: `view_${name}`,
      statements: [
        `CREATE VIEW ${name} AS\nSELECT status, count(*) AS n, sum(amount) AS total, max(created_at) AS last_created\nFROM ${t.name}\nGROUP BY status`,
        `COMMENT ON VIEW ${name} IS 'per-status totals of ${t.name}'`,
      ],
    };
  };

  for (let i = 1; i <= n; i++) {
    const r = rand();
    const m =
      tables.length < 3 || r < 0.55
        ? createTable(i)
        : r < 0.75
          ? alterTable()
          : r < 0.85
            ? insertRows(i)
            : r < 0.93
              ? functionAndTrigger(i)
              : view(i);
    out.push({ name: `${String(i).padStart(4, '0')}_${m.desc}`, statements: m.statements });
  }
  return out;
}

/** The statements as one file, each ending in `;`: what schemagate and psql read. */
export function sqlText(m: GeneratedMigration): string {
  return `-- ${m.name}: generated by bench/generate.ts\n\n${m.statements.map((s) => `${s};`).join('\n\n')}\n`;
}

/** schemagate's layout: `dir/NNNN_description.sql`. */
export function writeSchemagateDir(dir: string, migrations: readonly GeneratedMigration[]): string[] {
  mkdirSync(dir, { recursive: true });
  return migrations.map((m) => {
    const path = join(dir, `${m.name}.sql`);
    writeFileSync(path, sqlText(m));
    return path;
  });
}

/**
 * drizzle-kit's layout: `dir/meta/_journal.json` and `dir/<tag>.sql` with the
 * statements separated by `--> statement-breakpoint` (its migrator splits on it
 * and sends each statement on its own).
 */
export function writeDrizzleDir(dir: string, migrations: readonly GeneratedMigration[]): void {
  mkdirSync(join(dir, 'meta'), { recursive: true });
  // drizzle orders by `when` (folderMillis) and applies those newer than the last applied one.
  const base = Date.UTC(2024, 0, 1);
  const entries = migrations.map((m, idx) => ({
    idx,
    version: '7',
    when: base + idx * 1000,
    tag: m.name,
    breakpoints: true,
  }));
  writeFileSync(
    join(dir, 'meta', '_journal.json'),
    JSON.stringify({ version: '7', dialect: 'postgresql', entries }, null, 2),
  );
  for (const m of migrations) {
    writeFileSync(
      join(dir, `${m.name}.sql`),
      m.statements.map((s) => `${s};`).join('\n--> statement-breakpoint\n') + '\n',
    );
  }
}
