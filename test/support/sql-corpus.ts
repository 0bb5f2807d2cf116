import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { generateMigrations, sqlText } from '../../bench/generate.js';
import { repoRoot } from './cli.js';

/**
 * Every migration the tests have, as text: the repository's `.sql` files,
 * the benchmark's generated migrations, and the SQL written by test files
 * (values of `'...sql'` keys in a project's files, the text argument of a
 * call that names a `.sql` file, and the input of every splitter test),
 * read from the tests' source with TypeScript's parser. A value built from
 * constants of the same file (`USERS`, `BROKEN.replace(...)`, `A + B`, a
 * template of such) is evaluated; anything else is counted as skipped.
 */
export interface CorpusEntry {
  /** Where it comes from: `test/unit/x.test.ts:123` or a file path. */
  source: string;
  sql: string;
}

function walk(dir: string, pick: (path: string) => boolean, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, pick, out);
    else if (pick(path)) out.push(path);
  }
  return out;
}

type Env = Map<string, ts.Expression>;

/** The string an expression always evaluates to, when it is built from literals and same-file constants. */
function evaluate(e: ts.Expression, env: Env, depth = 0): string | undefined {
  if (depth > 20) return undefined;
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  if (ts.isParenthesizedExpression(e)) return evaluate(e.expression, env, depth + 1);
  if (ts.isIdentifier(e)) {
    const init = env.get(e.text);
    return init ? evaluate(init, env, depth + 1) : undefined;
  }
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const l = evaluate(e.left, env, depth + 1);
    const r = evaluate(e.right, env, depth + 1);
    return l !== undefined && r !== undefined ? l + r : undefined;
  }
  if (ts.isTemplateExpression(e)) {
    let text = e.head.text;
    for (const span of e.templateSpans) {
      const v = evaluate(span.expression, env, depth + 1);
      if (v === undefined) return undefined;
      text += v + span.literal.text;
    }
    return text;
  }
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression)) {
    const target = evaluate(e.expression.expression, env, depth + 1);
    const args = e.arguments.map((a) => evaluate(a, env, depth + 1));
    if (target === undefined || args.some((a) => a === undefined)) return undefined;
    const [a, b] = args as string[];
    switch (e.expression.name.text) {
      case 'replace':
        return target.replace(a!, b!);
      case 'replaceAll':
        return target.replaceAll(a!, b!);
      case 'repeat':
        return undefined;
      case 'trim':
        return target.trim();
    }
  }
  return undefined;
}

/** Names a `.sql` file: a key or an argument like `'migrations/001_x.sql'`. */
function namesSqlFile(e: ts.Node): boolean {
  return (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) && /\.sql$/i.test(e.text);
}

const SPLITTER_CALLS = new Set(['splitStatements', 'texts', 'analyze', 'splitDbmate']);

export function testSqlTexts(): { entries: CorpusEntry[]; skipped: string[] } {
  const entries: CorpusEntry[] = [];
  const skipped: string[] = [];
  const files = walk(join(repoRoot, 'test'), (p) => p.endsWith('.ts'));
  for (const path of files) {
    const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
    const env: Env = new Map();
    const collectConsts = (n: ts.Node): void => {
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer) env.set(n.name.text, n.initializer);
      ts.forEachChild(n, collectConsts);
    };
    collectConsts(source);
    const where = (n: ts.Node) =>
      `${relative(repoRoot, path)}:${source.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
    const take = (value: ts.Expression) => {
      const sql = evaluate(value, env);
      if (sql === undefined) skipped.push(where(value));
      else entries.push({ source: where(value), sql });
    };
    const visit = (n: ts.Node): void => {
      if (ts.isPropertyAssignment(n) && namesSqlFile(n.name)) take(n.initializer);
      else if (ts.isCallExpression(n)) {
        const callee = ts.isIdentifier(n.expression)
          ? n.expression.text
          : ts.isPropertyAccessExpression(n.expression)
            ? n.expression.name.text
            : '';
        const last = n.arguments.at(-1);
        if (SPLITTER_CALLS.has(callee) && n.arguments[0]) {
          const arg = n.arguments[0];
          // analyze({ file, version, sql }) takes an object.
          if (ts.isObjectLiteralExpression(arg)) {
            const sql = arg.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === 'sql');
            if (sql && ts.isPropertyAssignment(sql)) take(sql.initializer);
          } else take(arg);
        } else if (last && n.arguments.length >= 2 && n.arguments.slice(0, -1).some(containsSqlName)) take(last);
      }
      ts.forEachChild(n, visit);
    };
    visit(source);
  }
  return { entries, skipped };
}

function containsSqlName(n: ts.Node): boolean {
  if (namesSqlFile(n)) return true;
  let found = false;
  ts.forEachChild(n, (c) => {
    found ||= containsSqlName(c);
  });
  return found;
}

/** The whole corpus: repository files, the benchmark's migrations, the tests' SQL. */
export function sqlCorpus(): { entries: CorpusEntry[]; skipped: string[] } {
  const files = walk(repoRoot, (p) => p.endsWith('.sql')).map((p) => ({
    source: relative(repoRoot, p),
    sql: readFileSync(p, 'utf8'),
  }));
  const bench = generateMigrations(300).map((m, i) => ({
    source: `bench/generate.ts migration ${i + 1}`,
    sql: sqlText(m),
  }));
  const tests = testSqlTexts();
  return { entries: [...files, ...bench, ...tests.entries], skipped: tests.skipped };
}
