/**
 * The `helm` binary cannot be installed on this machine (neither Debian nor
 * the npm registry ship it), so the chart's templates are rendered here by an
 * evaluator of exactly the Go-template actions `render --for helm` writes,
 * with Helm's semantics for them: `{{ .Values.a.b }}`, `{{ X | quote }}`,
 * `{{ .Release.Namespace }}` / `.Release.Name`, and `{{- toYaml X | nindent N }}`
 * (`{{-` trims the whitespace before it). Any other action throws, so a
 * template that needs real Helm fails the test instead of passing unread.
 * https://helm.sh/docs/chart_template_guide/function_list/ (quote, toYaml, nindent)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

export interface Release {
  name: string;
  namespace: string;
}

function lookup(path: string, scope: { Values: unknown; Release: Release }): unknown {
  const parts = path.replace(/^\./, '').split('.');
  let v: unknown = { Values: scope.Values, Release: { Name: scope.Release.name, Namespace: scope.Release.namespace } };
  for (const p of parts) {
    if (typeof v !== 'object' || v === null || !(p in v)) throw new Error(`${path}: no such value`);
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

function evaluate(action: string, scope: { Values: unknown; Release: Release }): string {
  let m = /^toYaml (\.[\w.]+) \| nindent (\d+)$/.exec(action);
  if (m) {
    const pad = ' '.repeat(Number(m[2]));
    const text = stringify(lookup(m[1]!, scope)).trimEnd();
    return `\n${text
      .split('\n')
      .map((l) => pad + l)
      .join('\n')}`;
  }
  m = /^(\.[\w.]+)( \| quote)?$/.exec(action);
  if (m) {
    const v = lookup(m[1]!, scope);
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw new Error(`${m[1]}: ${typeof v === 'object' ? 'an object' : typeof v} where a scalar was expected`);
    return m[2] ? JSON.stringify(String(v)) : String(v);
  }
  throw new Error(`{{ ${action} }}: not an action this evaluator knows (render --for helm writes no such action)`);
}

/** One template file's text, rendered with these values. */
export function renderTemplate(text: string, values: unknown, release: Release): string {
  return text.replace(/(\s*)\{\{(-?) (.+?) \}\}/g, (_all, space: string, trim: string, action: string) => {
    const out = evaluate(action, { Values: values, Release: release });
    return trim ? out : space + out;
  });
}

/** `helm template`: every file under templates/ (NOTES.txt aside), with values.yaml merged with `overrides`. */
export function helmTemplate(
  chartDir: string,
  files: readonly string[],
  release: Release,
  overrides: Record<string, unknown> = {},
): string {
  const values = deepMerge(parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as object, overrides);
  return files
    .filter((f) => f.startsWith('templates/') && f.endsWith('.yaml'))
    .map((f) => renderTemplate(readFileSync(join(chartDir, f), 'utf8'), values, release))
    .join('---\n');
}

function deepMerge(base: object, over: object): object {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over) as [string, unknown][]) {
    const b = out[k];
    out[k] =
      typeof v === 'object' && v !== null && !Array.isArray(v) && typeof b === 'object' && b !== null
        ? deepMerge(b, v)
        : v;
  }
  return out;
}
