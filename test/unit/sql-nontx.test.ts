import { describe, expect, it } from 'vitest';
import { findNonTransactional, findTransactionControl } from '../../src/engine/sql/nontx.js';
import { splitStatements } from '../../src/engine/sql/splitter.js';

const reasons = (sql: string): string[] => findNonTransactional(splitStatements(sql)).map((f) => f.reason);
const reasonOf = (sql: string): string | undefined => reasons(sql)[0];
const control = (sql: string): string[] => findTransactionControl(splitStatements(sql)).map((f) => f.keyword);

describe('findNonTransactional', () => {
  it('finds CREATE [UNIQUE] INDEX CONCURRENTLY and reports the statement index', () => {
    const sql =
      'CREATE TABLE t (x int);\ncreate unique index concurrently if not exists i on t (x);\nCREATE INDEX CONCURRENTLY ON t (x);';
    expect(findNonTransactional(splitStatements(sql))).toEqual([
      { index: 1, reason: 'CREATE INDEX CONCURRENTLY cannot run inside a transaction block' },
      { index: 2, reason: 'CREATE INDEX CONCURRENTLY cannot run inside a transaction block' },
    ]);
  });

  it('matches keywords across comments and line breaks', () => {
    expect(reasonOf('CREATE /* c */ INDEX\n-- why\n  CONCURRENTLY i ON t (x)')).toBe(
      'CREATE INDEX CONCURRENTLY cannot run inside a transaction block',
    );
  });

  it('is not fooled by keywords in strings, quoted identifiers, dollar quotes or comments', () => {
    expect(
      reasons(`INSERT INTO notes VALUES ('CREATE INDEX CONCURRENTLY i ON t (x)');
CREATE INDEX "concurrently" ON t (x);
-- VACUUM t;
/* DROP DATABASE prod; */
DO $$ BEGIN EXECUTE 'VACUUM'; END $$;
SELECT $q$ALTER SYSTEM SET x = 1$q$;
CREATE TABLE vacuum_log (id int);`),
    ).toEqual([]);
  });

  it('finds DROP INDEX CONCURRENTLY', () => {
    expect(reasonOf('DROP INDEX CONCURRENTLY IF EXISTS i')).toBe(
      'DROP INDEX CONCURRENTLY cannot run inside a transaction block',
    );
    expect(reasons('DROP INDEX i')).toEqual([]);
  });

  it('finds REINDEX CONCURRENTLY in either syntax, and REINDEX SCHEMA, DATABASE and SYSTEM', () => {
    expect(reasonOf('REINDEX TABLE CONCURRENTLY t')).toBe('REINDEX CONCURRENTLY cannot run inside a transaction block');
    expect(reasonOf('REINDEX (VERBOSE, CONCURRENTLY) INDEX i')).toBe(
      'REINDEX CONCURRENTLY cannot run inside a transaction block',
    );
    expect(reasonOf('REINDEX SCHEMA app')).toBe('REINDEX SCHEMA cannot run inside a transaction block');
    expect(reasonOf('reindex database app')).toBe('REINDEX DATABASE cannot run inside a transaction block');
    expect(reasonOf('REINDEX (VERBOSE) SYSTEM')).toBe('REINDEX SYSTEM cannot run inside a transaction block');
    expect(reasons('REINDEX TABLE t; REINDEX (CONCURRENTLY false) INDEX i')).toEqual([]);
  });

  it('finds database, tablespace and system commands', () => {
    expect(
      reasons(
        "CREATE DATABASE app; DROP DATABASE IF EXISTS old; ALTER DATABASE app SET TABLESPACE fast; CREATE TABLESPACE fast LOCATION '/x'; DROP TABLESPACE slow; ALTER SYSTEM SET work_mem = '64MB'",
      ),
    ).toEqual([
      'CREATE DATABASE cannot run inside a transaction block',
      'DROP DATABASE cannot run inside a transaction block',
      'ALTER DATABASE ... SET TABLESPACE cannot run inside a transaction block',
      'CREATE TABLESPACE cannot run inside a transaction block',
      'DROP TABLESPACE cannot run inside a transaction block',
      'ALTER SYSTEM cannot run inside a transaction block',
    ]);
    expect(reasons('ALTER DATABASE app SET search_path = app; ALTER TABLESPACE fast OWNER TO me')).toEqual([]);
  });

  it('finds VACUUM in any form but not ANALYZE', () => {
    expect(reasons('VACUUM; VACUUM FULL t; VACUUM (VERBOSE, ANALYZE) t; vacuum analyze')).toHaveLength(4);
    expect(reasons('ANALYZE t')).toEqual([]);
  });

  it('finds subscription commands that connect to the publisher', () => {
    expect(reasonOf("CREATE SUBSCRIPTION s CONNECTION 'host=p' PUBLICATION pub")).toBe(
      'CREATE SUBSCRIPTION cannot run inside a transaction block when it creates a replication slot (add WITH (create_slot = false) or mark the file no-transaction)',
    );
    expect(reasons("CREATE SUBSCRIPTION s CONNECTION 'host=p' PUBLICATION pub WITH (create_slot = false)")).toEqual([]);
    expect(reasons("CREATE SUBSCRIPTION s CONNECTION 'host=p' PUBLICATION pub WITH (connect = false)")).toEqual([]);
    expect(reasonOf('DROP SUBSCRIPTION s')).toBe(
      'DROP SUBSCRIPTION cannot run inside a transaction block when the subscription has a replication slot',
    );
    expect(reasonOf('ALTER SUBSCRIPTION s REFRESH PUBLICATION')).toBe(
      'ALTER SUBSCRIPTION ... REFRESH PUBLICATION cannot run inside a transaction block',
    );
    expect(reasonOf('ALTER SUBSCRIPTION s ADD PUBLICATION p2')).toBe(
      'ALTER SUBSCRIPTION ... ADD PUBLICATION cannot run inside a transaction block unless WITH (refresh = false)',
    );
    expect(
      reasons(
        'ALTER SUBSCRIPTION s SET PUBLICATION p2 WITH (refresh = false); ALTER SUBSCRIPTION s DISABLE; ALTER SUBSCRIPTION s OWNER TO me',
      ),
    ).toEqual([]);
  });

  it('finds ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY but not a plain detach', () => {
    expect(reasonOf('ALTER TABLE ONLY measurements DETACH PARTITION m2020 CONCURRENTLY')).toBe(
      'ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY cannot run inside a transaction block',
    );
    expect(reasons('ALTER TABLE measurements DETACH PARTITION m2020')).toEqual([]);
  });

  it('finds CLUSTER without a table name only', () => {
    expect(reasons('CLUSTER; CLUSTER VERBOSE; CLUSTER (VERBOSE)')).toEqual([
      'CLUSTER without a table name cannot run inside a transaction block',
      'CLUSTER without a table name cannot run inside a transaction block',
      'CLUSTER without a table name cannot run inside a transaction block',
    ]);
    expect(reasons('CLUSTER t USING i; CLUSTER VERBOSE t; CLUSTER "t"')).toEqual([]);
  });

  it('finds DISCARD ALL but not other DISCARD forms', () => {
    expect(reasons('DISCARD ALL; DISCARD PLANS; DISCARD TEMP')).toEqual([
      'DISCARD ALL cannot run inside a transaction block',
    ]);
  });

  it('leaves ordinary DDL and REFRESH MATERIALIZED VIEW CONCURRENTLY alone', () => {
    expect(
      reasons(`CREATE TABLE t (id int);
CREATE INDEX i ON t (id);
ALTER TABLE t ADD COLUMN concurrently int;
REFRESH MATERIALIZED VIEW CONCURRENTLY mv;
ALTER TYPE mood ADD VALUE 'meh';
CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END;`),
    ).toEqual([]);
  });
});

