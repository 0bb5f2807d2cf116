import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULT_LINT_WARN } from '../../src/config/schema.js';
import { ConfigError } from '../../src/errors.js';
import { satisfiedBySchemagate } from '../../src/lint/lint.js';
import { SourceMap, sameLines, unitsForBytes } from '../../src/lint/position.js';
import { pgVersionOf } from '../../src/lint/scope.js';
import { findSquawk, unknownRule } from '../../src/lint/squawk.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transactionComments } from '../../src/lint/transaction-comment.js';
import { thrown } from '../support/thrown.js';

describe("Squawk's positions in the file", () => {
  it('counts UTF-8 bytes of a line as UTF-16 code units (é is 2 bytes, 😀 is 4 bytes and 2 units)', () => {
    const line = "SELECT 'é😀'; CREATE";
    expect(unitsForBytes(line, 0, line.length, Buffer.byteLength("SELECT 'é😀'; "))).toBe("SELECT 'é😀'; ".length);
    expect(unitsForBytes(line, 0, line.length, 0)).toBe(0);
    // Past the end of the line: the end of the line, not the next one.
    expect(unitsForBytes(line, 0, 6, 99)).toBe(6);
  });

  it('maps a 0-based line and byte column of the run text to the 1-based line and code-point column of the file', () => {
    const file = "-- migrate:up\n-- 😀\nSELECT 'é'; CREATE INDEX i ON t (c);\n-- migrate:down\nDROP INDEX i;\n";
    const up = file.slice(0, file.indexOf('-- migrate:down'));
    const map = new SourceMap('x.sql', file, up);
    expect(map.at(2, Buffer.byteLength("SELECT 'é'; "))).toEqual({ line: 3, column: 13 });
    expect(map.at(1, Buffer.byteLength('-- 😀'))).toEqual({ line: 2, column: 5 });
    expect(map.at(0, 0)).toEqual({ line: 1, column: 1 });
  });

  it('adds the offset of an up text that starts inside its file', () => {
    const file = 'header line\nmore\nCREATE INDEX i ON t (c);\n';
    const map = new SourceMap('x.sql', file, 'CREATE INDEX i ON t (c);\n');
    expect(map.at(0, 7)).toEqual({ line: 3, column: 8 });
  });

  it("maps a run text that keeps the file's lines, others emptied (a goose Up section), line for line", () => {
    const file = "-- +goose Up\n-- 😀\nSELECT 'é'; CREATE INDEX i ON t (c);\n-- +goose Down\nDROP INDEX i;\n";
    const up = "\n-- 😀\nSELECT 'é'; CREATE INDEX i ON t (c);\n";
    const map = new SourceMap('x.sql', file, up);
    expect(map.at(2, Buffer.byteLength("SELECT 'é'; "))).toEqual({ line: 3, column: 13 });
    expect(map.atOffset(up.indexOf('CREATE'))).toEqual({ line: 3, column: 13 });
    expect(map.at(1, Buffer.byteLength('-- 😀'))).toEqual({ line: 2, column: 5 });
  });

  it('maps a run text whose BEGIN and COMMIT are blanked to spaces, also within a line', () => {
    const file = 'BEGIN; ALTER TABLE t ADD c int;\nALTER TABLE t ADD d int; COMMIT;\n';
    const run = '       ALTER TABLE t ADD c int;\nALTER TABLE t ADD d int;        \n';
    const map = new SourceMap('x.sql', file, run);
    expect(map.at(0, 7)).toEqual({ line: 1, column: 8 });
    expect(map.at(1, 0)).toEqual({ line: 2, column: 1 });
    expect(sameLines(file, run)).toBe(true);
    expect(sameLines(file, run.replace('ADD d', 'ADD e'))).toBe(false);
    expect(sameLines(file, `${run}\nSELECT 1;\n`)).toBe(false);
  });

  it('refuses a run text that is not part of its file (a reader bug), instead of pointing at a wrong line', () => {
    expect(() => new SourceMap('x.sql', 'SELECT 1;', 'SELECT 2;')).toThrow(
      'BUG: the text that runs for x.sql is not part of the file',
    );
  });
});

