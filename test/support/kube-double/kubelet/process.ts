/**
 * One container run as a local process: the argv is command + args (no
 * shell, like a container runtime), stdout and stderr go to the run's log,
 * and the exit is reported as a container runtime reports it (128 + signal
 * number when killed, StartError with exit code 128 when it cannot start).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import type { ContainerRunLog } from './logs.js';

export type Exit =
  { kind: 'exited'; exitCode: number; signal?: number } | { kind: 'startError'; exitCode: 128; message: string };

export interface RunningProcess {
  readonly exited: Promise<Exit>;
  /** Signals the whole process group (a shell's children too). */
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

export function startProcess(
  argv: string[],
  cwd: string,
  env: Record<string, string>,
  log: ContainerRunLog,
): RunningProcess {
  const [file, ...args] = argv;
  const runtimeError = (detail: string): string =>
    `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${detail}: unknown`;
  if (!file) {
    log.finish();
    return {
      exited: Promise.resolve({ kind: 'startError', exitCode: 128, message: runtimeError('no command specified') }),
      kill: () => undefined,
    };
  }
  if (!existsSync(cwd)) {
    log.finish();
    const message = runtimeError(
      `error during container init: chdir to cwd ("${cwd}") set in config.json failed: no such file or directory`,
    );
    return { exited: Promise.resolve({ kind: 'startError', exitCode: 128, message }), kill: () => undefined };
  }
  let child: ChildProcess;
  const exited = new Promise<Exit>((resolve) => {
    child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => log.append('stdout', d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => log.append('stderr', d));
    let spawnError: NodeJS.ErrnoException | undefined;
    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err;
    });
    child.on('close', (code, signal) => {
      log.finish();
      if (spawnError && child.pid === undefined) {
        const detail =
          spawnError.code === 'ENOENT'
            ? `exec: "${file}": executable file not found in $PATH`
            : `exec: "${file}": ${spawnError.message}`;
        resolve({ kind: 'startError', exitCode: 128, message: runtimeError(detail) });
        return;
      }
      if (signal) {
        // os.constants.signals has this platform's signals only, whatever the type says.
        const signals: Partial<Record<NodeJS.Signals, number>> = constants.signals;
        const n = signals[signal] ?? 9;
        resolve({ kind: 'exited', exitCode: 128 + n, signal: n });
      } else resolve({ kind: 'exited', exitCode: code ?? 0 });
    });
  });
  return {
    exited,
    kill(signal) {
      const pid = child.pid;
      if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-pid, signal);
      } catch {
        try {
          child.kill(signal);
        } catch {
          // already gone
        }
      }
    },
  };
}
