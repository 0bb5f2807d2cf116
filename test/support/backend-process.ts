import type { Readable } from 'node:stream';

/**
 * The address a `schemagate backend` child prints on stdout (`listening on
 * http://...`), or an error with what it printed when it exits or stays
 * silent for `timeoutMs` first.
 */
export function listeningAddress(
  stdout: Readable,
  exited: Promise<unknown>,
  stderr: () => string = () => '',
  timeoutMs = 15_000,
): Promise<string> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new Error(`the backend did not print its address within ${timeoutMs / 1000}s:\n${out}\n${stderr()}`)),
      timeoutMs,
    );
    stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^listening on (http:\/\/\S+)/m.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the backend exited before listening:\n${out}\n${stderr()}`));
    });
  });
}
