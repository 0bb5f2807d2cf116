import { ExitCode, SchemagateError } from '../../errors.js';
import type { Client } from '../connect.js';
import { findTable, parseTableName, type FoundTable } from './table.js';
import { ADAPTERS, adapterFor, type ToolAdapter, type ToolName } from './tools.js';
import { itemAt } from '../../util/defined.js';

/** Another tool's history table found in the database. */
export interface ForeignTable {
  adapter: ToolAdapter;
  table: FoundTable;
}

/** Which tool a table belongs to, by its columns; `only` narrows it to one tool. */
function identify(table: FoundTable, candidates: readonly ToolAdapter[]): ToolAdapter | undefined {
  return candidates.find((a) => a.fits(table.columns));
}

/** Every other tool's history table at its default place (`schema_migrations` is told apart by its columns). */
export async function findForeignHistories(client: Client): Promise<ForeignTable[]> {
  const found: ForeignTable[] = [];
  const seen = new Set<string>();
  for (const a of ADAPTERS) {
    const key = `${a.table.schema ?? ''}.${a.table.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const table = await findTable(client, a.table.schema, a.table.name);
    if (!table) continue;
    const sharing = ADAPTERS.filter((x) => x.table.name === a.table.name && x.table.schema === a.table.schema);
    const adapter = identify(table, sharing);
    if (adapter) found.push({ adapter, table });
  }
  return found;
}

function refused(message: string, hint: string): SchemagateError {
  return new SchemagateError('adopt.source', message, { exitCode: ExitCode.validation, hint });
}

/** The history `db adopt` reads: from `--from` and `--table`, or the one other tool's table found. */
export async function locateForeign(
  client: Client,
  from: ToolName | 'auto',
  tableText: string | undefined,
): Promise<ForeignTable> {
  const tools = ADAPTERS.map((a) => a.name).join(', ');
  if (tableText !== undefined) {
    const { schema, name } = parseTableName(tableText);
    const table = await findTable(client, schema, name);
    if (!table)
      throw refused(
        `--table ${tableText}: no such table in this database`,
        'Name the table the other tool keeps its history in, as [SCHEMA.]NAME.',
      );
    const adapter = identify(table, from === 'auto' ? ADAPTERS : [adapterFor(from)]);
    if (!adapter)
      throw refused(
        `${table.display} has columns ${[...table.columns].join(', ')}: ${from === 'auto' ? 'no tool schemagate adopts from' : `not ${adapterFor(from).title}'s history table`}`,
        `schemagate adopts from ${tools}.`,
      );
    return { adapter, table };
  }
  const all = await findForeignHistories(client);
  const found = from === 'auto' ? all : all.filter((f) => f.adapter.name === from);
  if (found.length === 0) {
    const looked = (from === 'auto' ? ADAPTERS : [adapterFor(from)])
      .map((a) => (a.table.schema ? `${a.table.schema}.${a.table.name}` : a.table.name))
      .filter((v, i, l) => l.indexOf(v) === i);
    throw refused(
      `no history table of ${from === 'auto' ? 'another tool' : adapterFor(from).title} in this database (looked for ${looked.join(', ')})`,
      'If the project renamed it, name it with --table [SCHEMA.]NAME (and the tool with --from TOOL).',
    );
  }
  if (found.length > 1)
    throw refused(
      `more than one tool's history in this database: ${found.map((f) => `${f.table.display} (${f.adapter.name})`).join(', ')}`,
      `Say which one to adopt with --from ${found.map((f) => f.adapter.name).join(' or --from ')}.`,
    );
  return itemAt(found, 0, 'the one history table found');
}
