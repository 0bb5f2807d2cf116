import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { defaultConfig, loadConfig, parseConfig } from '../../src/config/load.js';
import { thrown } from '../support/thrown.js';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'schemagate-config-'));
}

describe('loadConfig', () => {
  it('uses every default when there is no schemagate.yaml', () => {
    const dir = tempDir();
    const config = loadConfig({ cwd: dir, env: {} });
    expect(config.file).toBeUndefined();
    expect(config.root).toBe(dir);
    expect(config).toEqual(defaultConfig(dir));
    expect(config.migrations.dir).toBe(join(dir, 'migrations'));
    expect(config.kubernetes.migrationJob.backoffLimit).toBe(3);
    expect(config.kubernetes.seedJob.backoffLimit).toBe(1);
    expect(config.kubernetes.backend.secret).toEqual({ name: 'schemagate-app', key: 'DATABASE_URL' });
    expect(config.kubernetes.migrationJob.resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { memory: '256Mi' },
    });
  });

  it('reads schemagate.yaml from the working directory and resolves its directories against it', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'schemagate.yaml'), 'migrations: { dir: db/migrations }\n');
    const config = loadConfig({ cwd: dir, env: {} });
    expect(config.file).toBe(join(dir, 'schemagate.yaml'));
    expect(config.migrations.dir).toBe(join(dir, 'db/migrations'));
  });

  it('resolves directories against the directory of a file given with --config, not the working directory', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'deploy'));
    writeFileSync(join(dir, 'deploy', 'sg.yaml'), 'seeds: { dir: ../seeds }\nlocal: { dataDir: /var/sg }\n');
    const config = loadConfig({ cwd: dir, file: 'deploy/sg.yaml', env: {} });
    expect(config.root).toBe(join(dir, 'deploy'));
    expect(config.seeds.dir).toBe(join(dir, 'seeds'));
    expect(config.migrations.dir).toBe(join(dir, 'deploy', 'migrations'));
    expect(config.local.dataDir).toBe('/var/sg');
  });

  it('names a file given with --config that does not exist', () => {
    const e = thrown(() => loadConfig({ cwd: tempDir(), file: 'conf/missing.yaml', env: {} }));
    expect(e.exitCode).toBe(ExitCode.config);
    expect(e.code).toBe('config-not-found');
    expect(e.message).toBe('conf/missing.yaml: the configuration file named by the --config option does not exist.');
    expect(e.hint).toBe(
      'Check the path (it is relative to the working directory), or leave out --config to read schemagate.yaml from the current directory.',
    );
  });

  it('reads the file named by SCHEMAGATE_CONFIG, which must exist too', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'other.yaml'), 'local: { port: 6000 }\n');
    expect(loadConfig({ cwd: dir, env: { SCHEMAGATE_CONFIG: 'other.yaml' } }).local.port).toBe(6000);
    expect(thrown(() => loadConfig({ cwd: dir, env: { SCHEMAGATE_CONFIG: 'nope.yaml' } })).message).toBe(
      'nope.yaml: the configuration file named by SCHEMAGATE_CONFIG does not exist.',
    );
  });

  it('prefers --config over SCHEMAGATE_CONFIG', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), 'local: { port: 6001 }\n');
    expect(loadConfig({ cwd: dir, file: 'a.yaml', env: { SCHEMAGATE_CONFIG: 'b.yaml' } }).local.port).toBe(6001);
  });

  it('says so when --config names a directory', () => {
    const dir = tempDir();
    const e = thrown(() => loadConfig({ cwd: dir, file: '.', env: {} }));
    expect(e.message).toBe(`${dir}: cannot read the configuration file (EISDIR).`);
    expect(e.hint).toBe('Point --config at the YAML file, not at its directory.');
  });

  it('names the file relative to the working directory in validation errors', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'deploy'));
    writeFileSync(join(dir, 'deploy', 'sg.yaml'), 'local: { port: 0 }\n');
    expect(thrown(() => loadConfig({ cwd: dir, file: 'deploy/sg.yaml', env: {} })).message).toBe(
      'deploy/sg.yaml: 1 problem in the configuration:\n  - local.port: expected an integer between 1 and 65535, found 0',
    );
  });
});

