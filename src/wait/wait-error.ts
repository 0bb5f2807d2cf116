/** The failure of a wait: every target that did not answer, with what it tried and its last error. */
import { formatDuration } from '../util/time.js';
import { ExitCode, SchemagateError } from '../errors.js';
import type { TargetResult } from './run.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Some targets did not answer (or one refused for good): each is named with its last error. */
export class WaitError extends SchemagateError {
  override readonly name = 'WaitError';
  readonly results: readonly TargetResult[];
  constructor(results: readonly TargetResult[], timeoutMs: number, timeoutSetting = '--timeout') {
    const failed = results.filter((r) => !r.ok);
    const refused = failed.find((r) => r.permanent);
    const line = (r: TargetResult) =>
      r.ok
        ? `  ready: ${r.target}`
        : `  ${r.target} (${plural(r.attempts, 'attempt')}): ${r.action}: ${r.error ?? 'no answer yet'}${r === refused ? '' : refused ? ' (stopped waiting)' : ''}`;
    const message = refused
      ? `${refused.target}: ${refused.action}: ${refused.error} (waiting cannot fix this: stopped at once)${
          results.length > 1
            ? `\n${results
                .filter((r) => r !== refused)
                .map(line)
                .join('\n')}`
            : ''
        }`
      : `${failed.length} of ${plural(results.length, 'target')} did not answer within ${formatDuration(timeoutMs)}:\n${results.map(line).join('\n')}`;
    super(refused ? 'wait.refused' : 'wait.timeout', message, {
      exitCode: ExitCode.connection,
      hint:
        refused?.hint ??
        `${failed.find((r) => r.hint)?.hint ?? 'Check that each is running and reachable from here (host, port, Service name).'} If it is still starting, give it longer with ${timeoutSetting}.`,
      context: { object: failed.map((r) => r.target).join(', ') },
    });
    this.results = results;
  }

  override toJSON(): Record<string, unknown> {
    return { ok: false, ...super.toJSON(), targets: this.results };
  }
}
