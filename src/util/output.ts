/**
 * Where a command writes (a type any layer may name; `src/cli/output.ts`
 * implements it). Results go to stdout; progress and errors to stderr.
 * With `--json`, stdout carries exactly one JSON document (the result, or the
 * error) and nothing else. Colour only on a TTY and never with NO_COLOR.
 */
export interface Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly color: boolean;
  /** A progress line (stderr); silent with --quiet or --json. */
  progress(line: string): void;
  /** A detail line shown with --verbose. */
  debug(line: string): void;
  /** A line of the human result (stdout); not printed with --json. */
  result(line: string): void;
  /** The machine-readable result (stdout, with --json only). */
  data(value: unknown): void;
  warn(line: string): void;
  error(e: unknown): void;
  paint(style: Style, text: string): string;
}

export type Style = 'red' | 'green' | 'yellow' | 'dim' | 'bold' | 'cyan';
