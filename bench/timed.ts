import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** One child process, timed from just before spawn to its exit (not to the close of its pipes). */
export interface Timed {
  ms: number;
  /** Epoch milliseconds just before spawn, to line up with a probe's timestamps. */
  spawnedAt: number;
  exitedAt: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

export class ChildFailed extends Error {
  override readonly name = 'ChildFailed';
  constructor(
    readonly what: string,
    readonly result: Timed,
  ) {
    super(
      `bench: ${what} exited with ${result.signal ?? `code ${result.code}`} after ${Math.round(result.ms)} ms; its last output:\n${result.output.slice(-3000)}`,
    );
  }
}

/** Keeps the last `max` characters of a stream, so a chatty tool cannot fill memory. */
function tail(max: number) {
  let text = '';
  return {
    add: (chunk: Buffer) => {
      text = (text + chunk.toString('utf8')).slice(-max);
    },
    get text() {
      return text;
    },
  };
}

/**
 * Runs `command` as a whole process and times it. It runs in its own process
 * group, so a timeout kills whatever it started too (a shell loop's psql).
 */
export function timed(
  what: string,
  command: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const out = tail(8000);
    const spawnedAt = performance.timeOrigin + performance.now();
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout.on('data', out.add);
    child.stderr.on('data', out.add);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // It exited between the deadline and the kill.
        }
      }
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`bench: could not start ${what} (${command}): ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const exitedAt = performance.timeOrigin + performance.now();
      clearTimeout(timer);
      // Let the pipes drain so the output is complete when it is reported.
      child.on('close', () => {
        const result: Timed = { ms, spawnedAt, exitedAt, code, signal, output: out.text };
        if (timedOut) reject(new ChildFailed(`${what} (timed out after ${opts.timeoutMs} ms)`, result));
        else if (code !== 0) reject(new ChildFailed(what, result));
        else resolve(result);
      });
    });
  });
}