describe("the repository's schemagate.yaml", () => {
  const config = loadConfig({ cwd: repo, env: {} });

  it('loads without problems', () => {
    expect(config.file).toBe(join(repo, 'schemagate.yaml'));
  });

  it('shows the defaults, apart from the tables the sample application needs, where its lint gate starts and its Redis', () => {
    const d = defaultConfig(repo);
    expect(config.lint.since).toBe('4');
    expect(config.backend.dependencies).toEqual([{ url: 'redis://redis:6379', local: false, password: undefined }]);
    expect({
      ...config,
      file: undefined,
      verify: { tables: [] },
      lint: { ...config.lint, since: undefined },
      backend: { ...config.backend, dependencies: [] },
    }).toEqual(d);
  });

  it('lists the tables and columns of the sample application', () => {
    expect(config.verify.tables).toEqual([
      {
        name: 'users',
        columns: ['id', 'username', 'password_hash', 'created_at', 'last_password_change', 'email', 'email_verified'],
      },
      { name: 'user_profiles', columns: ['id', 'user_id', 'name', 'location', 'bio', 'created_at', 'updated_at'] },
    ]);
    expect(config.kubernetes.context).toBeUndefined();
    expect(config.kubernetes.migrationJob.secret.name).toBe('schemagate-migrator');
    expect(config.kubernetes.backend.secret.name).toBe('schemagate-app');
  });
});

describe('parseConfig', () => {
  const parse = (yaml: string) => parseConfig(yaml, 'schemagate.yaml', '/app');

  it('treats an empty file, a file of comments and empty sections as all defaults', () => {
    const defaults = defaultConfig('/app');
    for (const yaml of ['', '# nothing yet\n', 'migrations:\nkubernetes:\n  migration:\n']) {
      expect({ ...parse(yaml), file: undefined }).toEqual(defaults);
    }
  });

  it('maps the YAML names onto the parsed types and converts durations to milliseconds', () => {
    const c = parse(
      [
        'database: { url: "postgresql://app@db/app", urlEnv: APP_DB, connectTimeout: 1.5s }',
        'migrations: { lockTimeout: 500ms, statementTimeout: 1h, lockWait: 5000, format: flyway }',
        'kubernetes:',
        '  manifests: deploy/k8s',
        '  timeout: 5m',
        '  migration: { mode: initContainer, backoffLimit: 0 }',
      ].join('\n'),
    );
    expect(c.database).toEqual({
      url: 'postgresql://app@db/app',
      urlEnv: 'APP_DB',
      applicationName: 'schemagate',
      connectTimeoutMs: 1500,
    });
    expect(c.migrations).toMatchObject({
      lockTimeoutMs: 500,
      statementTimeoutMs: 3_600_000,
      lockWaitMs: 5000,
      format: 'flyway',
    });
    expect(c.kubernetes).toMatchObject({
      manifestsDir: '/app/deploy/k8s',
      timeoutMs: 300_000,
      migrationMode: 'initContainer',
    });
    expect(c.kubernetes.migrationJob.backoffLimit).toBe(0);
  });

  it('defaults managedSchemas to the history schema', () => {
    expect(parse('migrations: { schema: app }').migrations.managedSchemas).toEqual(['app']);
    expect(parse('migrations: { schema: app, managedSchemas: [app, audit] }').migrations.managedSchemas).toEqual([
      'app',
      'audit',
    ]);
  });

  it('keeps the other resource defaults when one is set, and reads numbers as CPU quantities', () => {
    const c = parse('kubernetes: { seed: { resources: { requests: { cpu: 0.5 }, limits: { cpu: 1 } } } }');
    expect(c.kubernetes.seedJob.resources).toEqual({
      requests: { cpu: '0.5', memory: '128Mi' },
      limits: { cpu: '1', memory: '256Mi' },
    });
  });

  it('accepts a table as a name or as a mapping with columns', () => {
    expect(parse('verify: { tables: [users, { name: app.user_profiles, columns: [id] }] }').verify.tables).toEqual([
      { name: 'users', columns: [] },
      { name: 'app.user_profiles', columns: ['id'] },
    ]);
  });

  it('accepts image references with a registry, a port, a path and a digest', () => {
    for (const image of [
      'localhost:5000/team/app:1.2',
      'ghcr.io/org/schemagate@sha256:' + 'a'.repeat(64),
      'kind.local/schemagate',
    ]) {
      expect(parse(`kubernetes: { image: "${image}" }`).kubernetes.image).toBe(image);
    }
  });

  it('gives every configuration its own lists', () => {
    const a = parse('');
    a.kubernetes.allowedContexts.push('prod');
    a.verify.tables.push({ name: 'x', columns: [] });
    expect(parse('').kubernetes.allowedContexts).toEqual([]);
    expect(parse('').verify.tables).toEqual([]);
  });
});
