/** `tcp://HOST:PORT`: up when the port accepts a connection (what `nc -z` checks, with a deadline). */
import { type Attempt, converse } from './attempt.js';
import type { Target } from '../config/wait-target.js';

export function probeTcp(target: Target & { kind: 'tcp' }, attempt: Attempt): Promise<string> {
  return converse(target, attempt, (_socket, done) => done('connected'));
}
