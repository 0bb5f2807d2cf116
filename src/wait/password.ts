/**
 * Passwords kept out of a target's URL: read from the variable or file that
 * `#password-env` / `#password-file` names (how a pod sees a Secret), once,
 * before the wait starts, and registered for redaction at once.
 */
import { readFileSync } from 'node:fs';
import { ExitCode, SchemagateError } from '../errors.js';
import { registerSecret } from '../redact.js';
import type { Target } from '../config/wait-target.js';

export interface PasswordSources {
  env: NodeJS.ProcessEnv;
  /** @default fs.readFileSync as UTF-8 */
  readFile?: (path: string) => string;
}

function missing(target: Target, what: string, hint: string, cause?: unknown): SchemagateError {
  return new SchemagateError('wait.password', `${target.display}: ${what}`, {
    exitCode: ExitCode.config,
    hint,
    context: { object: target.display },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The targets with `password` filled in from their sources; a source that cannot be read is an error (exit 3). */
export function resolvePasswords(targets: readonly Target[], sources: PasswordSources): Target[] {
  const read = sources.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  return targets.map((t) => {
    const from = t.passwordFrom;
    if (!from) return t;
    let password: string;
    if ('env' in from) {
      const value = sources.env[from.env];
      if (value === undefined || value === '') {
        throw missing(
          t,
          `the environment variable ${from.env} (#password-env) is ${value === undefined ? 'not set' : 'empty'}`,
          `Set ${from.env} to the password (in a pod: env[].valueFrom.secretKeyRef from the Secret that holds it), or leave #password-env out if the server needs no password.`,
        );
      }
      password = value;
    } else {
      try {
        // A Secret's file holds the value exactly; a file written with `echo` ends with a newline that is not part of it.
        password = read(from.file).replace(/\r?\n$/, '');
      } catch (e) {
        throw missing(
          t,
          `cannot read the password file ${from.file} (#password-file): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
          'Check the path (in a pod: the mountPath of the Secret volume, then the key), or leave #password-file out if the server needs no password.',
          e,
        );
      }
      if (password === '')
        throw missing(t, `the password file ${from.file} (#password-file) is empty`, 'Write the password into it.');
    }
    registerSecret(password);
    return { ...t, password };
  });
}
