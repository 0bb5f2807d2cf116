/**
 * `redis://` and `rediss://`: up when `PING` is answered `PONG`, after `AUTH`
 * (when a password is given) and `SELECT` (when the database is not 0).
 *
 * Spoken in RESP here rather than through a client library: three commands
 * and their one-line replies need a few dozen lines, while a client (ioredis,
 * node-redis) brings its own reconnect and retry loops that would fight this
 * wait's backoff and deadline, and costs start-up time in an init container.
 */
import type { Socket } from 'node:net';
import { type Attempt, AttemptError, converse } from './attempt.js';
import type { Target } from '../config/wait-target.js';

type RedisTarget = Target & { kind: 'redis' };

/** A command as a RESP array of bulk strings (lengths in bytes). */
function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** The commands of one attempt, in the order they are sent (pipelined). */
export function commands(target: RedisTarget): string[][] {
  const out: string[][] = [];
  if (target.password !== undefined)
    out.push(target.user ? ['AUTH', target.user, target.password] : ['AUTH', target.password]);
  if (target.db !== 0) out.push(['SELECT', String(target.db)]);
  out.push(['PING']);
  return out;
}

interface Reply {
  error: boolean;
  text: string;
}

/** Reads complete replies off the front of `buffer`; `rest` is what is left. A non-RESP answer is reported. */
function readReplies(buffer: Buffer): { replies: Reply[]; rest: Buffer } | { garbage: string } {
  const replies: Reply[] = [];
  let at = 0;
  while (at < buffer.length) {
    const type = buffer.toString('latin1', at, at + 1);
    const eol = buffer.indexOf('\r\n', at);
    if (!'+-:$'.includes(type)) {
      return { garbage: buffer.subarray(at, Math.min(buffer.length, at + 40)).toString('latin1') };
    }
    if (eol < 0) break;
    const line = buffer.subarray(at + 1, eol).toString('utf8');
    if (type !== '$') {
      replies.push({ error: type === '-', text: line });
      at = eol + 2;
      continue;
    }
    const length = Number(line);
    if (length < 0) {
      replies.push({ error: false, text: '(nil)' });
      at = eol + 2;
      continue;
    }
    if (buffer.length < eol + 2 + length + 2) break;
    replies.push({ error: false, text: buffer.subarray(eol + 2, eol + 2 + length).toString('utf8') });
    at = eol + 2 + length + 2;
  }
  return { replies, rest: buffer.subarray(at) };
}

/** An error reply in words; what a retry cannot change (credentials, the database number) is permanent. */
function replyError(command: string, text: string): AttemptError {
  const code = text.split(' ')[0] ?? '';
  const hint = (h: string) => new AttemptError(text, { permanent: true, hint: h });
  if (code === 'WRONGPASS' || /invalid (username-)?password/i.test(text)) {
    return hint(
      'Check the user name and password: in the URL (redis://<user>:<password>@<host>), or in the variable or file named by #password-env / #password-file. Waiting cannot fix a wrong password.',
    );
  }
  if (code === 'NOAUTH') {
    return hint(
      'The server needs a password: put it in the URL (redis://:<password>@<host>) or name where it is with #password-env=VAR or #password-file=PATH.',
    );
  }
  if (/without any password configured|no password is set/i.test(text)) {
    return hint('The server has no password: leave it out of the target.');
  }
  if (code === 'DENIED') {
    return hint(
      'Redis is in protected mode: give it a password (requirepass) or let it accept connections from other hosts.',
    );
  }
  if (code === 'NOPERM') return hint('The user may not run this command: grant it +ping (and +select) in its ACL.');
  if (command === 'SELECT' || (command === 'AUTH' && code === 'ERR')) {
    return hint(
      command === 'SELECT'
        ? 'Use a database number the server has (0 to `databases` - 1, 16 by default; a cluster has only 0).'
        : 'AUTH with a user name needs Redis 6 or newer; for an older server write redis://:<password>@<host>.',
    );
  }
  // LOADING, BUSY, MASTERDOWN, max clients...: the server is there but not ready yet.
  return new AttemptError(text);
}

export function probeRedis(target: RedisTarget, attempt: Attempt): Promise<string> {
  const sent = commands(target);
  return converse(target, attempt, (socket: Socket, done, fail) => {
    let buffer: Buffer = Buffer.alloc(0);
    let next = 0;
    socket.on('data', (chunk: Buffer) => {
      const read = readReplies(Buffer.concat([buffer, chunk]));
      if ('garbage' in read) {
        fail(
          new AttemptError(`answered something that is not Redis: ${JSON.stringify(read.garbage)}`, {
            permanent: true,
            hint: 'Check the port: is it the Redis one? (rediss:// for a TLS port, redis:// for a plain one)',
          }),
        );
        return;
      }
      buffer = read.rest;
      for (const reply of read.replies) {
        const command = sent[next++]?.[0] ?? 'PING';
        if (reply.error) {
          fail(replyError(command, reply.text));
          return;
        }
        if (next === sent.length) {
          if (reply.text === 'PONG') done('PONG');
          else fail(new AttemptError(`PING was answered ${JSON.stringify(reply.text.slice(0, 40))}, not PONG`));
          return;
        }
      }
    });
    socket.on('end', () => fail(new AttemptError('the server closed the connection before answering PING')));
    socket.write(sent.map(encode).join(''));
  });
}
