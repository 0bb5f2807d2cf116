import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { normalizeSql } from '../engine/checksum.js';
import { ConfigError } from '../errors.js';
import { SourceMap } from './position.js';
import {
  findSquawk,
  runSquawk,
  squawkVersion,
  UnknownRuleError,
  type SquawkBinary,
  type SquawkViolation,
} from './squawk.js';
import { transactionComments } from './transaction-comment.js';

/** A migration as lint sees it: the text schemagate runs and how it runs it. */
export interface LintTarget {
  version: string;
  /** The file as shown to the user. */
  file: string;
  path: string;
  /** The text that runs (for dbmate, the up section). */
  sql: string;
  /** Runs inside a transaction: linted with Squawk's --assume-in-transaction. */
  transactional: boolean;
  /** The lock_timeout schemagate sets for it (0: none). */
  lockTimeoutMs: number;
  /** The statement_timeout schemagate sets for it (0: none). */
  statementTimeoutMs: number;
}

export interface LintRules {
  exclude: readonly string[];
  include: readonly string[];
  warn: readonly string[];
}

export type Severity = 'error' | 'warning';

export interface Finding {
  file: string;
  version: string;
  /** 1-based, in the file (not in the up section). */
  line: number;
  /** 1-based, in code points. */
  column: number;
  endLine: number;
  endColumn: number;
  rule: string;
  severity: Severity;
  message: string;
  /** Squawk's help. */
  help: string | undefined;
  /** What schemagate adds (how it runs the file, how to fix it with schemagate). */
  note: string | undefined;
  url: string | undefined;
}

/** How one file was linted: what schemagate told Squawk about it. */
export interface LintedFile {
  file: string;
  version: string;
  transactional: boolean;
  /** Rules left out because schemagate itself does what they ask (the timeouts). */
  satisfiedBySchemagate: string[];
}

export interface LintResult {
  squawk: { version: string; path: string };
  files: LintedFile[];
  findings: Finding[];
  errors: number;
  warnings: number;
}

export interface LintInput {
  targets: readonly LintTarget[];
  rules: LintRules;
  pgVersion: string | undefined;
  /** The configuration file, to name in an error about a rule name. */
  configFile: string | undefined;
  squawk?: SquawkBinary;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal | undefined;
}

/** Rules schemagate reports itself: Squawk does not accept them in --exclude. */
export const OWN_RULES = ['syntax-error', 'squawk-transaction-comment'];

/**
 * The rules schemagate satisfies for a file, because it sets the timeouts
 * itself before the file runs. Squawk's docs for require-lock-timeout and
 * require-statement-timeout (squawkhq.com/docs/require-lock-timeout): "If
 * your database connection is already configured with a lock timeout, you
 * can safely ignore this rule"; schemagate's session is that connection.
 */
export function satisfiedBySchemagate(t: Pick<LintTarget, 'lockTimeoutMs' | 'statementTimeoutMs'>): string[] {
  const rules: string[] = [];
  if (t.lockTimeoutMs > 0) rules.push('require-lock-timeout');
  if (t.statementTimeoutMs > 0) rules.push('require-statement-timeout');
  // Squawk's older name covers both settings: left out only when both are set.
  if (t.lockTimeoutMs > 0 && t.statementTimeoutMs > 0) rules.push('require-timeout-settings');
  return rules;
}

const TIMEOUT_NOTES: Record<string, string> = {
  'require-lock-timeout':
    'schemagate sets lock_timeout before each migration when migrations.lockTimeout (or `-- schemagate:lock-timeout 5s` at the top of the file) is above 0; it is 0 for this file.',
  'require-statement-timeout':
    'schemagate sets statement_timeout before each migration when migrations.statementTimeout (or `-- schemagate:statement-timeout 10m` at the top of the file) is above 0; it is 0 for this file.',
  'require-timeout-settings':
    'schemagate sets both timeouts before each migration: migrations.lockTimeout and migrations.statementTimeout, or the `-- schemagate:lock-timeout` / `-- schemagate:statement-timeout` directives.',
};

function configIssue(rules: LintRules, rule: string, version: string, file: string | undefined): ConfigError {
  const key = (['exclude', 'include', 'warn'] as const)
    .map((list) => ({ list, i: rules[list].indexOf(rule) }))
    .find((x) => x.i >= 0);
  return new ConfigError(
    file ?? 'schemagate.yaml',
    [
      {
        key: key ? `lint.${key.list}[${key.i}]` : 'lint',
        message: `Squawk ${version} has no rule "${rule}"`,
      },
    ],
    'Rule names are listed at https://squawkhq.com/docs/rules; schemagate also knows syntax-error and squawk-transaction-comment.',
  );
}

/**
 * Lints the targets with Squawk, each as schemagate runs it: the text that
 * runs, `--assume-in-transaction` when it runs in a transaction, and without
 * the timeout rules that schemagate satisfies for it. Positions are the
 * file's. Findings of rules in `rules.warn` are warnings; all others errors.
 */
