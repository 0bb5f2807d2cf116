import { isSchemagateError } from '../errors.js';
import { redact, redactDeep } from '../redact.js';
import type { Output, Style } from '../util/output.js';

export type { Output, Style } from '../util/output.js';

/** The value as JSON would see it (toJSON applied, Dates as strings), so every string in it can be redacted. */
function toPlain(value: unknown): unknown {
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
}

const CODES: Record<Style, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  dim: [2, 22],
  bold: [1, 22],
};

// eslint-disable-next-line no-control-regex -- ESC begins the colour codes this removes.
const SGR = /\x1b\[[0-9;]*m/g;

/** The text without colour and style codes. */
function plain(text: string): string {
  return text.replace(SGR, '');
}

export function useColor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY && env.TERM !== 'dumb';
}

export function createOutput(opts: {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  env?: NodeJS.ProcessEnv;
}): Output {
  // Each stream has its own terminal (or not): a line is painted, then stripped where its stream shows no colour.
  const color = !opts.json && useColor(process.stderr, opts.env);
  const colorOut = !opts.json && useColor(process.stdout, opts.env);
  const paint = (style: Style, text: string) =>
    color || colorOut ? `\x1b[${CODES[style][0]}m${text}\x1b[${CODES[style][1]}m` : text;
  const err = (line: string) => process.stderr.write(`${redact(color ? line : plain(line))}\n`);
  return {
    json: opts.json,
    quiet: opts.quiet,
    verbose: opts.verbose,
    color,
    paint,
    progress: (line) => {
      if (!opts.quiet && !opts.json) err(line);
    },
    debug: (line) => {
      if (opts.verbose && !opts.json) err(paint('dim', line));
    },
    result: (line) => {
      if (!opts.json) process.stdout.write(`${redact(colorOut ? line : plain(line))}\n`);
    },
    data: (value) => {
      if (opts.json) process.stdout.write(`${JSON.stringify(redactDeep(toPlain(value)), null, 2)}\n`);
    },
    warn: (line) => {
      if (!opts.json) err(`${paint('yellow', 'warning:')} ${line}`);
    },
    error: (e) => {
      if (opts.json) {
        const body = isSchemagateError(e)
          ? e.toJSON()
          : { error: 'internal', message: e instanceof Error ? e.message : String(e), exitCode: 1 };
        process.stdout.write(`${JSON.stringify(redactDeep(body), null, 2)}\n`);
        return;
      }
      err(formatError(e, paint, opts.verbose));
    },
  };
}

export function formatError(
  e: unknown,
  paint: (s: Style, t: string) => string = (_s, t) => t,
  verbose = false,
): string {
  if (isSchemagateError(e)) {
    const se = e;
    let text = `${paint('red', 'error:')} ${se.message}`;
    if (se.hint) text += `\n${paint('bold', 'hint:')} ${se.hint}`;
    if (verbose && se.cause instanceof Error && se.cause.stack) text += `\n${paint('dim', se.cause.stack)}`;
    return text;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return `${paint('red', 'error:')} ${err.message}\n${paint('dim', 'This is a bug in schemagate; please report it with the output of --verbose.')}${verbose && err.stack ? `\n${err.stack}` : ''}`;
}
