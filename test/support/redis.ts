import { execa, type ResultPromise } from 'execa';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.js';

/** Debian's redis-server (.ci/run installs it); tests that need it are skipped elsewhere, and fail in CI without it. */
export const redisServerBinary = [
  '/usr/bin/redis-server',
  '/usr/local/bin/redis-server',
  '/opt/homebrew/bin/redis-server',
].find((p) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
});

export interface RedisServer {
  port: number;
  stop(): Promise<void>;
}

/**
 * A real Redis on 127.0.0.1 with nothing persisted (`--save '' --appendonly
 * no`), started on `port` (default: a free one) and ready when this returns:
 * its "Ready to accept connections" line was read, nothing is polled.
 * `args` are more config directives, e.g. ['--requirepass', 'pw']; with
 * `tls`, the port speaks TLS only (what `rediss://` connects to).
 */
export async function startRedis(
  opts: { port?: number; args?: string[]; tls?: { cert: string; key: string } } = {},
): Promise<RedisServer> {
  if (!redisServerBinary) throw new Error('redis-server is not installed (apt-get install redis-server)');
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'schemagate-redis-'));
  const child: ResultPromise = execa(
    redisServerBinary,
    [
      ...(opts.tls
        ? [
            '--port',
            '0',
            '--tls-port',
            String(port),
            '--tls-cert-file',
            opts.tls.cert,
            '--tls-key-file',
            opts.tls.key,
            '--tls-auth-clients',
            'no',
          ]
        : ['--port', String(port)]),
      ...['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      ...(opts.args ?? []),
    ],
    { reject: false, stdin: 'ignore' },
  );
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (/Ready to accept connections/.test(seen)) resolve();
    });
    void child.then((r) =>
      reject(new Error(`redis-server exited (${r.exitCode}) before it was ready:\n${seen}${String(r.stderr)}`)),
    );
  });
  return {
    port,
    async stop() {
      child.kill('SIGTERM');
      await child;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
