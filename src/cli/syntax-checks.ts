import { existsSync } from 'node:fs';
import type { Config } from '../config/types.js';
import { readDownScript, readMigrations, readSeeds } from '../engine/files.js';
import type { Check } from '../tasks/check.js';

/**
 * `schemagate check`'s migrations and seeds lines, with every statement of
 * every migration, down script and seed run through PostgreSQL's parser. A
 * line that already failed (bad names, an unterminated quote) is left as it
 * is: its problem comes first.
 */
export async function withSyntaxChecks(config: Config, checks: Check[]): Promise<Check[]> {
  const { checkSyntax, formatSyntaxProblem } = await import('../engine/syntax-check.js');
  const scripts = (name: string) => {
    if (name === 'migrations')
      return readMigrations(config.migrations.dir, config.migrations.format).flatMap((f) => [
        { file: f.file, sql: f.sql },
        ...(f.down ? [{ file: f.down.file, sql: readDownScript(f.down) }] : []),
      ]);
    return existsSync(config.seeds.dir) ? readSeeds(config.seeds.dir).map((s) => ({ file: s.file, sql: s.sql })) : [];
  };
  const out: Check[] = [];
  for (const c of checks) {
    if (!c.ok || (c.name !== 'migrations' && c.name !== 'seeds')) {
      out.push(c);
      continue;
    }
    const list = scripts(c.name);
    const problems = await checkSyntax(list);
    out.push(
      problems.length === 0
        ? { ...c, detail: `${c.detail} (every statement checked by PostgreSQL's parser)` }
        : {
            name: c.name,
            ok: false,
            detail: `${problems.length} statement${problems.length === 1 ? '' : 's'} PostgreSQL's parser rejects:\n${problems.map(formatSyntaxProblem).join('\n')}`,
            hint: 'Fix the SQL at each caret; nothing was run.',
          },
    );
  }
  return out;
}
