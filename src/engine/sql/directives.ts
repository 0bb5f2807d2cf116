import { didYouMean } from '../../util/did-you-mean.js';
import { DURATION_EXAMPLES, parseDuration } from '../../util/duration.js';
import { SqlLexer } from './lexer.js';
import { LineCounter } from './position.js';
import { SplitError } from './split-error.js';

/** Settings a migration file gives itself in `-- schemagate:<name> [value]` comments. */
export interface Directives {
  /** Run the file outside a transaction, one statement per query. */
  noTransaction: boolean;
  /** `lock_timeout` for this file, in milliseconds (0 = disabled); unset = the configured default. */
  lockTimeoutMs?: number;
  /** `statement_timeout` for this file, in milliseconds (0 = disabled); unset = the configured default. */
  statementTimeoutMs?: number;
}

/** A directive that could not be understood; `line` is 1-based. */
export interface DirectiveProblem {
  line: number;
  message: string;
}

const PREFIX = 'schemagate:';
const KNOWN = ['no-transaction', 'lock-timeout', 'statement-timeout'] as const;
type Known = (typeof KNOWN)[number];
const DURATION_SETTING = { 'lock-timeout': 'lock_timeout', 'statement-timeout': 'statement_timeout' } as const;
// PostgreSQL's timeouts are int4 milliseconds.
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Reads the directives at the top of a migration file: `--` comments before
 * the first statement of the form `-- schemagate:<name> [value]`, plus sqlx's
 * `-- no-transaction` on the first line. A `schemagate:` directive found after
 * the first statement is reported as a problem rather than silently ignored,
 * as are unknown names (with a suggestion), missing or bad values, extra text
 * and repeated directives. Never throws: a text that cannot be tokenised is
 * read up to the point where it breaks, and the splitter reports the rest.
 */
export function parseDirectives(sql: string): { directives: Directives; problems: DirectiveProblem[] } {
  const directives: Directives = { noTransaction: false };
  const problems: DirectiveProblem[] = [];
  const seen = new Set<Known>();
  const lines = new LineCounter(sql);
  const lexer = new SqlLexer(sql, { comments: true });
  let header = true;

  try {
    for (let token = lexer.next(); token; token = lexer.next()) {
      if (token.kind !== 'line-comment') {
        if (token.kind !== 'block-comment') header = false;
        continue;
      }
      const body = sql.slice(token.start + 2, token.end).trim();
      const { line } = lines.at(token.start);
      if (header && line === 1 && /^no-transaction\b/i.test(body) && !seen.has('no-transaction')) {
        seen.add('no-transaction');
        directives.noTransaction = true;
        continue;
      }
      // dbmate's section marker: `-- migrate:up transaction:false` runs the section without a transaction.
      if (header && /^migrate:up\b/i.test(body)) {
        if (/\btransaction:false\b/i.test(body)) directives.noTransaction = true;
        continue;
      }
      if (!body.toLowerCase().startsWith(PREFIX)) continue;
      const [rawName = '', ...values] = body.slice(PREFIX.length).trim().split(/\s+/);
      const name = rawName.toLowerCase();
      const problem = (message: string): void => {
        problems.push({ line, message });
      };

      if (!isKnown(name)) {
        const suggestion = didYouMean(name, KNOWN);
        problem(
          `unknown directive "${PREFIX}${rawName}"` +
            (suggestion
              ? ` (did you mean "${PREFIX}${suggestion}"?)`
              : `; known directives: ${KNOWN.map((k) => PREFIX + k).join(', ')}`),
        );
        continue;
      }
      if (!header) {
        problem(
          `directive "${PREFIX}${name}" comes after the first statement and is ignored; move it to the top of the file`,
        );
        continue;
      }
      if (seen.has(name)) {
        problem(`directive "${PREFIX}${name}" is given more than once; keep one`);
        continue;
      }
      seen.add(name);

      if (name === 'no-transaction') {
        if (values.length > 0) {
          problem(`directive "${PREFIX}no-transaction" takes no value, found "${values.join(' ')}"`);
        }
        directives.noTransaction = true;
        continue;
      }

      const [value, ...extra] = values;
      if (value === undefined) {
        problem(`directive "${PREFIX}${name}" needs a duration (${DURATION_EXAMPLES}), e.g. "-- ${PREFIX}${name} 10s"`);
        continue;
      }
      if (extra.length > 0) {
        problem(`directive "${PREFIX}${name}" takes one duration, found extra text "${extra.join(' ')}"`);
        continue;
      }
      const ms = parseDuration(value);
      if (ms === undefined || ms > MAX_TIMEOUT_MS) {
        problem(
          ms === undefined
            ? `bad duration "${value}" for "${PREFIX}${name}": expected ${DURATION_EXAMPLES}`
            : `duration "${value}" for "${PREFIX}${name}" is longer than PostgreSQL's ${DURATION_SETTING[name]} allows (about 24 days)`,
        );
        continue;
      }
      if (name === 'lock-timeout') directives.lockTimeoutMs = ms;
      else directives.statementTimeoutMs = ms;
    }
  } catch (e) {
    // An unterminated string or comment: splitStatements reports it with its position.
    if (!(e instanceof SplitError)) throw e;
  }
  return { directives, problems };
}

function isKnown(name: string): name is Known {
  return (KNOWN as readonly string[]).includes(name);
}
