import type { ChildProcess } from 'node:child_process';

/**
 * Stops a process a test started, if it still runs, and resolves once it has
 * exited. A running ChildProcess has `exitCode` and `signalCode` null (not
 * undefined): a check for undefined never stops it.
 */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}