describe('findTransactionControl', () => {
  it('finds BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK and ABORT with their statement index', () => {
    const sql =
      'BEGIN; SELECT 1; COMMIT; begin transaction isolation level serializable; END; START TRANSACTION; ROLLBACK; ABORT';
    expect(findTransactionControl(splitStatements(sql))).toEqual([
      { index: 0, keyword: 'BEGIN' },
      { index: 2, keyword: 'COMMIT' },
      { index: 3, keyword: 'BEGIN' },
      { index: 4, keyword: 'END' },
      { index: 5, keyword: 'START TRANSACTION' },
      { index: 6, keyword: 'ROLLBACK' },
      { index: 7, keyword: 'ABORT' },
    ]);
  });

  it('names savepoint rollbacks and two-phase commands', () => {
    expect(
      control(
        "ROLLBACK TO SAVEPOINT a; ROLLBACK WORK TO a; PREPARE TRANSACTION 'x'; COMMIT PREPARED 'x'; ROLLBACK PREPARED 'y'; COMMIT AND CHAIN",
      ),
    ).toEqual([
      'ROLLBACK TO SAVEPOINT',
      'ROLLBACK TO SAVEPOINT',
      'PREPARE TRANSACTION',
      'COMMIT PREPARED',
      'ROLLBACK PREPARED',
      'COMMIT',
    ]);
  });

  it('ignores SAVEPOINT, RELEASE, prepared statements and SET TRANSACTION', () => {
    expect(
      control('SAVEPOINT a; RELEASE SAVEPOINT a; PREPARE q AS SELECT 1; SET TRANSACTION ISOLATION LEVEL SERIALIZABLE'),
    ).toEqual([]);
  });

  it('does not count BEGIN and COMMIT inside DO blocks, function bodies, strings or comments', () => {
    expect(
      control(`DO $$ BEGIN PERFORM 1; END $$;
CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $fn$ BEGIN COMMIT; END $fn$;
CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END;
SELECT 'BEGIN';
-- COMMIT;
/* ROLLBACK; */ SELECT "end" FROM t`),
    ).toEqual([]);
  });
});
