import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../src/config/load.js';
import { ExitCode } from '../../src/errors.js';
import { exitCodeForSqlState } from '../../src/engine/failure-class.js';
import { renderFilesConfigMap } from '../../src/kube/render/files.js';
import { podConfigYaml } from '../../src/kube/render/pod-config.js';
import { isSafeRelativePath, packBundle, unpackBundle } from '../../src/util/file-bundle.js';
import {
  diffFileSets,
  encodeManifest,
  manifestDigest,
  parseManifest,
  type FileManifest,
} from '../../src/util/file-manifest.js';
import { jobFilesOf, sampleFiles } from '../support/job-files.js';
import { thrown } from '../support/thrown.js';
import { schemaProblems } from './k8s-schema.js';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const config = defaultConfig(repo);

describe('the file manifest a Job carries', () => {
  const m: FileManifest = {
    image: 'schemagate:dev',
    source: 'image',
    migrations: { '002_b.sql': 'bb', '001_a.sql': 'aa' },
  };

  it('encodes canonically (files in name order) and reads back', () => {
    const text = encodeManifest(m);
    expect(text).toBe('{"image":"schemagate:dev","source":"image","migrations":{"001_a.sql":"aa","002_b.sql":"bb"}}');
    expect(parseManifest(text)).toEqual(m);
  });

  it('has a digest of its files only: the same for another image, different for another file', () => {
    expect(manifestDigest(m)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(manifestDigest({ ...m, image: 'other' })).toBe(manifestDigest(m));
    expect(manifestDigest({ ...m, migrations: { ...m.migrations, '001_a.sql': 'ab' } })).not.toBe(manifestDigest(m));
    expect(manifestDigest({ seeds: m.migrations })).not.toBe(manifestDigest({ migrations: m.migrations }));
  });

  it('is refused when it is not one', () => {
    for (const text of ['', 'nope', '[]', '{"migrations":[1]}', '{"migrations":{"a":1}}', '{"source":"disk"}'])
      expect(parseManifest(text), text).toBeUndefined();
  });

  it('tells added, removed and changed files apart, each list in name order', () => {
    expect(diffFileSets({ a: '1', b: '2', c: '3' }, { b: '2', c: 'x', d: '4', 0: '0' })).toEqual({
      added: ['a'],
      removed: ['0', 'd'],
      changed: ['c'],
    });
    expect(diffFileSets({ a: '1' }, { a: '1' })).toEqual({ added: [], removed: [], changed: [] });
  });
});

describe('file bundles', () => {
  const files = new Map([
    ['schemagate.yaml', Buffer.from('migrations: {}\n')],
    ['migrations/001_a.sql', Buffer.from('SELECT 1;\n')],
  ]);

  it('pack to the same bytes for the same files, in any order, and unpack to them', () => {
    const a = packBundle(files);
    expect(packBundle(new Map([...files].reverse()))).toEqual(a);
    expect(a[9]).toBe(255); // the gzip header's OS byte: "unknown" on every platform
    expect(unpackBundle(a)).toEqual(files);
  });

  it('refuse paths that leave their folder, and what is not a bundle', () => {
    for (const p of ['../x', '/etc/passwd', 'a/../b', 'a//b', '', 'a\\b', './a'])
      expect(isSafeRelativePath(p), p).toBe(false);
    expect(isSafeRelativePath('migrations/001_a.sql')).toBe(true);
    expect(() => unpackBundle(Buffer.from('plain'))).toThrow(/^not a gzip-compressed JSON bundle: /);
    const evil = JSON.parse(gunzipSync(packBundle(files)).toString()) as { files: Record<string, string> };
    evil.files['../escape'] = '';
    expect(() => unpackBundle(gzipSync(JSON.stringify({ format: 'schemagate-files/v1', files: evil.files })))).toThrow(
      'bad entry "../escape"',
    );
  });
});

describe("the ConfigMap of a Job's files", () => {
  it("holds the files read by the Job as plain keys, mapped to their paths, with the pod's settings; immutable, named by its content", () => {
    const { configMap, layout } = renderFilesConfigMap(config, 'migrate', sampleFiles, 'app');
    expect(configMap.metadata!.name).toMatch(/^schemagate-files-[0-9a-f]{10}$/);
    expect(configMap.immutable).toBe(true);
    expect(Object.keys(configMap.data!)).toEqual([
      'schemagate.yaml',
      'migrations.001_create_users.sql',
      'migrations.002_add_name.sql',
      'migrations.003_index.sql',
    ]);
    expect(layout).toEqual({
      kind: 'plain',
      items: [
        { key: 'schemagate.yaml', path: 'schemagate.yaml' },
        { key: 'migrations.001_create_users.sql', path: 'migrations/001_create_users.sql' },
        { key: 'migrations.002_add_name.sql', path: 'migrations/002_add_name.sql' },
        { key: 'migrations.003_index.sql', path: 'migrations/003_index.sql' },
      ],
    });
    expect(schemaProblems(configMap)).toEqual([]);
    // The seed Job reads the seeds and the migrations: another ConfigMap.
    const seed = renderFilesConfigMap(config, 'seed', sampleFiles, 'app').configMap;
    expect(Object.keys(seed.data!)).toContain('seeds.001_users.sql');
    expect(seed.metadata!.name).not.toBe(configMap.metadata!.name);
    expect(renderFilesConfigMap(config, 'verify', sampleFiles, 'app').configMap.metadata!.name).toBe(
      configMap.metadata!.name,
    );
  });

  it('compresses large sets, and names with characters a key cannot hold, into one gzip bundle', () => {
    const big = jobFilesOf({ '001_big.sql': `-- ${'x'.repeat(300 * 1024)}\nSELECT 1;\n` });
    const r = renderFilesConfigMap(config, 'migrate', big, 'app');
    expect(r.layout).toEqual({ kind: 'bundle' });
    expect(Object.keys(r.configMap.binaryData!)).toEqual(['files.json.gz']);
    expect(r.configMap.data).toBeUndefined();
    const unpacked = unpackBundle(Buffer.from(r.configMap.binaryData!['files.json.gz']!, 'base64'));
    expect([...unpacked.keys()]).toEqual(['migrations/001_big.sql', 'schemagate.yaml']);
    const spaced = renderFilesConfigMap(config, 'migrate', jobFilesOf({ '001_a b.sql': 'SELECT 1;\n' }), 'app');
    expect(spaced.layout).toEqual({ kind: 'bundle' });
  });

  it("is refused past the API server's 1 MiB, naming the size and the way out", () => {
    // Random bytes do not compress.
    const noise = randomBytes(1100 * 1024);
    const files = { migrations: [{ name: '001_noise.sql', bytes: noise, checksum: 'ab'.repeat(32) }], seeds: [] };
    const err = thrown(() => renderFilesConfigMap(config, 'migrate', files, 'app'));
    expect(err.exitCode).toBe(ExitCode.config);
    expect(err.message).toMatch(
      /^the migrations files are 1\.07 MiB, 1\.\d\d MiB compressed: more than a ConfigMap holds \(1\.00 MiB, the API server's limit\)$/,
    );
    expect(err.hint).toMatch(
      /^Deliver them in the image instead: kubernetes\.migration\.source: image in schemagate\.yaml/,
    );
  });
});

describe("the pod's schemagate.yaml", () => {
  it('holds the settings its db commands read, and reads back to the same ones, without the database URL', () => {
    const c = parseConfig(
      [
        'database: { url: "postgres://u:topsecret@h/db", urlEnv: APP_URL, applicationName: app, connectTimeout: 3s }',
        'migrations: { dir: db/migrations, format: flyway, schema: app, table: hist, lockTimeout: 2s, lockRetries: 1, statementTimeout: 1m, lockWait: 10s, outOfOrder: true }',
        'seeds: { dir: db/seeds }',
        'verify: { tables: [users, { name: app.profiles, columns: [id] }] }',
      ].join('\n'),
      'schemagate.yaml',
      repo,
    );
    const text = podConfigYaml(c);
    expect(text).not.toContain('topsecret');
    const back = parseConfig(text, 'schemagate.yaml', '/schemagate');
    expect(back.database).toEqual({ ...c.database, url: undefined });
    expect({ ...back.migrations, dir: undefined }).toEqual({ ...c.migrations, dir: undefined });
    expect(back.migrations.dir).toBe('/schemagate/db/migrations');
    expect(back.seeds.dir).toBe('/schemagate/db/seeds');
    expect(back.verify).toEqual(c.verify);
  });
});

describe('the exit code of an SQLSTATE', () => {
  it('is transient (14) for what passes, connection (5) for a server going away, migration (6) for the rest', () => {
    const codes = Object.fromEntries(
      ['55P03', '40001', '40P01', '53300', '57P01', '08006', '42601', '23505', '42P01'].map((s) => [
        s,
        exitCodeForSqlState(s),
      ]),
    );
    expect(codes).toEqual({
      '55P03': 14,
      '40001': 14,
      '40P01': 14,
      '53300': 14,
      '57P01': 5,
      '08006': 5,
      '42601': 6,
      '23505': 6,
      '42P01': 6,
    });
  });

  it('tells a statement timeout (14) from a query another session cancelled on purpose (6): both are 57014', () => {
    expect(exitCodeForSqlState('57014', 'canceling statement due to statement timeout')).toBe(14);
    expect(exitCodeForSqlState('57014', 'canceling statement due to user request')).toBe(6);
  });
});
