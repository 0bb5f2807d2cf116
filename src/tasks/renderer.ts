import { ListrLogger, ProcessOutput } from 'listr2';
import type { Output } from '../util/output.js';

/**
 * listr2's renderer by environment (STYLE 18): the live renderer in a
 * terminal, plain lines in CI or when output is not a TTY, nothing with
 * --json or --quiet. Colour follows NO_COLOR (listr2 reads it too).
 */
export function rendererFor(out: Output, env: NodeJS.ProcessEnv = process.env): 'default' | 'simple' | 'silent' {
  if (out.json || out.quiet) return 'silent';
  if (env.CI || !process.stderr.isTTY || env.TERM === 'dumb') return 'simple';
  return 'default';
}

// Select Graphic Rendition: the colour and style codes, not the cursor movements of the live renderer.
// eslint-disable-next-line no-control-regex -- ESC (\x1b) is what starts the codes this removes
const SGR = /\x1b\[[0-9;]*m/g;

/**
 * A stream that writes to `stream` without colour codes. listr2 picks its
 * colours from stdout and the CI variable, so plain lines on stderr (a file,
 * a pipe) would otherwise carry escape codes nobody asked for.
 */
function withoutColour(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const plain = Object.create(stream) as NodeJS.WriteStream;
  Object.defineProperty(plain, 'write', {
    value: (chunk: unknown, ...rest: unknown[]) =>
      write(typeof chunk === 'string' ? chunk.replace(SGR, '') : chunk, ...rest),
    writable: true,
    enumerable: true,
  });
  return plain;
}

/**
 * Where listr2 writes: stderr, for both of its streams. Progress is never a
 * result, so a command's stdout holds only what it reports at the end (or
 * its --json document), whatever the renderer.
 */
export function progressOutput(out: Output, env: NodeJS.ProcessEnv = process.env): ProcessOutput {
  const stream = rendererFor(out, env) === 'default' || out.color ? process.stderr : withoutColour(process.stderr);
  return new ProcessOutput(stream, stream, { dump: ['stdout', 'stderr'], leaveEmptyLine: false });
}

/** listr2's renderer options that send its lines through `progressOutput` (the live and the plain renderer alike). */
export function progressRendererOptions(out: Output, env: NodeJS.ProcessEnv = process.env) {
  const logger = new ListrLogger({ useIcons: true, processOutput: progressOutput(out, env) });
  return { renderer: rendererFor(out, env), logger };
}
