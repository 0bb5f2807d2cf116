/**
 * Starts the double by hand:
 *   npm run cluster:double -- [--time-scale F] [--absent-image GLOB]... [--present-image GLOB]... [--port N] [--kubeconfig-dir DIR]
 * Prints `KUBECONFIG=<path>` once it serves; runs until SIGTERM or SIGINT.
 * schemagate's image (`schemagate:*`) runs the CLI built in this checkout, in
 * the folder the double was started from (as the real image runs it in /app),
 * so `schemagate up` can be tried against it.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './cli-args.js';
import { startKubeDouble, type KubeDoubleOptions } from './index.js';

// Built: dist/test/support/kube-double/main.js -> dist/src/cli.js; from source: dist/src/cli.js of the checkout.
const above = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli =
  [join(above, 'src', 'cli.js'), join(above, 'dist', 'src', 'cli.js')].find((f) => existsSync(f)) ??
  join(above, 'src', 'cli.js');

async function main(): Promise<void> {
  let opts: KubeDoubleOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`cluster:double: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const double = await startKubeDouble({
    images: { 'schemagate:*': { entrypoint: [process.execPath, cli], workingDir: process.cwd() } },
    ...opts,
  });
  process.stdout.write(`KUBECONFIG=${double.kubeconfigPath}\n`);
  process.stderr.write(
    `kube-double serving ${double.server} (context ${double.contextName}, time scale ${double.timeScale})\n`,
  );
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const stop = (): void => {
    clearInterval(keepAlive);
    void double.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
