import { appendFileSync, chmodSync, cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, type CliResult, project, repoRoot } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { freshDatabase } from '../support/pg.js';

/**
 * Every command run with stdout and stderr apart, as a script or a pipe sees
 * them: results on stdout, progress on stderr, and no colour codes in either
 * when neither is a terminal, even without NO_COLOR and outside CI. The
 * cluster commands are checked the same way in test/e2e/streams.test.ts.
 */
let dir: string;
const ESC = '\x1b[';
// Neither NO_COLOR nor CI: the plain output must come from the pipes themselves.
const plainEnv = { NO_COLOR: undefined, CI: undefined, FORCE_COLOR: undefined };

function run(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return cli(args, { cwd: dir, env: { ...plainEnv, ...env }, timeout: 90_000 });
}

beforeAll(async () => {
  // lint.since as in the repository's own schemagate.yaml: the sample's first four migrations are in production.
  dir = project({
    'schemagate.yaml': `local:\n  port: ${await freePort()}\nverify:\n  tables: [users]\nlint:\n  since: 4\n`,
  });
  chmodSync(dir, 0o755);
  cpSync(join(repoRoot, 'migrations'), join(dir, 'migrations'), { recursive: true });
  cpSync(join(repoRoot, 'seeds'), join(dir, 'seeds'), { recursive: true });
}, 60_000);
afterAll(async () => {
  await cli(['local', 'stop', '--force'], { cwd: dir });
});

interface Case {
  args: string[];
  exitCode?: number;
  /** Lines that must be on stdout (and not on stderr). */
  stdout: (string | RegExp)[];
  /** Progress that must be on stderr (and not on stdout); `[]`: stderr stays empty. */
  stderr: (string | RegExp)[];
}

function has(text: string, what: string | RegExp): boolean {
  return typeof what === 'string' ? text.includes(what) : what.test(text);
}

function expectSplit(c: Case, r: CliResult): void {
  const name = c.args.join(' ');
  expect(r.exitCode, `${name}\n${r.all}`).toBe(c.exitCode ?? 0);
  for (const s of c.stdout) {
    expect(has(r.stdout, s), `${name}: stdout should have ${s}\nstdout:\n${r.stdout}`).toBe(true);
    expect(has(r.stderr, s), `${name}: stderr should not have ${s}\nstderr:\n${r.stderr}`).toBe(false);
  }
  for (const s of c.stderr) {
    expect(has(r.stderr, s), `${name}: stderr should have ${s}\nstderr:\n${r.stderr}`).toBe(true);
    expect(has(r.stdout, s), `${name}: stdout should not have ${s}\nstdout:\n${r.stdout}`).toBe(false);
  }
  if (c.stderr.length === 0) expect(r.stderr, name).toBe('');
  expect(r.stdout.includes(ESC) || r.stderr.includes(ESC), `${name}: colour codes in a pipe`).toBe(false);
}

const RUNNING = /the embedded PostgreSQL is already running on port \d+|using the embedded PostgreSQL already running/;

