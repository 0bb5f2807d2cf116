import { describe, expect, it } from 'vitest';
import { down } from '../../src/engine/down.js';
import { migrate } from '../../src/engine/migrate.js';
import { engineOpts, migrationsDir } from '../support/engine.js';
import { freshDatabase, rows, tables } from '../support/pg.js';

describe('migration layouts of other tools', () => {
  it('dbmate: applies the up section, reverts with the down section, and runs transaction:false outside a transaction', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({
      '20240101000000_items.sql':
        '-- migrate:up\nCREATE TABLE items (id int, name text);\n\n-- migrate:down\nDROP TABLE items;\n',
      '20240102000000_index.sql':
        '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY items_name ON items (name);\n\n-- migrate:down\nDROP INDEX items_name;\n',
    });
    const r = await migrate(engineOpts(url, dir));
    expect(r.applied.map((a) => [a.version, a.transactional])).toEqual([
      ['20240101000000', true],
      ['20240102000000', false],
    ]);
    expect(await rows(url, `SELECT indexname FROM pg_indexes WHERE tablename = 'items'`)).toEqual([
      { indexname: 'items_name' },
    ]);
    await down(engineOpts(url, dir), { to: '0' });
    expect(await tables(url)).toEqual(['schemagate_migrations']);
  });

  it('Flyway: V1__x.sql and V1.1__y.sql in version order, U files as down scripts', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({
      'V1__create.sql': 'CREATE TABLE f (id int);',
      'V1.1__add.sql': 'ALTER TABLE f ADD COLUMN n int;',
      'U1.1__add.sql': 'ALTER TABLE f DROP COLUMN n;',
      'V2__more.sql': 'CREATE TABLE g (id int);',
    });
    expect((await migrate(engineOpts(url, dir))).applied.map((a) => a.version)).toEqual(['1', '1.1', '2']);
  });

  it('golang-migrate: N_title.up.sql with N_title.down.sql', async () => {
    const url = await freshDatabase();
    const dir = migrationsDir({ '1_t.up.sql': 'CREATE TABLE t (id int);', '1_t.down.sql': 'DROP TABLE t;' });
    await migrate(engineOpts(url, dir));
    await down(engineOpts(url, dir));
    expect(await tables(url)).toEqual(['schemagate_migrations']);
  });
});
