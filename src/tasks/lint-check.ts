import type { Config } from '../config/types.js';
import { isSchemagateError } from '../errors.js';
import type { Check } from './check.js';
import { formatFinding, describeScope, summary } from '../lint/report.js';
import { runLint } from '../lint/run.js';

/**
 * The lint line of `schemagate check`: no database (check changes and
 * connects to nothing without --cluster), so the migrations after
 * lint.since, or all of them. Every finding is listed under the line; an
 * error finding fails it.
 */
export async function lintCheck(config: Config, signal?: AbortSignal): Promise<Check> {
  const m = config.migrations;
  try {
    const r = await runLint({
      config,
      migrationsDir: m.dir,
      settings: {
        lockTimeoutMs: m.lockTimeoutMs,
        lockRetries: m.lockRetries,
        statementTimeoutMs: m.statementTimeoutMs,
      },
      scope: { kind: 'offline' },
      pgVersion: undefined,
      signal,
    });
    const findings = r.findings.map((f) => formatFinding(f, undefined, undefined, true));
    return {
      name: 'lint',
      ok: r.errors === 0,
      detail: [`${summary(r)}: ${describeScope(r)}`, ...findings].join('\n'),
      ...(r.errors > 0
        ? {
            hint: 'Make the migration safe for a live database (each finding says how), or, after checking, list the rule in lint.warn or lint.exclude; `schemagate lint` shows the code.',
          }
        : {}),
    };
  } catch (e) {
    return { name: 'lint', ok: false, detail: (e as Error).message, hint: isSchemagateError(e) ? e.hint : undefined };
  }
}
