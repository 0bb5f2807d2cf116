import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Client } from '../connect.js';
import { JOURNAL } from '../formats/drizzle.js';
import type { MigrationFile } from '../formats/types.js';
import { parseVersion } from '../version.js';
import { digestMatches, flywayChecksum, prismaChecksumMatches, sha256Hex, sqlxChecksum } from './checksums.js';
import type { FoundTable } from './table.js';
import { defined } from '../../util/defined.js';

/*
 * Each tool's history table, read as the tool reads it. Table shapes and
 * checksums, from each tool's source: Flyway flyway-database-postgresql
 * PostgreSQLDatabase.java and flyway-core ChecksumCalculator.java;
 * golang-migrate database/postgres/postgres.go; dbmate
 * pkg/driver/postgres/postgres.go; sqlx sqlx-postgres src/migrate.rs and
 * sqlx-core src/migrate/migration.rs; goose internal/dialect; sql-migrate
 * migrate.go; drizzle-orm pg-core/dialect.js and migrator.ts; prisma-engines
 * schema-connector checksum.rs; diesel_migrations setup_migration_table.sql;
 * node-pg-migrate src/runner.ts.
 */

export const ToolName = {
  flyway: 'flyway',
  golangMigrate: 'golang-migrate',
  dbmate: 'dbmate',
  sqlx: 'sqlx',
  goose: 'goose',
  sqlMigrate: 'sql-migrate',
  drizzle: 'drizzle',
  prisma: 'prisma',
  diesel: 'diesel',
  nodePgMigrate: 'node-pg-migrate',
  migrationHistory: 'migration-history',
  schemaMigrations: 'schema-migrations',
} as const;
export type ToolName = (typeof ToolName)[keyof typeof ToolName];

/** One migration the other tool records as applied. */
export interface ForeignRow {
  /** How the tool names it, for messages: `version 3`, `20210101000000_init`. */
  shown: string;
  /** Which file it is. */
  match: (f: MigrationFile) => boolean;
  appliedAt?: Date | undefined;
  /** The file against what the tool recorded: true, false, or undefined (the tool keeps no checksum). */
  verify?: (raw: Buffer, f: MigrationFile) => boolean | undefined;
  /** golang-migrate keeps only the current version: every file up to it is applied. */
  upTo?: true;
  /** Flyway's baseline: versions up to it count as applied, with or without a file. */
  baseline?: string;
}

export interface ForeignHistory {
  rows: ForeignRow[];
  /** Dirty, failed or unreadable states: adoption refuses. */
  problems: string[];
  /** What is read but not adopted (Flyway's repeatable migrations). */
  notes: string[];
}

export interface ToolAdapter {
  name: ToolName;
  title: string;
  /** Its default table; schema undefined: the first schema of the search_path, as the tool uses it. */
  table: { schema?: string; name: string };
  fits(columns: Set<string>): boolean;
  read(client: Client, table: FoundTable, dir: string): Promise<ForeignHistory>;
}

const byVersion = (v: string) => {
  const text = parseVersion(v)?.text;
  return (f: MigrationFile) => !f.version.named && f.version.text === text;
};
const has = (c: Set<string>, ...names: string[]) => names.every((n) => c.has(n));

async function select<T>(client: Client, sql: string): Promise<T[]> {
  return (await client.query(sql)).rows as T[];
}

const flyway: ToolAdapter = {
  name: 'flyway',
  title: 'Flyway',
  table: { name: 'flyway_schema_history' },
  fits: (c) => has(c, 'installed_rank', 'script', 'success'),
  async read(client, t) {
    const rows = await select<{
      version: string | null;
      type: string;
      script: string;
      checksum: number | null;
      installed_on: Date;
      success: boolean;
    }>(
      client,
      `SELECT version, type, script, checksum, installed_on, success FROM ${t.qualified} ORDER BY installed_rank`,
    );
    const out = new Map<string, ForeignRow>();
    const problems: string[] = [];
    const notes: string[] = [];
    for (const r of rows) {
      if (!r.success) {
        problems.push(
          `${t.display}: ${r.script} (version ${r.version ?? 'repeatable'}) failed (success = false): Flyway refuses to migrate until \`flyway repair\`; undo what it applied, repair, and adopt again`,
        );
        continue;
      }
      if (r.type === 'SCHEMA') continue;
      if (r.version === null) {
        notes.push(
          `${r.script}: a Flyway repeatable migration, not adopted (schemagate runs versioned migrations only)`,
        );
        continue;
      }
      if (r.type === 'BASELINE' || r.type === 'SQL_BASELINE') {
        out.set(`baseline ${r.version}`, {
          shown: `baseline ${r.version}`,
          match: byVersion(r.version),
          baseline: r.version,
          appliedAt: r.installed_on,
        });
        continue;
      }
      if (r.type === 'DELETE' || r.type.startsWith('UNDO')) {
        out.delete(r.version);
        continue;
      }
      const checksum = r.checksum;
      out.set(r.version, {
        shown: `version ${r.version} (${r.script})`,
        match: byVersion(r.version),
        appliedAt: r.installed_on,
        verify: (raw) => (checksum === null ? undefined : flywayChecksum(raw) === checksum),
      });
    }
    return { rows: [...out.values()], problems, notes };
  },
};

