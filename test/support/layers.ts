/**
 * The direction of imports in src/, checked from the source text: every file
 * belongs to a layer; a file imports only its own layer or lower ones (types
 * too), so no two folders import each other; and nothing the engine loads at
 * run time loads @kubernetes/client-node (pods start without it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import ts from 'typescript';

/** Lowest first. Layers of the same rank (engine and kube; backend and tasks) may not import each other. */
export const LAYERS: readonly { name: string; rank: number; files: RegExp }[] = [
  { name: 'util', rank: 0, files: /^src\/(util\/.*|errors\.ts|redact\.ts)$/ },
  { name: 'config', rank: 1, files: /^src\/config\// },
  { name: 'engine', rank: 2, files: /^src\/engine\// },
  { name: 'kube', rank: 2, files: /^src\/kube\// },
  // The lint gate reads migrations as the engine does and runs Squawk; tasks (check) and the CLI use it.
  { name: 'lint', rank: 3, files: /^src\/lint\// },
  // `schemagate wait`: probes for TCP, HTTP, Redis and PostgreSQL (the last through the engine's own wait).
  { name: 'wait', rank: 3, files: /^src\/wait\// },
  { name: 'backend', rank: 4, files: /^src\/backend\// },
  { name: 'tasks', rank: 4, files: /^src\/tasks\// },
  { name: 'api', rank: 5, files: /^src\/(api\/.*|index\.ts)$/ },
  { name: 'cli', rank: 6, files: /^src\/(cli\/.*|cli\.ts)$/ },
];

const CLIENT_NODE = '@kubernetes/client-node';

interface Import {
  target: string;
  /** Erased at compile time (`import type`, `export type`, `typeof import()`). */
  typeOnly: boolean;
}

function layerOf(file: string) {
  return LAYERS.find((l) => l.files.test(file));
}

/** The imports of a file: repo-relative `src/...ts` paths for relative specifiers, the bare name otherwise. */
export function importsOf(file: string, text: string): Import[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const add = (spec: string, typeOnly: boolean) => {
    const target = spec.startsWith('.') ? posix.join(posix.dirname(file), spec).replace(/\.js$/, '.ts') : spec;
    found.push({ target, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier))
      add(node.moduleSpecifier.text, node.importClause?.phaseModifier === ts.SyntaxKind.TypeKeyword);
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier))
      add(node.moduleSpecifier.text, node.isTypeOnly);
    else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    )
      add(node.arguments[0].text, false);
    else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    )
      add(node.argument.literal.text, true);
    // The bundled client-node is loaded by URL (src/kube/client.ts): a module naming it loads client-node.
    else if (ts.isStringLiteral(node) && /vendor\/client-node\.js$/.test(node.text)) add(CLIENT_NODE, false);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every violation of the rules above in `files` (repo-relative path -> source text), one line each. */
export function checkLayers(files: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const graph = new Map<string, Import[]>();
  for (const [file, text] of files) {
    const layer = layerOf(file);
    if (!layer) {
      problems.push(`${file} is in no layer: add its folder to LAYERS in test/support/layers.ts`);
      continue;
    }
    const imports = importsOf(file, text);
    graph.set(file, imports);
    for (const { target } of imports) {
      if (!target.startsWith('src/')) continue;
      const to = layerOf(target);
      if (!to || to === layer) continue;
      if (to.rank >= layer.rank)
        problems.push(
          `${file} imports ${target}: ${layer.name} (layer ${layer.rank}) may not import ${to.name} (layer ${to.rank})`,
        );
    }
  }
  // What the engine loads at run time, transitively: never client-node.
  for (const start of [...graph.keys()].filter((f) => layerOf(f)?.name === 'engine')) {
    const path = loadsClientNode(start, graph, new Set());
    if (path) problems.push(`${start} loads ${CLIENT_NODE} at run time: ${[start, ...path].join(' -> ')}`);
  }
  return problems;
}

function loadsClientNode(file: string, graph: ReadonlyMap<string, Import[]>, seen: Set<string>): string[] | undefined {
  if (seen.has(file)) return undefined;
  seen.add(file);
  for (const { target, typeOnly } of graph.get(file) ?? []) {
    if (typeOnly) continue;
    if (target === CLIENT_NODE || target.startsWith(`${CLIENT_NODE}/`)) return [target];
    const rest = graph.has(target) ? loadsClientNode(target, graph, seen) : undefined;
    if (rest) return [target, ...rest];
  }
  return undefined;
}

/** Every .ts file under src/ of the repository at `root`. */
export function sourceFiles(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts'))
        files.set(relative(root, path).split('\\').join('/'), readFileSync(path, 'utf8'));
    }
  };
  walk(join(root, 'src'));
  return files;
}

export const repoRoot = join(dirname(new URL(import.meta.url).pathname), '..', '..');
