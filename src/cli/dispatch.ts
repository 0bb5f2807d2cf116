import { ExitCode, UsageError } from '../errors.js';
import { didYouMean } from '../util/did-you-mean.js';
import { commonOptions, localOptions, type Options } from './args.js';
import { canonical, groups, topCommands } from './commands.js';
import type { DbCommand } from './db.js';
import { commandHelp, groupHelp, mainHelp } from './help.js';

/** What a command line asks for: help text, the version, or a command to run with its flags. */
export type Resolved =
  | { kind: 'help'; text: string; stream: 'stdout' | 'stderr'; exitCode: ExitCode }
  | { kind: 'version' }
  | {
      kind: 'run';
      /** `db migrate`, `up`, `local start`. */
      name: string;
      group: string | undefined;
      cmd: DbCommand;
      /** Every flag the parser accepts for it: common, the group's, the command's own. */
      options: Options;
      argv: string[];
      /** The dispatcher runs it against the embedded PostgreSQL when `--local` is given. */
      local: boolean;
    };

const HELP = new Set(['--help', '-h']);

function unknownTop(name: string): UsageError {
  const guess = didYouMean(name, [...Object.keys(topCommands), ...Object.keys(groups)]);
  return new UsageError(
    `unknown command "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}`,
    'Run `schemagate --help` for the list of commands.',
  );
}

async function topCommand(name: string) {
  const entry = Object.hasOwn(topCommands, name) ? topCommands[name] : undefined;
  if (entry === undefined) throw unknownTop(name);
  const cmd = await entry.load();
  const options = { ...commonOptions, ...(entry.local ? localOptions : {}), ...cmd.options };
  const help = () =>
    commandHelp(
      cmd,
      [
        ...(entry.local ? [{ title: 'With --local', options: localOptions }] : []),
        { title: 'Flags every command takes', options: commonOptions },
      ],
      cmd.examples ?? entry.examples,
    );
  return { entry, cmd, options, help };
}

/** A group with its commands loaded. */
async function groupOf(group: string) {
  const g = Object.hasOwn(groups, group) ? groups[group] : undefined;
  if (g === undefined) throw unknownTop(group);
  return { g, commands: await g.load() };
}

/** A command of a group (an alias names the command it stands for). */
async function groupCommand(group: string, sub: string) {
  const { g, commands } = await groupOf(group);
  const name = canonical(g, commands, sub);
  const cmd = name === undefined ? undefined : commands[name];
  if (name === undefined || cmd === undefined) {
    const guess = didYouMean(sub, [...Object.keys(commands), ...Object.keys(g.aliases)]);
    throw new UsageError(
      `unknown command "${group} ${sub}"${guess ? ` (did you mean "${group} ${guess}"?)` : ''}`,
      `Run \`schemagate ${group} --help\` for the list: ${Object.keys(commands).join(', ')}.`,
    );
  }
  const options = { ...commonOptions, ...(cmd.offline ? {} : g.options), ...cmd.options };
  const help = () =>
    commandHelp(
      cmd,
      [
        ...(cmd.offline ? [] : [{ title: `Flags every ${group} command takes`, options: g.options }]),
        { title: 'Flags every command takes', options: commonOptions },
      ],
      cmd.examples ?? [],
    );
  return { name, cmd, options, help };
}

/** `help`, `help up`, `help db`, `help db migrate`. */
async function helpFor(topic: string[]): Promise<string> {
  const [first, second, ...rest] = topic;
  if (first === undefined) return mainHelp();
  if (Object.hasOwn(groups, first)) {
    if (second === undefined) {
      const { g, commands } = await groupOf(first);
      return groupHelp(first, g, commands);
    }
    if (rest.length)
      throw new UsageError(`help: unexpected "${rest.join(' ')}"`, `Try \`schemagate help ${first} ${second}\`.`);
    return (await groupCommand(first, second)).help();
  }
  if (second !== undefined)
    throw new UsageError(`help: "${first}" has no subcommands`, `Try \`schemagate help ${first}\`.`);
  return (await topCommand(first)).help();
}

/** Turns the command line into what to do; throws a UsageError for what names nothing. */
export async function resolveCommand(argv: readonly string[]): Promise<Resolved> {
  const [first, ...rest] = argv;
  if (first === undefined) return { kind: 'help', text: await mainHelp(), stream: 'stderr', exitCode: ExitCode.usage };
  if (HELP.has(first)) return { kind: 'help', text: await mainHelp(), stream: 'stdout', exitCode: ExitCode.ok };
  if (first === 'help') return { kind: 'help', text: await helpFor(rest), stream: 'stdout', exitCode: ExitCode.ok };
  if (first === '--version' || first === 'version') return { kind: 'version' };

  if (Object.hasOwn(groups, first)) {
    const [sub, ...args] = rest;
    if (sub === undefined || HELP.has(sub) || sub === 'help') {
      if (sub === 'help' && args.length) {
        return { kind: 'help', text: await helpFor([first, ...args]), stream: 'stdout', exitCode: ExitCode.ok };
      }
      const { g, commands } = await groupOf(first);
      const text = groupHelp(first, g, commands);
      return sub === undefined
        ? { kind: 'help', text, stream: 'stderr', exitCode: ExitCode.usage }
        : { kind: 'help', text, stream: 'stdout', exitCode: ExitCode.ok };
    }
    const r = await groupCommand(first, sub);
    if (args.some((a) => HELP.has(a))) return { kind: 'help', text: r.help(), stream: 'stdout', exitCode: ExitCode.ok };
    return {
      kind: 'run',
      name: `${first} ${r.name}`,
      group: first,
      cmd: r.cmd,
      options: r.options,
      argv: args,
      local: first === 'db' && r.cmd.offline !== true,
    };
  }

  const t = await topCommand(first);
  if (rest.some((a) => HELP.has(a))) return { kind: 'help', text: t.help(), stream: 'stdout', exitCode: ExitCode.ok };
  return {
    kind: 'run',
    name: first,
    group: undefined,
    cmd: t.cmd,
    options: t.options,
    argv: rest,
    local: t.entry.local === true,
  };
}