const golangMigrate: ToolAdapter = {
  name: 'golang-migrate',
  title: 'golang-migrate',
  table: { name: 'schema_migrations' },
  fits: (c) => has(c, 'version', 'dirty'),
  async read(client, t) {
    const rows = await select<{ version: string; dirty: boolean }>(
      client,
      `SELECT version::text AS version, dirty FROM ${t.qualified}`,
    );
    const problems: string[] = [];
    if (rows.length > 1) problems.push(`${t.display} holds ${rows.length} rows; golang-migrate keeps exactly one`);
    const r = rows[0];
    if (!r) return { rows: [], problems, notes: [] };
    if (r.dirty)
      problems.push(
        `${t.display}: version ${r.version} is dirty: a golang-migrate run failed part-way ("Dirty database version ${r.version}. Fix and force version."). Check what it applied, then \`migrate force\` the right version, and adopt again`,
      );
    return { rows: [{ shown: `version ${r.version}`, match: byVersion(r.version), upTo: true }], problems, notes: [] };
  },
};

const dbmate: ToolAdapter = {
  name: 'dbmate',
  title: 'dbmate',
  table: { name: 'schema_migrations' },
  fits: (c) => c.has('version') && c.size === 1,
  async read(client, t) {
    const rows = await select<{ version: string }>(client, `SELECT version FROM ${t.qualified} ORDER BY version`);
    return {
      rows: rows.map((r) => ({ shown: `version ${r.version}`, match: byVersion(r.version) })),
      problems: [],
      notes: [],
    };
  },
};

const sqlx: ToolAdapter = {
  name: 'sqlx',
  title: 'sqlx',
  table: { name: '_sqlx_migrations' },
  fits: (c) => has(c, 'version', 'checksum', 'execution_time', 'installed_on'),
  async read(client, t) {
    const rows = await select<{
      version: string;
      description: string;
      installed_on: Date;
      success: boolean;
      checksum: Buffer;
    }>(
      client,
      `SELECT version::text AS version, description, installed_on, success, checksum FROM ${t.qualified} ORDER BY version`,
    );
    const problems = rows
      .filter((r) => !r.success)
      .map(
        (r) =>
          `${t.display}: version ${r.version} (${r.description}) is partially applied (success = false): sqlx refuses to go on; undo it, delete its row, and adopt again`,
      );
    return {
      rows: rows
        .filter((r) => r.success)
        .map((r) => ({
          shown: `version ${r.version} (${r.description})`,
          match: byVersion(r.version),
          appliedAt: r.installed_on,
          verify: (raw: Buffer) => sqlxChecksum(raw).equals(r.checksum),
        })),
      problems,
      notes: [],
    };
  },
};

const goose: ToolAdapter = {
  name: 'goose',
  title: 'goose',
  table: { name: 'goose_db_version' },
  fits: (c) => has(c, 'version_id', 'is_applied'),
  async read(client, t) {
    const rows = await select<{ version_id: string; is_applied: boolean; tstamp: Date | null }>(
      client,
      `SELECT version_id::text AS version_id, is_applied, tstamp FROM ${t.qualified} ORDER BY id`,
    );
    // The newest row of a version says whether it is applied (goose up inserts is_applied true, down false or deletes).
    const state = new Map<string, { applied: boolean; at: Date | null }>();
    for (const r of rows) if (r.version_id !== '0') state.set(r.version_id, { applied: r.is_applied, at: r.tstamp });
    return {
      rows: [...state]
        .filter(([, s]) => s.applied)
        .map(([v, s]) => ({ shown: `version ${v}`, match: byVersion(v), appliedAt: s.at ?? undefined })),
      problems: [],
      notes: [],
    };
  },
};

