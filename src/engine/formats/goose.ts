import { parseVersion } from '../version.js';
import { isSqlLine, LineSections, type Sections, type SectionTool } from './sectioned.js';
import { group } from '../../util/defined.js';

/*
 * goose's SQL files (pressly/goose internal/sqlparser/parser.go; the
 * annotations page of its documentation): `-- +goose Up` (required, once),
 * `-- +goose Down` (optional, after it), `-- +goose StatementBegin` /
 * `StatementEnd` around a statement that holds semicolons, `-- +goose NO
 * TRANSACTION` for both directions, `-- +goose ENVSUB ON|OFF`. Annotations are
 * case-insensitive, start their line (no leading whitespace), and anything
 * else after `-- +goose` is an error, as in goose.
 */

const ANNOTATIONS = ['up', 'down', 'statementbegin', 'statementend', 'no transaction', 'envsub on', 'envsub off'];
const SPELLED = 'Up, Down, StatementBegin, StatementEnd, NO TRANSACTION, ENVSUB ON, ENVSUB OFF';
export const GOOSE_NO_TRANSACTION = '-- +goose NO TRANSACTION';

export function parseGoose(text: string): Sections {
  const s = new LineSections(text);
  const problems: Sections['problems'] = [];
  let state = 'start' as 'start' | 'up' | 'down';
  let block: number | undefined;
  let noTransaction = false as boolean;
  s.lines.forEach((line, i) => {
    const n = i + 1;
    if (line.trim().startsWith('--') && line.includes('+goose')) {
      if (/^[ \t]/.test(line)) {
        problems.push({
          line: n,
          message: 'a goose annotation must start its line (goose refuses leading whitespace)',
        });
        return;
      }
      const m = /^--\s*\+goose\s+(.*?)\s*$/i.exec(line);
      const name = m?.[1]?.toLowerCase() ?? '';
      if (!ANNOTATIONS.includes(name)) {
        problems.push({
          line: n,
          message: `unknown goose annotation "${line.trim()}": goose knows ${SPELLED}, and refuses the file otherwise`,
        });
        return;
      }
      switch (name) {
        case 'up':
          if (state !== 'start') problems.push({ line: n, message: 'a second -- +goose Up: a file has exactly one' });
          state = 'up';
          return;
        case 'down':
          if (state !== 'up' || block !== undefined)
            problems.push({
              line: n,
              message: '-- +goose Down must come after -- +goose Up, outside a statement block',
            });
          state = 'down';
          return;
        case 'statementbegin':
          if (state === 'start' || block !== undefined)
            problems.push({
              line: n,
              message: '-- +goose StatementBegin must come after -- +goose Up or Down, outside another block',
            });
          block = i + 1;
          return;
        case 'statementend':
          if (block === undefined) {
            problems.push({ line: n, message: '-- +goose StatementEnd without a StatementBegin before it' });
            return;
          }
          if (state !== 'start') s.block(state, block, i);
          block = undefined;
          return;
        case 'no transaction':
          noTransaction = true;
          return;
        case 'envsub on':
          problems.push({
            line: n,
            message:
              '-- +goose ENVSUB ON makes goose substitute environment variables into the SQL when it runs; schemagate runs the text of the file as it is, so that its checksum says what ran. Write the values into the file (or remove the annotation if the file uses no ${VAR})',
          });
          return;
        default:
          return;
      }
    }
    if (state === 'start') {
      if (isSqlLine(line))
        problems.push({ line: n, message: 'SQL before -- +goose Up: goose refuses it; move it below the annotation' });
      return;
    }
    (state === 'up' ? s.up : s.down).add(i);
  });
  if (state === 'start' && problems.length === 0)
    problems.push({
      line: 1,
      message: 'no -- +goose Up annotation: goose needs one at the top of the section that migrates',
    });
  if (block !== undefined)
    problems.push({ line: s.lines.length, message: '-- +goose StatementBegin without a StatementEnd after it' });
  const marker = noTransaction ? GOOSE_NO_TRANSACTION : undefined;
  return {
    up: s.text('up'),
    down: state === 'down' ? s.text('down') : undefined,
    upNoTransaction: marker,
    downNoTransaction: marker,
    upBlocks: s.blocks('up'),
    downBlocks: s.blocks('down'),
    problems,
  };
}

/** goose's file names: `<version>_<name>.sql`, the version a whole number above zero. */
export const goose: SectionTool = {
  layout: 'goose',
  identity(name) {
    const m = /^(\d+)_(.*)\.sql$/i.exec(name);
    const version = m ? parseVersion(group(m, 1)) : undefined;
    if (!m || !version || version.text === '0')
      return {
        problem:
          'not a goose migration name: expected <version>_<name>.sql with a version above 0 (e.g. 20240101120000_create_users.sql or 00001_create_users.sql)',
      };
    return { version, description: group(m, 2).replace(/_/g, ' ') };
  },
  parse: parseGoose,
};