describe('what schemagate satisfies for Squawk', () => {
  it('the lock_timeout rule when it sets lock_timeout, the statement_timeout rule when it sets that, the combined rule when both', () => {
    expect(satisfiedBySchemagate({ lockTimeoutMs: 5000, statementTimeoutMs: 0 })).toEqual(['require-lock-timeout']);
    expect(satisfiedBySchemagate({ lockTimeoutMs: 0, statementTimeoutMs: 0 })).toEqual([]);
    expect(satisfiedBySchemagate({ lockTimeoutMs: 0, statementTimeoutMs: 60_000 })).toEqual([
      'require-statement-timeout',
    ]);
    expect(satisfiedBySchemagate({ lockTimeoutMs: 1, statementTimeoutMs: 1 })).toEqual([
      'require-lock-timeout',
      'require-statement-timeout',
      'require-timeout-settings',
    ]);
  });

  it("turns server_version_num into Squawk's --pg-version", () => {
    expect(pgVersionOf(170010)).toBe('17.10');
    expect(pgVersionOf(160004)).toBe('16.4');
    expect(pgVersionOf(90624)).toBe('9.6');
  });

  it("reads the rule name out of Squawk's usage error", () => {
    expect(unknownRule("error: invalid value 'bogus' for '--exclude <rule>': invalid rule name bogus\n")).toBe('bogus');
    expect(unknownRule('error: something else')).toBeUndefined();
  });
});

describe('Squawk comments that contradict how schemagate runs a file', () => {
  it('finds "disable" in a transactional file and "enable" in a non-transactional one, not in strings', () => {
    const sql = "SELECT '-- squawk-disable-assume-in-transaction';\n  -- squawk-disable-assume-in-transaction\n";
    expect(transactionComments(sql, true)).toEqual([
      expect.objectContaining({ start: sql.indexOf('  --') + 2, end: sql.length - 1 }),
    ]);
    expect(transactionComments(sql, false)).toEqual([]);
    expect(transactionComments('-- squawk-enable-assume-in-transaction\n', false)).toHaveLength(1);
    expect(transactionComments('-- squawk-enable-assume-in-transaction\n', true)).toEqual([]);
  });
});

describe('the lint section of schemagate.yaml', () => {
  const problems = (yaml: string) => {
    const e = thrown(() => parseConfig(yaml, 'schemagate.yaml', '/app'));
    expect(e).toBeInstanceOf(ConfigError);
    return e.message.split('\n').slice(1);
  };

  it('defaults: enabled, no since, no pgVersion, nothing excluded, the advisory rules as warnings', () => {
    expect(parseConfig('', 'schemagate.yaml', '/app').lint).toEqual({
      enabled: true,
      since: undefined,
      pgVersion: undefined,
      exclude: [],
      include: [],
      warn: DEFAULT_LINT_WARN,
    });
  });

  it('reads versions written as numbers or strings', () => {
    const c = parseConfig('lint:\n  since: 20240101120000\n  pgVersion: "15.4"\n', 'schemagate.yaml', '/app');
    expect(c.lint).toMatchObject({ since: '20240101120000', pgVersion: '15.4' });
    expect(parseConfig('lint:\n  since: "1.10"\n  pgVersion: 16\n', 'x', '/app').lint).toMatchObject({
      since: '1.10',
      pgVersion: '16',
    });
  });

  it('reports every bad lint key with its path', () => {
    expect(
      problems(
        [
          'lint:',
          '  since: 1.10',
          '  pgVersion: sixteen',
          '  exclude: [Require_Lock]',
          '  warn: [ban-drop-column, ban-drop-column]',
          '  enabled: yes',
          '  exlude: []',
        ].join('\n'),
      ),
    ).toEqual([
      '  - lint.since: expected a migration version (e.g. 4, "1.2" or 20240101120000), found 1.1 (YAML read a number: write the version in quotes, e.g. "1.10", which unquoted is 1.1)',
      '  - lint.pgVersion: expected a PostgreSQL version (e.g. 16 or "15.4"), found "sixteen"',
      '  - lint.exclude[0]: expected a Squawk rule name (lowercase words joined by "-", e.g. require-concurrent-index-creation), found "Require_Lock"',
      '  - lint.warn[1]: "ban-drop-column" is listed twice (also at lint.warn[0])',
      '  - lint.enabled: expected true or false, found a string ("yes")',
      '  - lint.exlude: unknown key (did you mean "exclude"?)',
    ]);
  });
});