const sqlMigrate: ToolAdapter = {
  name: 'sql-migrate',
  title: 'sql-migrate',
  table: { name: 'gorp_migrations' },
  fits: (c) => has(c, 'id', 'applied_at') && !c.has('name'),
  async read(client, t) {
    const withChecksum = t.columns.has('checksum');
    const rows = await select<{ id: string; applied_at: Date | null; checksum?: string | null }>(
      client,
      `SELECT id, applied_at${withChecksum ? ', checksum' : ''} FROM ${t.qualified} ORDER BY id`,
    );
    return {
      rows: rows.map((r) => ({
        shown: r.id,
        match: (f: MigrationFile) => f.version.text === r.id,
        appliedAt: r.applied_at ?? undefined,
        verify: (raw: Buffer) => (r.checksum ? sha256Hex(raw) === r.checksum : undefined),
      })),
      problems: [],
      notes: [],
    };
  },
};

const drizzle: ToolAdapter = {
  name: 'drizzle',
  title: 'drizzle',
  table: { schema: 'drizzle', name: '__drizzle_migrations' },
  fits: (c) => has(c, 'hash', 'created_at'),
  async read(client, t, dir) {
    const rows = await select<{ id: number; hash: string; created_at: string | null }>(
      client,
      `SELECT id, hash, created_at::text AS created_at FROM ${t.qualified} ORDER BY created_at, id`,
    );
    const problems: string[] = [];
    const path = join(dir, JOURNAL);
    const entries = existsSync(path)
      ? ((JSON.parse(readFileSync(path, 'utf8')) as { entries?: { tag: string; when: number }[] }).entries ?? [])
      : [];
    const byWhen = new Map(entries.map((e) => [String(e.when), e.tag]));
    const out: ForeignRow[] = [];
    for (const r of rows) {
      const tag = r.created_at === null ? undefined : byWhen.get(r.created_at);
      if (!tag) {
        problems.push(
          `${t.display}: row ${r.id} (created_at ${r.created_at}) matches no entry of ${JOURNAL}: drizzle applied a migration that is not in this folder`,
        );
        continue;
      }
      out.push({
        shown: tag,
        match: (f) => basename(f.path) === `${tag}.sql`,
        verify: (raw) => sha256Hex(raw) === r.hash,
      });
    }
    // drizzle runs only entries newer than its newest row: an older one without a row was skipped, never applied.
    const last = rows.at(-1)?.created_at;
    if (last !== undefined && last !== null) {
      const applied = new Set(rows.map((r) => r.created_at));
      for (const e of entries)
        if (e.when <= Number(last) && !applied.has(String(e.when)))
          problems.push(
            `${e.tag} (when ${e.when}) is older than drizzle's newest applied migration but has no row: drizzle skipped it and never applied it. Apply it by hand or give it a newer "when", then adopt again`,
          );
    }
    return { rows: out, problems, notes: [] };
  },
};

const prisma: ToolAdapter = {
  name: 'prisma',
  title: 'Prisma',
  table: { name: '_prisma_migrations' },
  fits: (c) => has(c, 'migration_name', 'checksum', 'finished_at'),
  async read(client, t) {
    const rows = await select<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
    }>(client, `SELECT migration_name, checksum, finished_at, rolled_back_at FROM ${t.qualified} ORDER BY started_at`);
    const problems: string[] = [];
    const out = new Map<string, ForeignRow>();
    for (const r of rows) {
      if (r.rolled_back_at) continue;
      if (!r.finished_at) {
        problems.push(
          `${t.display}: ${r.migration_name} is not finished (finished_at is empty): it failed or is still running (Prisma's P3009). Resolve it with \`prisma migrate resolve\`, and adopt again`,
        );
        continue;
      }
      out.set(r.migration_name, {
        shown: r.migration_name,
        match: (f) => f.version.text === r.migration_name,
        appliedAt: r.finished_at,
        verify: (raw) => prismaChecksumMatches(raw, r.checksum),
      });
    }
    return { rows: [...out.values()], problems, notes: [] };
  },
};

const diesel: ToolAdapter = {
  name: 'diesel',
  title: 'diesel',
  table: { name: '__diesel_schema_migrations' },
  fits: (c) => has(c, 'version', 'run_on'),
  async read(client, t) {
    const rows = await select<{ version: string; run_on: Date }>(
      client,
      `SELECT version, run_on FROM ${t.qualified} ORDER BY version`,
    );
    return {
      rows: rows.map((r) => ({ shown: `version ${r.version}`, match: byVersion(r.version), appliedAt: r.run_on })),
      problems: [],
      notes: [],
    };
  },
};

