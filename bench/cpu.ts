import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time, from /proc (Linux), to tell the client's work from the server's
 * and from waiting: on a shared machine, wall time moves with other people's
 * load, CPU time much less. Resolution is the kernel's clock tick (10 ms).
 */
const TICK_MS = 10;

/** utime, stime, cutime, cstime of a process, in ms; undefined if it is gone or /proc is missing. */
function times(pid: number | 'self'): { own: number; children: number; ppid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces: count from the closing parenthesis.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const n = (i: number) => Number(f[i - 3]) * TICK_MS;
  return { ppid: Number(f[1]), own: n(14) + n(15), children: n(16) + n(17) };
}

/** CPU of this process's waited-for children (and theirs): the tools it ran, once they have exited. */
export function childrenCpuMs(): number {
  return times('self')?.children ?? NaN;
}

/**
 * CPU of a PostgreSQL server on this machine: the postmaster, its live
 * processes, and the exited ones it has reaped (backends of finished runs).
 */
export function serverCpuMs(postmasterPid: number | undefined): number {
  if (postmasterPid === undefined) return NaN;
  const pm = times(postmasterPid);
  if (!pm) return NaN;
  let total = pm.own + pm.children;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const t = times(Number(name));
    if (t && t.ppid === postmasterPid) total += t.own;
  }
  return total;
}

/** The postmaster of the backend with this pid (the server is local when /proc has it). */
export function postmasterOf(backendPid: number): number | undefined {
  return times(backendPid)?.ppid;
}
