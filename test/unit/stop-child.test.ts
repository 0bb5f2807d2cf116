import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { stopChild } from '../support/stop-child.js';

// The clean-up of e2e tests that start long-running processes (cluster:double, `schemagate up`).
describe('stopChild', () => {
  it('kills a child that still runs and resolves once it has exited', async () => {
    const child = execa(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { reject: false });
    await new Promise((resolve) => child.once('spawn', resolve));
    expect(child.exitCode).toBeNull();
    await stopChild(child);
    expect(child.signalCode).toBe('SIGKILL');
    expect((await child).isTerminated).toBe(true);
  });

  it('sends the signal it is given', async () => {
    const child = execa(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { reject: false });
    await new Promise((resolve) => child.once('spawn', resolve));
    await stopChild(child, 'SIGTERM');
    expect((await child).signal).toBe('SIGTERM');
  });

  it('leaves a child that has exited alone', async () => {
    const child = execa(process.execPath, ['-e', 'process.exitCode = 3'], { reject: false });
    expect((await child).exitCode).toBe(3);
    await stopChild(child);
    expect(child.signalCode).toBeNull();
  });
});