describe('finding the squawk binary', () => {
  it('says how to install squawk-cli when the package is not installed, or has no binary for this platform', () => {
    const missing = thrown(() =>
      findSquawk({}, () => {
        throw new Error("Cannot find module 'squawk-cli/js/index.js'");
      }),
    );
    expect(missing.message).toBe('lint needs Squawk, and the npm package squawk-cli is not installed');
    expect(missing.exitCode).toBe(3);
    expect(missing.hint).toMatch(/^Install it with `npm install --include=optional` in the project/);
    const platform = thrown(() =>
      findSquawk({}, () => ({
        getBinaryPath: () => {
          throw new Error(
            'squawk: the "@squawk-cli/linux-x64" optional dependency was not installed.\nThis usually...',
          );
        },
      })),
    );
    expect(platform.message).toBe(
      'lint needs Squawk, and squawk-cli has no binary here: squawk: the "@squawk-cli/linux-x64" optional dependency was not installed.',
    );
  });

  it('takes $SCHEMAGATE_SQUAWK first, then the binary of squawk-cli itself (not its Node wrapper)', () => {
    expect(findSquawk({ SCHEMAGATE_SQUAWK: '/opt/squawk' })).toEqual({
      path: '/opt/squawk',
      from: 'SCHEMAGATE_SQUAWK',
    });
    const found = findSquawk({});
    expect(found.from).toBe('the npm package squawk-cli');
    expect(found.path).toMatch(/@squawk-cli\/[a-z0-9]+-[a-z0-9]+\/bin\/squawk(\.exe)?$/);
    expect(statSync(found.path).isFile()).toBe(true);
  });
});

describe('what db commands and pods load', () => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  /** Imports of a source file (not `import type`): static ones, and dynamic ones unless `staticOnly`. */
  function specifiers(file: string, staticOnly = false): string[] {
    const src = readFileSync(file, 'utf8');
    return [
      ...src.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm),
      ...(staticOnly ? [] : src.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)),
    ].map((m) => m[1]!);
  }
  function imports(file: string, staticOnly = false): string[] {
    return specifiers(file, staticOnly)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
  }

  it('an offline lint does not load pg: the database part of lint is a lazy import', () => {
    const todo = [join(root, 'src/cli/lint.ts')];
    const seen = new Set<string>();
    while (todo.length > 0) {
      const f = todo.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      todo.push(...imports(f, true));
    }
    expect(seen.has(join(root, 'src/lint/scope.ts'))).toBe(true);
    const packages = [...seen].flatMap((f) =>
      specifiers(f, true).filter((s) => !s.startsWith('.') && !s.startsWith('node:')),
    );
    expect(packages).not.toContain('pg');
  });

  it('never reaches src/lint (nor squawk-cli) from the db commands or the engine, even through lazy imports', () => {
    const engine = join(root, 'src/engine');
    const todo = [
      join(root, 'src/cli/db.ts'),
      ...readdirSync(engine, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join(engine, f)),
    ];
    const seen = new Set<string>();
    while (todo.length > 0) {
      const f = todo.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      todo.push(...imports(f));
    }
    expect(seen.size).toBeGreaterThan(30);
    expect([...seen].map((f) => relative(root, f)).filter((f) => f.startsWith('src/lint/'))).toEqual([]);
    for (const f of seen) expect(readFileSync(f, 'utf8'), relative(root, f)).not.toContain('squawk-cli');
  });

  it('loads src/lint only for the lint command, lazily from the command table', () => {
    const table = readFileSync(join(root, 'src/cli/commands.ts'), 'utf8');
    expect(table).toContain("load: async () => (await import('./lint.js')).lintCommand");
    for (const f of ['src/cli.ts', 'src/cli/commands.ts', 'src/cli/dispatch.ts', 'src/cli/help.ts'])
      expect(readFileSync(join(root, f), 'utf8'), f).not.toMatch(/^import [^;]*lint\//m);
  });
});
