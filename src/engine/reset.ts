import { ExitCode, SchemagateError } from '../errors.js';
import { ident } from './connect.js';
import { logLine } from './context.js';
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
    await ctx.client.query('BEGIN');
    try {
      for (const s of schemas) {
        await ctx.client.query(`DROP SCHEMA IF EXISTS ${ident(s)} CASCADE`);
        await ctx.client.query(`CREATE SCHEMA ${ident(s)}`);
        // A fresh public schema gets back the usage everyone has by default.
        if (s === 'public') await ctx.client.query('GRANT USAGE ON SCHEMA public TO PUBLIC');
      }
      await ctx.client.query('COMMIT');
    } catch (e) {
      await ctx.client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
    logLine(ctx, `reset: dropped and recreated ${schemas.join(', ')}`);
    return { schemas };
  });
}
