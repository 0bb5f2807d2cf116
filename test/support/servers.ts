import type { Server } from 'node:net';

export interface Listening {
  port: number;
  /** Stops listening and cuts every open connection, so no client (or a stray one) holds the close up. */
  close(): Promise<void>;
}

/** Starts `server` (a net or http server) on 127.0.0.1, on `port` or a free one. */
export async function listening(server: Server, port = 0): Promise<Listening> {
  const open = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of open) s.destroy();
      }),
  };
}
