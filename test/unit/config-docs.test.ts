import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSpec } from '../../src/config/schema.js';
import { keyRows } from '../../src/config/spec.js';

const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');

/** The rows of the table under "## Keys" in docs/configuration.md: key -> default (backticks removed). */
function documentedKeys(): Map<string, string> {
  const doc = read('docs/configuration.md');
  const section = doc.split(/^## /m).find((s) => s.startsWith('Keys\n'));
  if (!section) throw new Error('docs/configuration.md has no "## Keys" section');
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const m = /^\| `([^`]+)` \| ([^|]+) \| ([^|]+) \| (.+) \|$/.exec(line);
    if (!m) continue;
    const [, key = '', , defaultCell = '', description = ''] = m;
    expect(description.trim(), `${key} has a description`).not.toBe('');
    rows.set(key, defaultCell.replaceAll('`', '').trim());
  }
  return rows;
}

const validated = new Map(keyRows(configSpec).map((r) => [r.key, r.defaultText]));

describe('docs/configuration.md', () => {
  const documented = documentedKeys();

  it('documents every key the validator accepts', () => {
    expect([...validated.keys()].filter((k) => !documented.has(k))).toEqual([]);
  });

  it('documents no key the validator does not accept', () => {
    expect([...documented.keys()].filter((k) => !validated.has(k))).toEqual([]);
  });

  it('gives the same default as the validator for every key', () => {
    const differences = [...validated]
      .filter(([k, d]) => documented.get(k) !== d)
      .map(([k, d]) => `${k}: validator ${d}, doc ${documented.get(k)}`);
    expect(differences).toEqual([]);
  });
});

/** Every key path set in a YAML value, with list items as `[]`. */
function keyPaths(value: unknown, at = ''): string[] {
  if (Array.isArray(value))
    return value.flatMap((v) => (typeof v === 'object' && v !== null ? keyPaths(v, `${at}[]`) : []));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const path = at === '' ? k : `${at}.${k}`;
    const below = keyPaths(v, path);
    return below.length > 0 && !Array.isArray(v) ? below : [path, ...below];
  });
}

describe("the repository's schemagate.yaml", () => {
  const text = read('schemagate.yaml');

  it('shows every key, leaving only the keys without a default commented out', () => {
    const shown = new Set(keyPaths(parse(text)));
    expect([...validated.keys()].filter((k) => !shown.has(k))).toEqual([
      'database.url',
      'lint.pgVersion',
      'backend.dependencies[].password.env',
      'backend.dependencies[].password.secret.name',
      'backend.dependencies[].password.secret.key',
      'kubernetes.context',
      'kubernetes.timeout',
      'kubernetes.migration.resources.limits.cpu',
      'kubernetes.seed.resources.limits.cpu',
    ]);
    // The sample app's Redis needs no password: the password keys are shown in a commented example.
    for (const key of ['url', 'local', 'password', 'env', 'secret'])
      expect(text).toMatch(new RegExp(`^ {2}#\\s+(- )?${key}:( |$)`, 'm'));
    expect(text).toMatch(/^ {2}# url: /m);
    expect(text).toMatch(/^ {2}# context: /m);
    expect(text).toMatch(/^ {2}# timeout: /m);
    expect(text.match(/^ {8}# cpu: /gm)).toHaveLength(2);
  });
});