describe('results on stdout, progress on stderr, for every command', () => {
  it('the local database, new, check, render and help', async () => {
    const cases: Case[] = [
      { args: ['--help'], stdout: ['Usage: schemagate <command> [flags]'], stderr: [] },
      { args: ['db', '--help'], stdout: ['Usage: schemagate db <command> [flags]'], stderr: [] },
      {
        args: ['local', 'start'],
        stdout: [/started the embedded PostgreSQL on port \d+/],
        stderr: ['creating the embedded PostgreSQL in'],
      },
      { args: ['local', 'status'], stdout: [/^running on port \d+$/m], stderr: [] },
      { args: ['local', 'url'], stdout: [/^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/schemagate$/m], stderr: [] },
      {
        args: ['new', 'add_notes'],
        stdout: ['created migrations/005_add_notes.sql', 'created migrations/005_add_notes.down.sql'],
        stderr: ['schemagate layout, sequence numbers'],
      },
    ];
    for (const c of cases) expectSplit(c, await run(c.args));
    appendFileSync(join(dir, 'migrations/005_add_notes.sql'), 'CREATE TABLE notes (id int PRIMARY KEY, body text);\n');
    appendFileSync(join(dir, 'migrations/005_add_notes.down.sql'), 'DROP TABLE notes;\n');
    for (const c of [
      { args: ['check'], stdout: ['all 5 checks passed', 'migrations: 5 files parse'], stderr: [] },
      { args: ['render'], stdout: ['kind: Namespace'], stderr: [] },
    ] satisfies Case[])
      expectSplit(c, await run(c.args));
  });

  it('the --local pipeline and every db command', async () => {
    const cases: Case[] = [
      {
        args: ['db', 'plan', '--local'],
        exitCode: 7,
        stdout: ['-- schemagate plan: 5 migrations to apply'],
        stderr: [RUNNING],
      },
      {
        args: ['migrate', '--local'],
        stdout: [/^Applied 5 migrations/m, /^done in /m],
        stderr: [/✔ Applied 5 migrations/, 'applied migrations/001_create_users.sql'],
      },
      {
        args: ['seed', '--local'],
        stdout: [/^Seeds: 2 run, 0 unchanged$/m],
        stderr: ['seeded seeds/001_users.sql', '✔ Seeds: 2 run'],
      },
      { args: ['status', '--local'], stdout: ['5 applied, 0 pending', 'VERSION'], stderr: ['Read the status'] },
      { args: ['verify', '--local'], stdout: [/^Schema verified \(version 5/m], stderr: ['✔ Schema verified'] },
      { args: ['db', 'status', '--local'], stdout: ['5 applied, 0 pending'], stderr: [RUNNING] },
      {
        args: ['db', 'verify', '--local'],
        stdout: ['schema verified: version 5, 1 required table present'],
        stderr: [RUNNING],
      },
      { args: ['db', 'seed', '--local'], stdout: ['seeded 0 files, 2 unchanged'], stderr: [RUNNING] },
      {
        args: ['db', 'down', '--local'],
        stdout: ['reverted 1 migration; now at version 4'],
        stderr: [RUNNING, 'migrations/005_add_notes.down.sql'],
      },
      {
        args: ['db', 'migrate', '--local'],
        stdout: ['applied 1 migration; now at version 5'],
        stderr: [RUNNING, 'applied migrations/005_add_notes.sql'],
      },
      { args: ['db', 'repair', '--local'], stdout: ['nothing to repair'], stderr: [RUNNING] },
      {
        args: ['db', 'wait', '--local'],
        stdout: ['PostgreSQL is accepting connections (after 1 attempt)'],
        stderr: [RUNNING],
      },
      // Said once, as the result: not also as progress.
      { args: ['db', 'reset', '--local', '--yes'], stdout: ['reset: dropped and recreated public'], stderr: [RUNNING] },
      { args: ['reset', '--local', '--yes'], stdout: [/^Applied 5 migrations/m], stderr: ['Reset the schema'] },
      { args: ['up', '--local'], stdout: ['5 applied, 0 pending', /^done in /m], stderr: ['✔ Schema verified'] },
      {
        args: ['db', 'check', '--local'],
        stdout: [/^ok {4}revert all: 5 down scripts ran/m, /round trip clean/],
        stderr: [RUNNING],
      },
    ];
    for (const c of cases) expectSplit(c, await run(c.args));
    const baseline = await run(['db', 'baseline', '2', '--database-url', await freshDatabase()]);
    expectSplit(
      {
        args: ['db', 'baseline'],
        stdout: ['baselined at version 2 (2 migration files count as applied)'],
        stderr: ['baselined public.schemagate_migrations at version 2: 2 migration files count as applied'],
      },
      baseline,
    );
  }, 240_000);

  it('with --json, stdout is one JSON document and stderr stays empty', async () => {
    for (const args of [
      ['migrate', '--local'],
      ['status', '--local'],
      ['db', 'status', '--local'],
      ['db', 'plan', '--local'],
      ['db', 'verify', '--local'],
      ['db', 'migrate', '--local'],
      ['check'],
      ['render'],
      ['local', 'status'],
      ['local', 'url'],
      ['new', 'more_notes'],
    ]) {
      const r = await run([...args, '--json']);
      expect(r.exitCode, `${args.join(' ')}: ${r.all}`).toBe(0);
      const doc = JSON.parse(r.stdout) as { files?: string[] };
      expect(r.stderr, args.join(' ')).toBe('');
      // The empty migration `new` made would stop every later command.
      for (const f of doc.files ?? []) rmSync(join(dir, f));
    }
  }, 120_000);

  it('colours progress only when asked (FORCE_COLOR), never with NO_COLOR', async () => {
    const forced = await run(['status', '--local'], { FORCE_COLOR: '1' });
    expect(forced.stderr).toContain(ESC);
    const off = await run(['status', '--local'], { FORCE_COLOR: '1', NO_COLOR: '1' });
    expect(off.stderr + off.stdout).not.toContain(ESC);
    // In CI (not a terminal) the progress is plain lines without colour.
    const ci = await run(['status', '--local'], { CI: '1' });
    expect(ci.stderr).toMatch(/^✔ Read the status$/m);
    expect(ci.stderr + ci.stdout).not.toContain(ESC);
  }, 60_000);

  it('the local database stops with its own lines', async () => {
    expectSplit(
      {
        args: ['local', 'stop'],
        stdout: [/^stopped the embedded PostgreSQL on port \d+/],
        stderr: [/stopping the embedded PostgreSQL \(pid \d+/],
      },
      await run(['local', 'stop']),
    );
  });
});