export async function lintTargets(input: LintInput): Promise<LintResult> {
  const bin = input.squawk ?? findSquawk(input.env);
  const { rules } = input;
  const dir = mkdtempSync(join(tmpdir(), 'schemagate-lint-'));
  try {
    const configFile = join(dir, 'squawk.toml');
    writeFileSync(configFile, '');
    const version = await squawkVersion(bin, dir, input.signal);
    const base = {
      cwd: dir,
      configFile,
      exclude: rules.exclude.filter((r) => !OWN_RULES.includes(r)),
      include: [...rules.include],
      pgVersion: input.pgVersion,
    };
    // Flags as squawkhq.com/docs/cli documents them: --assume-in-transaction, --exclude, --include, --pg-version, --config.
    const run = async (files: string[], assumeInTransaction: boolean, exclude: string[]) => {
      try {
        return await runSquawk(bin, { ...base, files, assumeInTransaction, exclude }, input.signal);
      } catch (e) {
        if (e instanceof UnknownRuleError) throw configIssue(rules, e.rule, version, input.configFile);
        throw e;
      }
    };
    // Every rule name in the configuration, checked once (no files: Squawk reads an empty stdin).
    await run([], false, [...new Set([...base.exclude, ...rules.warn.filter((r) => !OWN_RULES.includes(r))])]);

    const groups = new Map<string, { tx: boolean; exclude: string[]; files: string[] }>();
    const byPath = new Map<string, LintTarget>();
    const files: LintedFile[] = [];
    const texts = new Map<LintTarget, string>();
    input.targets.forEach((t, i) => {
      const raw = readFileSync(t.path, 'utf8');
      texts.set(t, normalizeSql(raw));
      // Squawk reads the file itself when it is exactly the text that runs (the usual case); otherwise a copy of that text.
      let rel = t.path;
      if (raw !== t.sql) {
        rel = `${i}-${basename(t.file)}`;
        writeFileSync(join(dir, rel), t.sql);
      }
      byPath.set(rel, t);
      const satisfied = satisfiedBySchemagate(t);
      files.push({
        file: t.file,
        version: t.version,
        transactional: t.transactional,
        satisfiedBySchemagate: satisfied,
      });
      const key = `${t.transactional}|${satisfied.join(',')}`;
      const g = groups.get(key) ?? { tx: t.transactional, exclude: [...base.exclude, ...satisfied], files: [] };
      g.files.push(rel);
      groups.set(key, g);
    });

    const findings: Finding[] = [];
    const maps = new Map<LintTarget, SourceMap>();
    const mapFor = (t: LintTarget) => {
      let m = maps.get(t);
      if (!m) maps.set(t, (m = new SourceMap(t.file, texts.get(t) ?? t.sql, t.sql)));
      return m;
    };
    const severity = (rule: string): Severity => (rules.warn.includes(rule) ? 'warning' : 'error');
    for (const g of groups.values()) {
      for (const v of await run(g.files, g.tx, g.exclude)) {
        const t = byPath.get(v.file);
        if (!t) throw new Error(`BUG: Squawk reported a file it was not given: ${v.file}`);
        if (rules.exclude.includes(v.rule)) continue;
        findings.push(toFinding(v, t, mapFor(t), severity(v.rule)));
      }
    }
    if (!rules.exclude.includes('squawk-transaction-comment')) {
      for (const t of input.targets) {
        for (const c of transactionComments(t.sql, t.transactional)) {
          const start = mapFor(t).atOffset(c.start);
          const end = mapFor(t).atOffset(c.end);
          findings.push({
            file: t.file,
            version: t.version,
            line: start.line,
            column: start.column,
            endLine: end.line,
            endColumn: end.column,
            rule: 'squawk-transaction-comment',
            severity: severity('squawk-transaction-comment'),
            message: c.message,
            help: 'Remove the comment: schemagate tells Squawk how each file runs.',
            note: undefined,
            url: undefined,
          });
        }
      }
    }
    const order = new Map(input.targets.map((t, i) => [t.file, i]));
    findings.sort(
      (a, b) =>
        (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) ||
        a.line - b.line ||
        a.column - b.column ||
        cmp(a.rule, b.rule),
    );
    const errors = findings.filter((f) => f.severity === 'error').length;
    return { squawk: { version, path: bin.path }, files, findings, errors, warnings: findings.length - errors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toFinding(v: SquawkViolation, t: LintTarget, map: SourceMap, severity: Severity): Finding {
  const start = map.at(v.line, v.column);
  const end = map.at(v.lineEnd, v.columnEnd);
  return {
    file: t.file,
    version: t.version,
    line: start.line,
    column: start.column,
    endLine: end.line,
    endColumn: end.column,
    rule: v.rule,
    severity,
    message: v.message,
    help: v.help,
    note: TIMEOUT_NOTES[v.rule],
    url: v.rule === 'syntax-error' ? undefined : `https://squawkhq.com/docs/${v.rule}`,
  };
}
