/**
 * `schemagate render --for TOOL [--out DIR]`: what the Tiltfile deploys
 * (tilt, JSON on stdout) or what a shared cluster's deployment tool applies
 * (argocd, flux: YAML on stdout or a folder; helm, kustomize: a folder).
 * Warnings and the next steps (the Secrets to create) go to stderr, so that
 * stdout stays what a pipe applies.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ExitCode, UsageError } from '../errors.js';
import { str } from './args.js';
import type { CommandContext } from './db.js';
import { configFrom } from './engine-options.js';

const TOOLS = ['tilt', 'argocd', 'flux', 'helm', 'kustomize'] as const;
type Tool = (typeof TOOLS)[number];

async function renderer(tool: Exclude<Tool, 'tilt'>) {
  switch (tool) {
    case 'argocd':
      return (await import('../kube/render/argocd.js')).renderForArgoCd;
    case 'flux':
      return (await import('../kube/render/flux.js')).renderForFlux;
    case 'helm':
      return (await import('../kube/render/helm.js')).renderForHelm;
    case 'kustomize':
      return (await import('../kube/render/kustomize.js')).renderForKustomize;
  }
}

/** `--out`'s folder as the examples name it: relative to the project when it is inside it. */
function shownDir(root: string, out: string): string {
  const rel = relative(root, out);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : out;
}

export async function renderFor(c: CommandContext, target: string): Promise<ExitCode> {
  if (!(TOOLS as readonly string[]).includes(target))
    throw new UsageError(`--for ${target}: expected one of ${TOOLS.join(', ')}`);
  const tool = target as Tool;
  const config = configFrom(c.args, c.env);
  if (tool === 'tilt') {
    const { renderForTilt } = await import('../kube/render/tilt.js');
    // What the Tiltfile reads with decode_json(local(...)): one JSON document, whatever --json says.
    process.stdout.write(`${JSON.stringify(renderForTilt(config))}\n`);
    return ExitCode.ok;
  }
  const outArg = str(c.args, 'out');
  if (outArg === undefined && (tool === 'helm' || tool === 'kustomize'))
    throw new UsageError(
      `--for ${tool} writes a folder: --out DIR is required`,
      `e.g. schemagate render --for ${tool} --out deploy/${tool} --image registry.example.com/app:1.4.2`,
    );
  const out = outArg === undefined ? undefined : resolve(outArg);
  const { renderInputs } = await import('../tasks/render-inputs.js');
  const render = await renderer(tool);
  const result = render(config, {
    image: str(c.args, 'image') ?? config.kubernetes.image,
    namespace: str(c.args, 'namespace') ?? config.kubernetes.namespace,
    ...renderInputs(config),
    ...(out ? { outDir: shownDir(config.root, out) } : {}),
  });
  for (const w of result.warnings) c.out.warn(w);
  if (out) {
    for (const [file, text] of Object.entries(result.files)) {
      const path = join(out, file);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
    c.out.progress(`wrote ${Object.keys(result.files).sort().join(', ')} under ${outArg ?? ''}`);
  } else process.stdout.write(result.stdout ?? '');
  for (const line of ['next:', ...result.next.map((n) => `  ${n}`)]) c.out.progress(line);
  return ExitCode.ok;
}
