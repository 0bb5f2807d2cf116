/**
 * Options of `npm run cluster:double` (see main.ts), parsed into startKubeDouble options.
 */
import type { KubeDoubleOptions } from './index.js';

export function parseArgs(argv: string[]): KubeDoubleOptions {
  const opts: KubeDoubleOptions = {};
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const take = (): string => inline ?? value(i++, flag);
    switch (flag) {
      case '--time-scale': {
        const n = Number(take());
        if (!(n > 0)) throw new Error(`--time-scale must be a positive number, got ${argv[i]}`);
        opts.timeScale = n;
        break;
      }
      case '--absent-image':
        (opts.absentImages ??= []).push(take());
        break;
      case '--present-image':
        (opts.presentImages ??= []).push(take());
        break;
      case '--port':
        opts.port = Number(take());
        break;
      case '--kubeconfig-dir':
        opts.kubeconfigDir = take();
        break;
      case '--context':
        opts.contextName = take();
        break;
      default:
        throw new Error(
          `unknown option ${arg}; expected --time-scale, --absent-image, --present-image, --port, --kubeconfig-dir, --context`,
        );
    }
  }
  return opts;
}
