/**
 * Starts the double by hand:
 *   npm run cluster:double -- [--time-scale F] [--absent-image GLOB]... [--present-image GLOB]... [--port N] [--kubeconfig-dir DIR]
 * Prints `KUBECONFIG=<path>` once it serves; runs until SIGTERM or SIGINT.
 */
import { parseArgs } from './cli-args.js';
import { startKubeDouble, type KubeDoubleOptions } from './index.js';

async function main(): Promise<void> {
  let opts: KubeDoubleOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`cluster:double: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const double = await startKubeDouble(opts);
  process.stdout.write(`KUBECONFIG=${double.kubeconfigPath}\n`);
  process.stderr.write(`kube-double serving ${double.server} (context ${double.contextName}, time scale ${double.timeScale})\n`);
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const stop = (): void => {
    clearInterval(keepAlive);
    void double.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
