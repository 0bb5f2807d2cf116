/**
 * Starts the double by hand:
 *   npm run cluster:double -- [--time-scale F] [--absent-image GLOB]... [--present-image GLOB]... [--port N] [--kubeconfig-dir DIR]
 * Prints `KUBECONFIG=<path>` once it serves; runs until SIGTERM, SIGINT or SIGHUP
 * (or until the process that started it is gone), then stops every container
 * and removes its temporary folder.
 * schemagate's image (`schemagate:*`, loaded on the node as `kind load` does)
 * runs the CLI built in this checkout, in the folder the double was started
 * from (as the real image runs it in /app); `postgres:*` runs a local
 * PostgreSQL. So `schemagate up` runs the project's own k8s/ against it.
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
  // npm runs scripts in the package's folder; INIT_CWD is where `npm run cluster:double` was typed.
  const project = process.env['INIT_CWD'] ?? process.cwd();
  const double = await startKubeDouble({
    images: { 'schemagate:*': { entrypoint: [process.execPath, cli], workingDir: project } },
    // As on kind: schemagate's image is `kind load`ed (not in any registry), postgres and redis run for real.
    loadedImages: ['schemagate:*'],
    postgresImages: ['postgres:*', 'docker.io/library/postgres:*'],
    redisImages: ['redis:*', 'docker.io/library/redis:*'],
    ...opts,
  });
  process.stdout.write(`KUBECONFIG=${double.kubeconfigPath}\n`);
  process.stderr.write(
    `kube-double serving ${double.server} (context ${double.contextName}, time scale ${double.timeScale})\n`,
  );
  // Also the keep-alive: when whatever started us (npm, a shell) is gone, stop too, so no container outlives it.
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 250);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    clearInterval(watch);
    // Every container process is stopped and the double's temporary folder removed before exiting.
    void double.close().then(() => process.exit(0));
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, stop);
}

void main();
