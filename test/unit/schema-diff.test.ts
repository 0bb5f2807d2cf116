import { describe, expect, it } from 'vitest';
import { diffSnapshots, formatChange, withoutMembersOfWhole } from '../../src/engine/schema-diff.js';
import { buildSnapshot, type Catalog, type SchemaSnapshot } from '../../src/engine/schema-snapshot.js';

function catalog(parts: Partial<Catalog> = {}): Catalog {
  return {
    schemas: [{ name: 'public' }],
    extensions: [{ name: 'plpgsql', schema: 'pg_catalog', version: '1.0' }],
    relations: [],
    columns: [],
    constraints: [],
    indexes: [],
    triggers: [],
    functions: [],
    types: [],
    enumLabels: [],
    sequences: [],
    ...parts,
  };
}

function col(
  table: string,
  name: string,
  num: number,
  extra: Partial<Catalog['columns'][number]> = {},
): Catalog['columns'][number] {
  return {
    schema: 'public',
    table,
    name,
    num,
    type: 'text',
    notnull: false,
    default: null,
    identity: '',
    generated: '',
    collation: null,
    ...extra,
  };
}

const users = (columns: Catalog['columns']): Partial<Catalog> => ({
  relations: [{ schema: 'public', name: 'users', relkind: 'r', persistence: 'p', extra: null }],
  columns,
});

const lines = (a: SchemaSnapshot, b: SchemaSnapshot) => diffSnapshots(a, b).map(formatChange);

describe('schema snapshots', () => {
  it('compare columns by their order among live columns, not by attribute number (a dropped column leaves a hole)', () => {
    const before = buildSnapshot(
      catalog(users([col('users', 'id', 1, { type: 'bigint', notnull: true }), col('users', 'email', 2)])),
    );
    const after = buildSnapshot(
      catalog(users([col('users', 'id', 1, { type: 'bigint', notnull: true }), col('users', 'email', 4)])),
    );
    expect(diffSnapshots(before, after)).toEqual([]);
  });

  it('leave out the history table with its columns, constraints and indexes', () => {
    const snap = buildSnapshot(
      catalog({
        relations: [{ schema: 'public', name: 'schemagate_migrations', relkind: 'r', persistence: 'p', extra: null }],
        columns: [col('schemagate_migrations', 'version', 1)],
        constraints: [
          {
            schema: 'public',
            owner: 'schemagate_migrations',
            name: 'schemagate_migrations_pkey',
            definition: 'PRIMARY KEY (kind, version)',
          },
        ],
        indexes: [
          {
            schema: 'public',
            table: 'schemagate_migrations',
            name: 'schemagate_migrations_pkey',
            definition: 'CREATE UNIQUE INDEX ...',
          },
        ],
      }),
      { schema: 'public', table: 'schemagate_migrations' },
    );
    expect(snap.items.map((i) => `${i.kind} ${i.name}`)).toEqual(['extension plpgsql', 'schema public']);
  });

  it('are sorted by kind, then name, whatever order the catalog rows come in', () => {
    const snap = buildSnapshot(
      catalog({
        indexes: [
          { schema: 'public', table: 'users', name: 'b_idx', definition: 'x' },
          { schema: 'public', table: 'users', name: 'a_idx', definition: 'y' },
        ],
        ...users([col('users', 'id', 1)]),
      }),
    );
    expect(snap.items.map((i) => `${i.kind} ${i.name}`)).toEqual([
      'extension plpgsql',
      'schema public',
      'table public.users',
      'column public.users.id',
      'index public.a_idx',
      'index public.b_idx',
    ]);
  });
});

