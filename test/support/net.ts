export { freePort } from '../../src/util/net.js';
