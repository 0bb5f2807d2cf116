import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the test's PostgreSQL: it counts the connections
 * made through it (what a command opens), and can cut every connection and
 * stop listening (a database outage), then listen again on the same port.
 */
export interface PgProxy {
  /** `url` (the target's), through the proxy. */
  url: string;
  /** Another database of the same server, through the proxy. */
  urlOf(url: string): string;
  /** Connections accepted so far. */
  readonly opened: number;
  /** Resolves once no connection through the proxy is open. */
  allClosed(): Promise<void>;
  /** Closes every connection and stops listening. */
  cut(): Promise<void>;
  /** Listens again, on the same port. */
  restore(): Promise<void>;
}

export async function pgProxy(target: string): Promise<PgProxy> {
  const to = new URL(target);
  const clients = new Set<Socket>();
  const sockets = new Set<Socket>();
  const idle: (() => void)[] = [];
  let opened = 0;
  let server: Server | undefined;
  const listen = (port: number) =>
    new Promise<number>((resolvePort) => {
      const s = createServer((client) => {
        opened++;
        clients.add(client);
        const upstream = connect(Number(to.port), to.hostname);
        const gone = () => {
          upstream.destroy();
          client.destroy();
          if (clients.delete(client) && clients.size === 0) for (const f of idle.splice(0)) f();
        };
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('error', gone);
          socket.on('close', () => {
            sockets.delete(socket);
            gone();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      server = s;
      s.listen(port, '127.0.0.1', () => {
        resolvePort((s.address() as AddressInfo).port);
      });
    });
  const port = await listen(0);
  const urlOf = (url: string) => {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(port);
    return u.toString();
  };
  return {
    url: urlOf(target),
    urlOf,
    get opened() {
      return opened;
    },
    allClosed: () => (clients.size === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve))),
    cut: () =>
      new Promise<void>((resolve) => {
        if (!server) {
          resolve();
          return;
        }
        server.close(() => {
          resolve();
        });
        for (const s of sockets) s.destroy();
      }),
    restore: async () => {
      await listen(port);
    },
  };
}