describe('schema diff', () => {
  it('reports an object only in the actual schema with + and its definition', () => {
    const base = catalog(users([col('users', 'id', 1)]));
    const withIndex = {
      ...base,
      indexes: [
        {
          schema: 'public',
          table: 'users',
          name: 'users_email_key',
          definition: 'CREATE UNIQUE INDEX users_email_key ON public.users USING btree (lower(email))',
        },
      ],
    };
    expect(lines(buildSnapshot(base), buildSnapshot(withIndex))).toEqual([
      '+ index public.users_email_key: CREATE UNIQUE INDEX users_email_key ON public.users USING btree (lower(email))',
    ]);
  });

  it("reports a missing column with - and its type, without also reporting the table's column order", () => {
    const expected = buildSnapshot(
      catalog(users([col('users', 'id', 1, { type: 'bigint' }), col('users', 'nickname', 2)])),
    );
    const actual = buildSnapshot(catalog(users([col('users', 'id', 1, { type: 'bigint' })])));
    expect(lines(expected, actual)).toEqual(['- column public.users.nickname text']);
  });

  it('reports a column re-added at another position as a changed column order, and a changed default with ~', () => {
    const expected = buildSnapshot(
      catalog(
        users([col('users', 'id', 1), col('users', 'a', 2, { type: 'integer', default: '1' }), col('users', 'b', 3)]),
      ),
    );
    const actual = buildSnapshot(
      catalog(users([col('users', 'id', 1), col('users', 'b', 3), col('users', 'a', 4, { type: 'integer' })])),
    );
    expect(lines(expected, actual)).toEqual([
      '~ table public.users: column order (id, a, b) -> (id, b, a)',
      '~ column public.users.a: integer default 1 -> integer',
    ]);
  });

  it("reports an enum label left behind as its own item, and the type only when the labels' order changed", () => {
    const mood = (labels: string[]): Partial<Catalog> => ({
      types: [{ schema: 'public', name: 'mood', definition: 'enum' }],
      enumLabels: labels.map((label, i) => ({ schema: 'public', type: 'mood', label, sortorder: i + 1 })),
    });
    const two = buildSnapshot(catalog(mood(['sad', 'happy'])));
    expect(lines(two, buildSnapshot(catalog(mood(['sad', 'happy', 'meh']))))).toEqual([
      "+ enum value public.mood 'meh'",
    ]);
    expect(lines(two, buildSnapshot(catalog(mood(['happy', 'sad']))))).toEqual([
      "~ type public.mood: label order ('sad', 'happy') -> ('happy', 'sad')",
    ]);
  });

  it('shows two long definitions around the place where they first differ', () => {
    const body = (v: string) =>
      `CREATE OR REPLACE FUNCTION public.f() RETURNS integer LANGUAGE sql AS $function$ SELECT ${'1 + '.repeat(40)}${v} $function$`;
    const fn = (v: string): Partial<Catalog> => ({
      functions: [{ schema: 'public', name: 'f', args: '', prokind: 'f', definition: body(v) }],
    });
    const [line] = lines(buildSnapshot(catalog(fn('2'))), buildSnapshot(catalog(fn('3'))));
    expect(line).toMatch(/^~ function public\.f\(\): ….*1 \+ 2 \$function\$ -> ….*1 \+ 3 \$function\$$/);
  });

  it('finds nothing between two snapshots of the same catalog', () => {
    const c = catalog({
      ...users([col('users', 'id', 1)]),
      sequences: [{ schema: 'public', name: 'users_id_seq', definition: 'bigint start 1', ownerTable: 'users' }],
    });
    expect(diffSnapshots(buildSnapshot(c), buildSnapshot(structuredClone(c)))).toEqual([]);
  });

  it('leaves out the columns of a table that is itself left over, but keeps a column left on a table that should stay', () => {
    const empty = buildSnapshot(catalog(users([col('users', 'id', 1)])));
    const left = buildSnapshot(
      catalog({
        relations: [
          { schema: 'public', name: 'users', relkind: 'r', persistence: 'p', extra: null },
          { schema: 'public', name: 'audit', relkind: 'r', persistence: 'p', extra: null },
        ],
        columns: [col('users', 'id', 1), col('users', 'nickname', 2), col('audit', 'id', 1, { type: 'integer' })],
      }),
    );
    expect(withoutMembersOfWhole(diffSnapshots(empty, left)).map(formatChange)).toEqual([
      '+ table public.audit',
      '+ column public.users.nickname text',
    ]);
  });
});
