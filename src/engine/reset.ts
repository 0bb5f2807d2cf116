import { ExitCode, SchemagateError } from '../errors.js';
import { ident } from './connect.js';
import { analyze } from './analyze.js';
import { applyInTransaction, type Script } from './apply.js';
import { type EngineOptions, withLockedSession } from './session.js';

/**
 * Drops and recreates the managed schemas (and the history table's schema):
 * every table, view, function and the migration history in them is gone.
 * Refuses unless the caller confirmed (`--yes`); the cluster's `reset` also
 * checks the Kubernetes context before it gets here.
 */
export async function reset(opts: EngineOptions, params: { yes: boolean }): Promise<{ schemas: string[] }> {
  const schemas = [...new Set([...opts.managedSchemas, opts.schema])];
  if (!params.yes) {
    throw new SchemagateError(
      'reset.unconfirmed',
      `db reset drops the schema${schemas.length === 1 ? '' : 's'} ${schemas.join(', ')} with everything in ${schemas.length === 1 ? 'it' : 'them'}, and the migration history; refusing without --yes`,
      {
        exitCode: ExitCode.refused,
        hint: 'Run it again with --yes if that is what you want.',
      },
    );
  }
  return withLockedSession(opts, 'reset', async (ctx) => {
    const sql = schemas
      .map(
        (s) =>
          // A fresh public schema gets back the usage everyone has by default.
          `DROP SCHEMA IF EXISTS ${ident(s)} CASCADE;\nCREATE SCHEMA ${ident(s)};\n${s === 'public' ? 'GRANT USAGE ON SCHEMA public TO PUBLIC;\n' : ''}`,
      )
      .join('');
    const script: Script = {
      kind: 'migration',
      version: 'reset',
      description: 'reset',
      file: 'db reset',
      sql,
      checksum: '',
    };
    // The drop runs like a migration: lock_timeout (retried), cancelled by a signal, and committed only if no signal came.
    await applyInTransaction(ctx, script, analyze({ file: script.file, version: script.version, sql }), {
      synchronousCommit: true,
      tail: { sql: 'SELECT 1' },
    });
    return { schemas };
  });
}
