import { describe, expect, it } from 'vitest';
import { parse } from '../../src/cli/args.js';
import { groups, topCommands } from '../../src/cli/commands.js';
import { resolveCommand } from '../../src/cli/dispatch.js';
import { thrownAsync } from '../support/thrown.js';

/** Every command line the parser knows: `up`, `db migrate`, `local start`, ... */
async function everyCommand(): Promise<string[][]> {
  const out: string[][] = Object.keys(topCommands).map((n) => [n]);
  for (const [g, group] of Object.entries(groups)) for (const n of Object.keys(await group.load())) out.push([g, n]);
  return out;
}

async function help(argv: string[]): Promise<string> {
  const r = await resolveCommand(argv);
  if (r.kind !== 'help') throw new Error(`${argv.join(' ')}: not help`);
  expect([r.stream, r.exitCode], argv.join(' ')).toEqual(['stdout', 0]);
  return r.text;
}

/** The `schemagate ...` part of an example line: after any `VAR=value`, before a pipe or `)`. */
function exampleArgv(line: string): string[] {
  const m = /schemagate ((?:[^|)#"']|"[^"]*"|'[^']*')*)/.exec(line);
  if (!m) throw new Error(`example without a schemagate command: ${line}`);
  const words = m[1]!.trim().match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
  return words.map((w) => w.replace(/^(["'])(.*)\1$/, '$2'));
}

describe('help at every level, from the command table the parser uses', () => {
  it('`help X`, `X --help` and `X -h` print the same text for every command, with usage, flags and examples', async () => {
    const commands = await everyCommand();
    expect(commands.length).toBeGreaterThan(25);
    for (const argv of commands) {
      const text = await help(['help', ...argv]);
      expect(await help([...argv, '--help'])).toBe(text);
      expect(await help([...argv, '-h'])).toBe(text);
      if (argv.length === 2) expect(await help([argv[0]!, 'help', argv[1]!])).toBe(text);
      expect(text, argv.join(' ')).toMatch(new RegExp(`^Usage: schemagate ${argv.join(' ')}\\b`));
      expect(text, argv.join(' ')).toMatch(/\nExamples:\n {2}\S/);
      expect(text).toContain('--help');
    }
  });

  it('every example parses with the flags of the command it shows, and names that command', async () => {
    let examples = 0;
    for (const argv of await everyCommand()) {
      const text = await help(['help', ...argv]);
      const lines = text
        .slice(text.indexOf('\nExamples:\n') + 11)
        .trimEnd()
        .split('\n');
      for (const line of lines) {
        const words = exampleArgv(line);
        const r = await resolveCommand(words);
        if (r.kind !== 'run') throw new Error(`${line}: does not run a command`);
        expect(r.name, line).toBe(argv.join(' '));
        expect(() => parse(r.argv, r.options, r.name, r.cmd.positionals), line).not.toThrow();
        examples++;
      }
    }
    expect(examples).toBeGreaterThan(50);
  });

  it('a group answers to --help, -h and help with its commands, aliases, shared flags and examples', async () => {
    for (const g of Object.keys(groups)) {
      const text = await help([g, '--help']);
      expect(await help([g, '-h'])).toBe(text);
      expect(await help([g, 'help'])).toBe(text);
      expect(await help(['help', g])).toBe(text);
      for (const n of Object.keys(await groups[g]!.load())) expect(text).toMatch(new RegExp(`\\n {2}${n} +\\S`));
    }
    const db = await help(['db', '--help']);
    expect(db).toContain('Aliases: db rollback = db down, db create = db new');
    expect(db).toContain('--database-url URL');
    expect(db).toContain('--local');
  });

  it('`schemagate --help` lists every command of every level', async () => {
    const text = await help(['--help']);
    expect(await help(['help'])).toBe(text);
    expect(await help(['-h'])).toBe(text);
    for (const argv of await everyCommand())
      expect(text, argv.join(' ')).toMatch(new RegExp(`\\n {2}${argv.join(' ')} +\\S`));
  });

  it('an alias shows the help of the command it names', async () => {
    expect(await help(['help', 'db', 'rollback'])).toBe(await help(['help', 'db', 'down']));
    expect(await help(['db', 'create', '--help'])).toBe(await help(['db', 'new', '--help']));
    const r = await resolveCommand(['db', 'rollback', '--steps', '2']);
    expect(r.kind === 'run' && [r.name, r.argv]).toEqual(['db down', ['--steps', '2']]);
  });

  it('a missing command prints the help on stderr and exits 2; an unknown topic is a usage error', async () => {
    for (const argv of [[], ['db'], ['local']]) {
      const r = await resolveCommand(argv);
      expect(r.kind === 'help' && [r.stream, r.exitCode], argv.join(' ')).toEqual(['stderr', 2]);
    }
    const e = await thrownAsync(() => resolveCommand(['help', 'migrat']));
    expect([e.exitCode, e.message, e.hint]).toEqual([
      2,
      'unknown command "migrat" (did you mean "migrate"?)',
      'Run `schemagate --help` for the list of commands.',
    ]);
    const d = await thrownAsync(() => resolveCommand(['db', 'help', 'rollbak']));
    expect(d.message).toBe('unknown command "db rollbak" (did you mean "db rollback"?)');
  });
});
