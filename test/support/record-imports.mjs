// Loaded with `node --import`: records every module a process resolves whose
// URL contains $SCHEMAGATE_RECORD_MATCH into $SCHEMAGATE_RECORD_FILE, one per
// line. Tests use it to prove what a command does (and does not) load.
import { register } from 'node:module';
import process from 'node:process';

const hooks = `
import { appendFileSync } from 'node:fs';
const file = ${JSON.stringify(process.env.SCHEMAGATE_RECORD_FILE ?? '')};
const match = ${JSON.stringify(process.env.SCHEMAGATE_RECORD_MATCH ?? '')};
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (file && match && r.url.includes(match)) appendFileSync(file, r.url + '\\n');
  return r;
}
`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
