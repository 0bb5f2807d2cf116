/**
 * The `redis` image as the double runs it, on the local `redis-server`
 * (Debian's package, which .ci/run installs): what the official image does
 * with its CMD `redis-server` (or arguments that start with `-` or name a
 * `.conf` file): port 6379, protected mode off (the image's build turns it
 * off), data under the container's own folder, plus whatever the container's
 * args add. It listens on the pod's IP only (a `--bind` of the args would put
 * every pod on the one host's addresses), so the Service reaches it and pods
 * on the one host do not collide. `redis-cli` on the image's PATH talks to
 * the pod's own server when no `-h` is given, as in the pod. Without
 * redis-server the container says so and exits 1 (the pod crash-loops).
 * Shell scripts written at start-up: nothing to build.
 * https://github.com/docker-library/docs/blob/master/redis/README.md
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageConfig } from '../kubelet/images.js';

/** Where Debian (and Homebrew) put redis-server and redis-cli. */
const BIN_DIRS = ['/usr/bin', '/usr/local/bin', '/opt/homebrew/bin'];

function binary(name: string): string | undefined {
  return BIN_DIRS.map((d) => join(d, name)).find((p) => existsSync(p));
}

function entrypoint(server: string | undefined): string {
  const missing =
    'echo "kube-double redis: redis-server is not installed on this machine (apt-get install redis-server)"; exit 1';
  return `#!/bin/sh
# As the official image's docker-entrypoint.sh: options (or a .conf file) alone mean redis-server with them.
case "$1" in -*|*.conf) set -- redis-server "$@" ;; esac
if [ "$1" != redis-server ]; then exec "$@"; fi
shift
${server ? '' : `${missing}\n`}conf=
case "$1" in *.conf) conf="$1"; shift ;; esac
data="\${KUBE_DOUBLE_ROOTFS:-/tmp}/data"
mkdir -p "$data"
exec "${server ?? 'redis-server'}" $conf --port 6379 --protected-mode no --dir "$data" "$@" --bind "\${KUBE_DOUBLE_POD_IP:-127.0.0.1}"
`;
}

function cliShim(cli: string): string {
  return `#!/bin/sh
# The pod's loopback is its IP here; a -h given later wins.
exec "${cli}" -h "\${KUBE_DOUBLE_POD_IP:-127.0.0.1}" "$@"
`;
}

/** Writes the image's entrypoint and bin folder under `root` and returns the image config. */
export function redisImage(root: string): ImageConfig {
  const dir = join(root, 'redis-image-bin');
  mkdirSync(dir, { recursive: true });
  const script = join(dir, 'docker-entrypoint.sh');
  writeFileSync(script, entrypoint(binary('redis-server')));
  chmodSync(script, 0o755);
  const cli = binary('redis-cli');
  if (cli) {
    writeFileSync(join(dir, 'redis-cli'), cliShim(cli));
    chmodSync(join(dir, 'redis-cli'), 0o755);
  }
  return {
    entrypoint: [script],
    cmd: ['redis-server'],
    env: { PATH: `${dir}:${process.env['PATH'] ?? '/usr/bin:/bin'}` },
  };
}
