import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.js';
import { freePort } from '../support/net.js';

/**
 * README "Your first hour", run line by line on a fresh copy of the
 * repository: every file git would check out (the working tree's, so the
 * test sees uncommitted work too), nothing built, no `.schemagate/`. One
 * stand-in: `npm ci` links the repository's node_modules instead of
 * downloading them again (the test of `npm ci` itself is `.ci/run`).
 */
function readmeSteps(): string[] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const block = /<!-- first-hour -->\n```sh\n([\s\S]*?)```\n<!-- \/first-hour -->/.exec(readme);
  if (!block) throw new Error('README.md has no <!-- first-hour --> block');
  return block[1]!.split('\n').filter((l) => l.trim());
}

function freshCopy(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'schemagate-first-hour-')), 'schemagate');
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repoRoot,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    try {
      cpSync(join(repoRoot, f), join(dir, f));
    } catch (e) {
      // A file deleted in the working tree but still in the index is not in a fresh checkout either.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  // As root, PostgreSQL runs as the postgres user, which must be able to enter the folder.
  chmodSync(dirname(dir), 0o755);
  chmodSync(dir, 0o755);
  return dir;
}

const psqlInstalled = (() => {
  try {
    execFileSync('psql', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('README: your first hour', () => {
  it('from a fresh copy to a new migration applied, seen in psql, reverted and checked, in under ten commands', async () => {
    const steps = readmeSteps();
    expect(steps.length).toBeLessThan(10);
    expect(steps[0]).toMatch(/^npm ci && /);
    const dir = freshCopy();
    // The user's port may be taken on a shared machine: the copy's schemagate.yaml gets a free one.
    const yaml = join(dir, 'schemagate.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace(/^( {2}port: )54329$/m, `$1${await freePort()}`));
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));

    // One shell, as a person types them; a marker before each step splits the output.
    const script = [
      'set -e',
      ...steps.flatMap((line, i) => [
        `echo "::step ${i + 1}"; echo "::step ${i + 1}" >&2`,
        i === 0
          ? line.replace(/^npm ci && /, ': npm ci stands in: node_modules is linked && ')
          : // Without the PostgreSQL client (.ci/run installs it) the psql step cannot run here.
            !psqlInstalled && /local psql/.test(line)
            ? ': psql is not installed'
            : line,
      ]),
    ].join('\n');
    const r = await execa('bash', ['-O', 'expand_aliases', '-c', script], {
      cwd: dir,
      env: { NO_COLOR: '1', CI: '1', DATABASE_URL: undefined },
      reject: false,
      timeout: 300_000,
    });
    try {
      const out = (i: number) => r.stdout.split(/^::step \d+$/m)[i] ?? '';
      const all = `${r.stdout}\n${r.stderr}`;
      expect(r.exitCode, all).toBe(0);
      expect(out(2)).toMatch(/^the embedded PostgreSQL is running on port \d+:$/m);
      expect(out(3).trim()).toBe(
        'created migrations/005_add_user_notes.sql\ncreated migrations/005_add_user_notes.down.sql',
      );
      expect(out(5).trim()).toBe('applied 1 migration; now at version 5');
      if (psqlInstalled) expect(out(6)).toMatch(/Table "public\.user_notes"[\s\S]*body\s*\|\s*text/);
      expect(out(7).trim()).toBe('reverted 1 migration; now at version 4');
      expect(out(8)).toMatch(/round trip clean: every migration applied, reverted and applied again/);

      // What the prose under the block says: check names a typo where it is.
      const node = (args: string[]) =>
        execa(process.execPath, [join(dir, 'dist/src/cli.js'), ...args], {
          cwd: dir,
          reject: false,
          env: { NO_COLOR: '1' },
        });
      expect((await node(['check'])).exitCode).toBe(0);
      writeFileSync(join(dir, 'migrations/005_add_user_notes.sql'), 'CREATE TABLEE user_notes (id int);\n');
      const typo = await node(['check']);
      expect(typo.exitCode).toBe(4);
      expect(typo.stdout).toContain('migrations/005_add_user_notes.sql:1:8: syntax error at or near "TABLEE"');
    } finally {
      await execa(process.execPath, [join(dir, 'dist/src/cli.js'), 'local', 'stop', '--force'], {
        cwd: dir,
        reject: false,
      });
    }
  }, 360_000);
});
