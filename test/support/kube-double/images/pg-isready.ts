/**
 * `pg_isready` for the emulated postgres image: sends a startup packet and
 * exits 0 when the server answers (even with an authentication request or an
 * error), 1 when it answers "the database system is starting up" (57P03),
 * 2 when nothing answers, as PQping does. The pod's loopback (127.0.0.1,
 * localhost) is the pod's IP here, and no host means the server's socket.
 * https://www.postgresql.org/docs/current/app-pg-isready.html
 */
import { connect, type NetConnectOpts } from 'node:net';
import { join } from 'node:path';

export async function pgIsReady(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const opt = (short: string, long: string): string | undefined => {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === short || a === long) return argv[i + 1];
      if (a.startsWith(`${long}=`)) return a.slice(long.length + 1);
      if (a.startsWith(short) && a.length > short.length) return a.slice(short.length);
    }
    return undefined;
  };
  const quiet = argv.includes('-q') || argv.includes('--quiet');
  const host = opt('-h', '--host') ?? env['PGHOST'];
  const port = Number(opt('-p', '--port') ?? env['PGPORT'] ?? 5432);
  const user = opt('-U', '--username') ?? env['PGUSER'] ?? 'postgres';
  const database = opt('-d', '--dbname') ?? env['PGDATABASE'] ?? user;
  const timeoutMs = Number(opt('-t', '--timeout') ?? 3) * 1000;
  const loopback = !host || ['127.0.0.1', 'localhost', '::1'].includes(host);
  const target: NetConnectOpts =
    !host && env['KUBE_DOUBLE_ROOTFS']
      ? { path: join(env['KUBE_DOUBLE_ROOTFS'], 'run', `.s.PGSQL.${port}`) }
      : { host: loopback ? (env['KUBE_DOUBLE_POD_IP'] ?? '127.0.0.1') : host, port };
  const code = await new Promise<number>((resolve) => {
    const socket = connect(target);
    const done = (n: number): void => {
      socket.destroy();
      resolve(n);
    };
    socket.setTimeout(timeoutMs, () => done(2));
    socket.on('error', () => done(2));
    socket.on('connect', () => {
      const body = Buffer.from(`user\0${user}\0database\0${database}\0\0`);
      const head = Buffer.alloc(8);
      head.writeInt32BE(8 + body.length, 0);
      head.writeInt32BE(196608, 4);
      socket.write(Buffer.concat([head, body]));
    });
    socket.once('data', (d: Buffer) => {
      if (d[0] === 0x45 && d.toString('latin1').includes('C57P03')) done(1);
      else done(0);
    });
  });
  if (!quiet) {
    const where = 'path' in target ? target.path : `${target.host}:${port}`;
    process.stdout.write(`${where} - ${['accepting connections', 'rejecting connections', 'no response'][code]}\n`);
  }
  return code;
}
