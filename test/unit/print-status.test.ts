import { describe, expect, it } from 'vitest';
import type { Output } from '../../src/cli/output.js';
import { printStatus } from '../../src/cli/print-status.js';
import type { StatusReport } from '../../src/engine/status.js';

function capture(): { out: Output; lines: string[] } {
  const lines: string[] = [];
  const out: Output = {
    json: false,
    quiet: false,
    verbose: false,
    color: false,
    progress: () => undefined,
    debug: () => undefined,
    result: (l) => lines.push(...l.split('\n')),
    data: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    paint: (_s, t) => t,
  };
  return { out, lines };
}

const counts = { applied: 2, pending: 1, 'out-of-order': 0, changed: 0, missing: 0, failed: 0, baselined: 0 };

describe('db status: the table of migrations', () => {
  it('shows when each migration was applied and how long it took in two columns', () => {
    const { out, lines } = capture();
    printStatus(out, {
      database: 'postgres://app:***@localhost/app',
      historyTable: 'public.schemagate_migrations',
      current: '2',
      baseline: undefined,
      migrations: [
        {
          version: '1',
          state: 'applied',
          file: 'migrations/001_a.sql',
          appliedAt: '2025-03-07T09:05:30.123Z',
          executionTimeMs: 12,
        },
        {
          version: '2',
          state: 'applied',
          file: 'migrations/002_b.sql',
          appliedAt: '2025-03-07T09:05:31.000Z',
          executionTimeMs: 2500,
        },
        {
          version: '3',
          state: 'pending',
          file: 'migrations/003_c.sql',
          appliedAt: undefined,
          executionTimeMs: undefined,
        },
      ],
      seeds: [],
      counts,
    } as unknown as StatusReport);
    expect(lines.slice(4, 8)).toEqual([
      '  VERSION  STATE    APPLIED (UTC)        TOOK  FILE',
      '  1        applied  2025-03-07 09:05:30  12ms  migrations/001_a.sql',
      '  2        applied  2025-03-07 09:05:31  2.5s  migrations/002_b.sql',
      '  3        pending                             migrations/003_c.sql',
    ]);
  });
});
