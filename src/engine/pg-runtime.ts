/*
 * Imported before `pg`. pg asks whether it runs in a Cloudflare Worker by
 * constructing a `Response` when `navigator` is missing, as on Node.js 20,
 * which loads fetch's implementation (undici): about 10 ms of every
 * command's start-up. Node.js 21 and later define `navigator`; so does this,
 * with the same userAgent, where it is missing.
 */
if (typeof (globalThis as { navigator?: unknown }).navigator === 'undefined') {
  Object.defineProperty(globalThis, 'navigator', {
    value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` },
    configurable: true,
    writable: true,
  });
}
export {};
