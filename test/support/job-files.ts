import { checksum, normalizeSql } from '../../src/engine/checksum.js';
import type { JobFiles, SourceFile } from '../../src/kube/render/index.js';

/** Files as the CLI reads them from a checkout (name -> text), for rendering Jobs in tests. */
export function jobFilesOf(migrations: Record<string, string>, seeds: Record<string, string> = {}): JobFiles {
  const files = (set: Record<string, string>): SourceFile[] =>
    Object.entries(set).map(([name, text]) => ({
      name,
      bytes: Buffer.from(text),
      checksum: checksum(normalizeSql(text)),
    }));
  return { migrations: files(migrations), seeds: files(seeds) };
}

/** Three migrations and two seeds. */
export const sampleFiles = jobFilesOf(
  {
    '001_create_users.sql': 'CREATE TABLE users (id int);\n',
    '002_add_name.sql': 'ALTER TABLE users ADD COLUMN name text;\n',
    '003_index.sql': 'CREATE INDEX users_name ON users (name);\n',
  },
  { '001_users.sql': "INSERT INTO users VALUES (1, 'a');\n", '002_more.sql': "INSERT INTO users VALUES (2, 'b');\n" },
);
