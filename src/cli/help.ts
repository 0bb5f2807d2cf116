import { commonOptions, optionRows, type Options } from './args.js';
import { groups, topCommands, type Group } from './commands.js';
import type { DbCommand } from './db.js';

/** The first sentence of a summary: what a listing of commands shows. */
function firstSentence(summary: string): string {
  const first = /^(.*?[.!?])(?:\s|$)/.exec(summary)?.[1] ?? summary;
  return first.replace(/\.$/, '');
}

function examplesBlock(examples: readonly string[]): string[] {
  return examples.length ? ['', 'Examples:', ...examples.map((e) => `  ${e}`)] : [];
}

/** `schemagate --help`: every command of every level, from the command table. */
export async function mainHelp(): Promise<string> {
  const lines = [
    "schemagate: gate an application's release on its PostgreSQL schema.",
    '',
    'Usage: schemagate <command> [flags]',
    ...Object.keys(groups).map((g) => `       schemagate ${g} <command> [flags]`),
    '       schemagate help [<command>]',
    '',
    'Commands:',
    ...Object.entries(topCommands).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`),
  ];
  for (const [name, group] of Object.entries(groups)) {
    const commands = await group.load();
    const width = Math.max(...Object.keys(commands).map((n) => n.length)) + name.length + 1;
    lines.push('', group.summary);
    for (const [n, c] of Object.entries(commands))
      lines.push(`  ${`${name} ${n}`.padEnd(width)}  ${firstSentence(c.summary)}`);
  }
  lines.push(
    '',
    'Flags every command takes:',
    ...optionRows(commonOptions),
    ...examplesBlock([
      'schemagate up --local --keep        # the sample app on an embedded PostgreSQL, left running',
      'schemagate new add_user_notes       # the next migration file, in the folder’s layout',
      'schemagate db migrate --local       # apply it',
    ]),
    '',
    'Run `schemagate help <command>` (or `schemagate <command> --help`) for its flags and examples.',
    'Progress goes to stderr, results to stdout. Exit codes: see the README ("Exit codes").',
  );
  return lines.join('\n') + '\n';
}

/** `schemagate db --help`: the group's commands, its shared flags, examples. */
export function groupHelp(name: string, group: Group, commands: Record<string, DbCommand>): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const aliases = Object.entries(group.aliases);
  const lines = [
    `Usage: schemagate ${name} <command> [flags]`,
    '',
    group.summary,
    '',
    'Commands:',
    ...Object.entries(commands).map(([n, c]) => `  ${n.padEnd(width)}  ${firstSentence(c.summary)}`),
    ...(aliases.length ? ['', `Aliases: ${aliases.map(([a, t]) => `${name} ${a} = ${name} ${t}`).join(', ')}`] : []),
    '',
    `Flags every ${name} command takes:`,
    ...optionRows(group.options),
    ...examplesBlock(group.examples),
    '',
    `Run \`schemagate ${name} <command> --help\` (or \`schemagate help ${name} <command>\`) for its flags and examples.`,
  ];
  return lines.join('\n') + '\n';
}

/** `schemagate db migrate --help`: usage, what it does, its own flags, then the ones it shares, examples. */
export function commandHelp(
  cmd: DbCommand,
  shared: { title: string; options: Options }[],
  examples: readonly string[],
): string {
  const own = Object.keys(cmd.options).length ? ['', 'Flags:', ...optionRows(cmd.options)] : [];
  const rest = shared
    .filter((s) => Object.keys(s.options).length)
    .flatMap((s) => ['', `${s.title}:`, ...optionRows(s.options)]);
  return [`Usage: ${cmd.usage}`, '', cmd.summary, ...own, ...rest, ...examplesBlock(examples)].join('\n') + '\n';
}