const nodePgMigrate: ToolAdapter = {
  name: 'node-pg-migrate',
  title: 'node-pg-migrate',
  table: { name: 'pgmigrations' },
  fits: (c) => has(c, 'id', 'name', 'run_on'),
  async read(client, t) {
    const rows = await select<{ name: string; run_on: Date }>(
      client,
      `SELECT name, run_on FROM ${t.qualified} ORDER BY run_on, id`,
    );
    return {
      rows: rows.map((r) => ({
        shown: r.name,
        match: (f: MigrationFile) => basename(f.path).replace(/\.sql$/i, '') === r.name,
        appliedAt: r.run_on,
      })),
      problems: [],
      notes: [],
    };
  },
};

/** Matches a history's row to a file: by its file name, its name without `.sql`, or the version it starts with. */
function byNameOrVersion(id: string): (f: MigrationFile) => boolean {
  const prefix = /^\d+/.exec(id)?.[0];
  const version = prefix ? parseVersion(prefix)?.text : undefined;
  return (f) => {
    const name = basename(f.path);
    return (
      name === id ||
      name.replace(/\.sql$/i, '') === id ||
      f.version.text === id ||
      (!!version && f.version.text === version)
    );
  };
}

function digestVerifier(stored: string | null | undefined): ForeignRow['verify'] {
  return (raw, f) => (stored ? (digestMatches(stored, raw, f.sql) ?? false) : undefined);
}

const pick = (c: Set<string>, names: string[]) => names.find((n) => c.has(n));

/** The seed layout's `__MigrationHistory`: its columns are read by their names. */
const migrationHistory: ToolAdapter = {
  name: 'migration-history',
  title: '__MigrationHistory',
  table: { name: '__MigrationHistory' },
  fits: (c) => !!pick(c, ['MigrationId', 'migration_id', 'version', 'name', 'migration', 'script', 'id']),
  async read(client, t) {
    const c = t.columns;
    const id = defined(
      pick(c, ['MigrationId', 'migration_id', 'version', 'name', 'migration', 'script', 'id']),
      'the id column',
    );
    const sum = pick(c, ['checksum', 'Checksum', 'hash', 'Hash']);
    const at = pick(c, [
      'applied_at',
      'AppliedAt',
      'applied_on',
      'installed_on',
      'executed_at',
      'run_on',
      'created_at',
    ]);
    const ok = pick(c, ['success', 'Success']);
    const q = (n: string) => `"${n.replace(/"/g, '""')}"`;
    const rows = await select<{ id: string; sum: string | null; at: Date | null; ok: boolean | null }>(
      client,
      `SELECT ${q(id)}::text AS id, ${sum ? `${q(sum)}::text` : 'NULL'} AS sum, ${at ? q(at) : 'NULL'} AS at, ${ok ? q(ok) : 'NULL'} AS ok FROM ${t.qualified}`,
    );
    const problems = rows
      .filter((r) => r.ok === false)
      .map(
        (r) => `${t.display}: ${r.id} failed (${ok} = false): undo what it applied, delete its row, and adopt again`,
      );
    return {
      rows: rows
        .filter((r) => r.ok !== false)
        .map((r) => ({
          shown: r.id,
          match: byNameOrVersion(r.id),
          appliedAt: r.at ?? undefined,
          verify: digestVerifier(r.sum),
        })),
      problems,
      notes: [],
    };
  },
};

/** The seed layout's `schema_migrations(version, description, applied_at, applied_by, execution_time_ms, checksum)`. */
const schemaMigrations: ToolAdapter = {
  name: 'schema-migrations',
  title: 'schema_migrations (version, description, applied_at, applied_by, execution_time_ms, checksum)',
  table: { name: 'schema_migrations' },
  fits: (c) => has(c, 'version', 'description', 'applied_at', 'checksum'),
  async read(client, t) {
    const rows = await select<{ version: string; applied_at: Date | null; checksum: string | null }>(
      client,
      `SELECT version::text AS version, applied_at, checksum FROM ${t.qualified}`,
    );
    return {
      rows: rows.map((r) => ({
        shown: `version ${r.version}`,
        match: byNameOrVersion(r.version),
        appliedAt: r.applied_at ?? undefined,
        verify: digestVerifier(r.checksum),
      })),
      problems: [],
      notes: [],
    };
  },
};

/** Every tool, in the order a table is tried against them (the most specific shapes of `schema_migrations` first). */
export const ADAPTERS: readonly ToolAdapter[] = [
  flyway,
  golangMigrate,
  schemaMigrations,
  dbmate,
  sqlx,
  goose,
  sqlMigrate,
  drizzle,
  prisma,
  diesel,
  nodePgMigrate,
  migrationHistory,
];

export function adapterFor(name: ToolName): ToolAdapter {
  return defined(
    ADAPTERS.find((a) => a.name === name),
    `the adapter of ${name}`,
  );
}
