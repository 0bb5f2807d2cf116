import { resolve } from 'node:path';
import { ExitCode, UsageError } from '../errors.js';
import { flag, str } from './args.js';
import type { DbCommand } from './db.js';
import { configFrom } from './engine-options.js';

/** `schemagate new NAME` and `schemagate db new NAME` (alias `db create`): the same command under two names. */
export function newCommand(prefix: string): DbCommand {
  return {
    usage: `${prefix} NAME [--layout LAYOUT] [--sequence | --timestamp] [--migrations DIR]`,
    summary:
      "Create the next migration file, and its down script where the layout has one. It follows the folder's own layout (schemagate, Flyway, golang-migrate, dbmate, sqlx, goose) and numbering (timestamps or sequence numbers, as its newest migration); an empty folder gets the schemagate layout (Flyway with migrations.format: flyway). Prints the paths.",
    examples: [
      `${prefix} add_user_notes`,
      `${prefix} add user notes --migrations db/migrations`,
      `${prefix} init --layout goose --sequence`,
    ],
    offline: true,
    options: {
      migrations: { type: 'string', description: 'migrations folder (default: migrations.dir)', value: 'DIR' },
      layout: {
        type: 'string',
        description: 'for an empty folder: schemagate, flyway, golang-migrate, dbmate, sqlx or goose',
        value: 'LAYOUT',
      },
      sequence: { type: 'boolean', description: 'for an empty folder: number 001, 002, ... (the layout’s own width)' },
      timestamp: { type: 'boolean', description: 'for an empty folder: number by UTC time, YYYYMMDDHHMMSS' },
    },
    positionals: Number.POSITIVE_INFINITY,
    async run(c) {
      const { LAYOUTS, defaultShape, detectLayout, newMigrationFiles, nextVersion, slug, writeNewMigration } =
        await import('../engine/new-migration.js');
      const name = slug(c.args.positionals.join(' '));
      if (!name)
        throw new UsageError(
          c.args.positionals.length
            ? `"${c.args.positionals.join(' ')}" has no letters or digits to name a file with`
            : `${prefix} needs a NAME`,
          `Example: ${prefix} add_user_notes`,
        );
      const layoutFlag = str(c.args, 'layout');
      if (layoutFlag !== undefined && !(LAYOUTS as readonly string[]).includes(layoutFlag))
        throw new UsageError(`--layout ${layoutFlag}: expected one of ${LAYOUTS.join(', ')}`);
      if (flag(c.args, 'sequence') && flag(c.args, 'timestamp'))
        throw new UsageError('--sequence and --timestamp: give one of them');
      const numbering = flag(c.args, 'sequence') ? 'sequence' : flag(c.args, 'timestamp') ? 'timestamp' : undefined;

      const config = configFrom(c.args, c.env);
      const dir = resolve(str(c.args, 'migrations') ?? resolve(config.root, config.migrations.dir));
      const found = detectLayout(dir, config.migrations.format);
      if (found && layoutFlag !== undefined && layoutFlag !== found.layout)
        throw new UsageError(
          `--layout ${layoutFlag}, but the folder's newest migration ${found.from} is in the ${found.layout} layout`,
          `Leave out --layout: new migrations follow the folder's layout (${found.layout}).`,
        );
      if (found && numbering !== undefined && numbering !== found.numbering.kind)
        throw new UsageError(
          `--${numbering}, but the folder numbers its migrations by ${found.numbering.kind === 'timestamp' ? 'timestamp' : 'sequence number'} (${found.from})`,
          `Leave out --${numbering}: mixing the two orders migrations by accident.`,
        );
      const shape =
        found ??
        defaultShape(
          (layoutFlag as (typeof LAYOUTS)[number] | undefined) ??
            (config.migrations.format === 'flyway' ? 'flyway' : 'schemagate'),
          numbering,
        );
      const version = nextVersion(shape, new Date());
      const paths = writeNewMigration(dir, newMigrationFiles(shape, name, version));
      c.out.progress(
        found
          ? `${shape.layout} layout, ${shape.numbering.kind === 'timestamp' ? 'timestamps' : 'sequence numbers'} (as ${found.from})`
          : `an empty folder: ${shape.layout} layout, ${shape.numbering.kind === 'timestamp' ? 'timestamps' : 'sequence numbers'}`,
      );
      c.out.data({ layout: shape.layout, numbering: shape.numbering.kind, version, files: paths });
      for (const p of paths) c.out.result(`created ${p}`);
      return ExitCode.ok;
    },
  };
}
