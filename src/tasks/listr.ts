import { Listr, type ListrTaskWrapper } from 'listr2';
import type { Output } from '../util/output.js';
import { progressRendererOptions } from './renderer.js';

// listr2's wrapper is generic over its renderers; the steps only set `title` and `output`, which every renderer has.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Task<C> = ListrTaskWrapper<C, any, any>;
export interface Step<C> {
  title: string;
  task: (ctx: C, task: Task<C>) => Promise<void>;
}

/**
 * Runs the steps as a listr2 list. A failed step's line shows the first line
 * of its error only; the whole error (file:line:column, code frame, pod log,
 * hint) is thrown once, for the CLI to print after the list.
 */
export async function runSteps<C extends object>(out: Output, steps: Step<C>[], ctx: C): Promise<C> {
  let failure: unknown;
  // Progress goes to stderr, whichever renderer listr2 settles on; stdout is for results.
  const { renderer, logger } = progressRendererOptions(out);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as for Task above
  const list = new Listr<C, any, any>(
    steps.map((s) => ({
      title: s.title,
      task: async (c: C, t: Task<C>) => {
        try {
          await s.task(c, t);
        } catch (e) {
          failure = e;
          throw new Error((e instanceof Error ? e.message : String(e)).split('\n')[0]);
        }
      },
    })),
    {
      renderer,
      exitOnError: true,
      rendererOptions: { collapseErrors: false, outputBar: 5, logger } as never,
      fallbackRendererOptions: { logger } as never,
    },
  );
  try {
    await list.run(ctx);
  } catch (e) {
    throw failure ?? e;
  }
  return ctx;
}

/** One step that computes a value (e.g. the cluster session the next steps use). */
export async function runStep<T>(out: Output, title: string, fn: (task: Task<object>) => Promise<T>): Promise<T> {
  let resolve: (value: T) => void = () => undefined;
  const value = new Promise<T>((r) => (resolve = r));
  await runSteps(out, [{ title, task: async (_ctx, task) => resolve(await fn(task)) }], {});
  // runSteps resolved, so the step ran to its end and `value` is settled.
  return value;
}
