import { parseVersion } from '../version.js';
import type { Sections, SectionTool } from './sectioned.js';
import { group } from '../../util/defined.js';

/*
 * node-pg-migrate's SQL migrations (salsita/node-pg-migrate src/sqlMigration.ts):
 * `-- Up Migration` and `-- Down Migration` comments (matched by
 * /^\s*--[\s-]*up\s+migration/im) cut the file; without an up marker the
 * whole file is the up migration. A `-- no transaction` line among the
 * header comments runs it outside a transaction. Its history row is the file
 * name without the extension.
 */

const marker = (direction: 'up' | 'down') => new RegExp(`^\\s*--[\\s-]*${direction}\\s+migration`, 'im');
export const NODE_PG_MIGRATE_NO_TRANSACTION = '-- no transaction';

/** Keeps text[from, to) in place and blanks everything else, line breaks kept. */
function slice(text: string, from: number, to: number): string {
  const blank = (t: string) => t.replace(/[^\n]/g, '');
  return blank(text.slice(0, from)) + text.slice(from, to);
}

function noTransaction(text: string): boolean {
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    if (!t.startsWith('--')) return false;
    if (/^--[ \t]*no[ \t]*transaction[ \t]*$/i.test(t)) return true;
  }
  return false;
}

export function parseNodePgMigrate(text: string): Sections {
  const up = text.search(marker('up'));
  const down = text.search(marker('down'));
  if (up < 0 && down >= 0) {
    const line = text.slice(0, down).split('\n').length;
    return {
      up: '',
      down: undefined,
      upBlocks: [],
      downBlocks: [],
      problems: [
        {
          line,
          message:
            'a -- Down Migration marker without a -- Up Migration marker: node-pg-migrate would run the whole file, down section included, as the migration. Add -- Up Migration above the up SQL',
        },
      ],
    };
  }
  const upText = up >= 0 ? slice(text, up, down < up ? text.length : down) : text;
  const downText = down >= 0 ? slice(text, down, up < down ? text.length : up) : undefined;
  const tx = noTransaction(text) ? NODE_PG_MIGRATE_NO_TRANSACTION : undefined;
  return {
    up: upText,
    down: downText,
    upNoTransaction: tx,
    downNoTransaction: tx,
    upBlocks: [],
    downBlocks: [],
    problems: [],
  };
}

/** `<number>_<name>.sql`: the number (a timestamp, or an index) orders them. */
export const nodePgMigrate: SectionTool = {
  layout: 'node-pg-migrate',
  identity(name) {
    const m = /^(\d+)[_-](.*)\.sql$/i.exec(name);
    const version = m ? parseVersion(group(m, 1)) : undefined;
    if (!m || !version) return { problem: 'not a node-pg-migrate migration name: expected <timestamp>_<name>.sql' };
    return { version, description: group(m, 2).replace(/[_-]/g, ' ') };
  },
  parse: parseNodePgMigrate,
};
