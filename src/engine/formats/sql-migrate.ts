import { namedVersion } from '../version.js';
import { isSqlLine, LineSections, type Sections, type SectionTool } from './sectioned.js';

/*
 * sql-migrate's files (rubenv/sql-migrate sqlparse/sqlparse.go and
 * migrate.go): commands are lines that start with exactly `-- +migrate `:
 * `Up` and `Down` (each may be followed by the option `notransaction`, for
 * that direction only), `StatementBegin` / `StatementEnd`. Sections may
 * alternate. A migration's identity is its file name; files sort by their
 * leading number, then by name. sql-migrate silently skips a command it
 * does not know, and SQL before the first section; schemagate refuses both,
 * since either means the file does not do what it says.
 */

const PREFIX = '-- +migrate ';
export const SQL_MIGRATE_NO_TRANSACTION = '-- +migrate Up notransaction';

export function parseSqlMigrate(text: string): Sections {
  const s = new LineSections(text);
  const problems: Sections['problems'] = [];
  let direction = 'none' as 'none' | 'up' | 'down';
  let seenDown = false as boolean;
  let block: number | undefined;
  const noTx = { up: false, down: false };
  s.lines.forEach((line, i) => {
    const n = i + 1;
    if (/^--\s*\+migrate\b/i.test(line)) {
      if (!line.startsWith(PREFIX)) {
        problems.push({
          line: n,
          message: `"${line.trim()}" is not read by sql-migrate, which reads only lines that start with exactly "-- +migrate " (two dashes, one space, +migrate, one space, then Up, Down, StatementBegin or StatementEnd)`,
        });
        return;
      }
      const [command = '', ...options] = line.slice(PREFIX.length).trim().split(/\s+/);
      if (command === 'Up' || command === 'Down') {
        const which = command === 'Up' ? 'up' : 'down';
        for (const o of options)
          if (o !== 'notransaction')
            problems.push({
              line: n,
              message: `unknown option "${o}" of -- +migrate ${command}: the one option is notransaction`,
            });
        if (options.includes('notransaction')) noTx[which] = true;
        if (block !== undefined)
          problems.push({ line: n, message: `-- +migrate ${command} inside a StatementBegin ... StatementEnd block` });
        direction = which;
        if (which === 'down') seenDown = true;
        return;
      }
      if (command === 'StatementBegin') {
        if (direction === 'none' || block !== undefined)
          problems.push({
            line: n,
            message: '-- +migrate StatementBegin must come after -- +migrate Up or Down, outside another block',
          });
        block = i + 1;
        return;
      }
      if (command === 'StatementEnd') {
        if (block === undefined) {
          problems.push({ line: n, message: '-- +migrate StatementEnd without a StatementBegin before it' });
          return;
        }
        if (direction !== 'none') s.block(direction, block, i);
        block = undefined;
        return;
      }
      problems.push({
        line: n,
        message: `unknown sql-migrate command "${command}"${/^(up|down|statementbegin|statementend)$/i.test(command) ? ' (sql-migrate commands are case-sensitive: Up, Down, StatementBegin, StatementEnd)' : ''}: sql-migrate would skip it silently, and what follows would not run as written. Known: Up, Down, StatementBegin, StatementEnd`,
      });
      return;
    }
    if (direction === 'none') {
      if (isSqlLine(line))
        problems.push({
          line: n,
          message: 'SQL before the first -- +migrate Up: sql-migrate never runs it; move it into the Up section',
        });
      return;
    }
    (direction === 'up' ? s.up : s.down).add(i);
  });
  if (direction === 'none' && problems.length === 0)
    problems.push({ line: 1, message: 'no -- +migrate Up annotation: sql-migrate would run nothing of this file' });
  if (block !== undefined)
    problems.push({ line: s.lines.length, message: '-- +migrate StatementBegin without a StatementEnd after it' });
  return {
    up: s.text('up'),
    down: seenDown ? s.text('down') : undefined,
    upNoTransaction: noTx.up ? SQL_MIGRATE_NO_TRANSACTION : undefined,
    downNoTransaction: noTx.down ? '-- +migrate Down notransaction' : undefined,
    upBlocks: s.blocks('up'),
    downBlocks: s.blocks('down'),
    problems,
  };
}

/** sql-migrate: any `.sql` file is a migration, identified by its file name. */
export const sqlMigrate: SectionTool = {
  layout: 'sql-migrate',
  identity(name) {
    return {
      version: namedVersion(name),
      description: name
        .replace(/\.sql$/i, '')
        .replace(/^\d+[_-]?/, '')
        .replace(/[_-]/g, ' '),
    };
  },
  parse: parseSqlMigrate,
};
