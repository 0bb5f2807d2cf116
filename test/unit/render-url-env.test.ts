import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { V1Container, V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import {
  renderBackend,
  renderDbJob,
  renderMigrationJob,
  renderResetJob,
  renderSeedJob,
} from '../../src/kube/render/index.js';
import { schemaProblems } from './k8s-schema.js';
import { sampleFiles } from '../support/job-files.js';

// database.urlEnv names the variable schemagate's CLI reads the database URL from; the containers that run it get
// the URL under that name. https://kubernetes.io/docs/tasks/inject-data-application/distribute-credentials-secure/#define-container-environment-variables-using-secret-data
const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const withConfig = (yaml: string, root = repo): Config => parseConfig(yaml, 'test.yaml', root);
const appDb = withConfig('database: { urlEnv: APP_DB_URL }');
const main = (job: V1Job): V1Container => job.spec!.template.spec!.containers[0]!;
const secretRef = (name: string, variable = 'APP_DB_URL') => ({
  name: variable,
  valueFrom: { secretKeyRef: { name, key: 'DATABASE_URL' } },
});

describe('database.urlEnv', () => {
  it('is the variable the migration, seed, reset and one-off db Jobs read the URL from, and the only one', () => {
    const jobs = [
      renderMigrationJob(appDb, { files: sampleFiles, migrationChecksums: ['c1'] }),
      renderSeedJob(appDb, { files: sampleFiles, seedChecksums: ['s1'] }),
      renderResetJob(appDb, { nonce: 'n' }),
      renderDbJob(appDb, { files: sampleFiles, command: 'status', nonce: 'n' }),
    ];
    for (const job of jobs) {
      // The URL, and (for those that read files) the manifest of the files the pod must see.
      expect(
        main(job).env!.filter((e) => e.name !== 'SCHEMAGATE_EXPECTED_FILES'),
        job.metadata!.name,
      ).toEqual([secretRef('schemagate-migrator')]);
      expect(schemaProblems(job)).toEqual([]);
    }
  });

  it("is what the backend's own containers read; the application's container keeps its variable, pointed at the app Secret", () => {
    const root = mkdtempSync(join(tmpdir(), 'schemagate-urlenv-'));
    mkdirSync(join(root, 'k8s'));
    writeFileSync(
      join(root, 'k8s/backend.yaml'),
      `apiVersion: apps/v1
kind: Deployment
metadata: { name: backend }
spec:
  selector: { matchLabels: { app: backend } }
  template:
    metadata: { labels: { app: backend } }
    spec:
      initContainers:
        - name: verify-schema
          image: schemagate:dev
          args: ["db", "verify"]
          env:
            - { name: LOG, value: "1" }
            - { name: DATABASE_URL, valueFrom: { secretKeyRef: { name: other, key: DATABASE_URL } } }
      containers:
        - name: app
          image: acme/app:1
          env:
            - { name: DATABASE_URL, valueFrom: { secretKeyRef: { name: other, key: DATABASE_URL } } }
`,
    );
    const config = withConfig('database: { urlEnv: APP_DB_URL }\nkubernetes: { manifests: k8s }', root);
    const pod = renderBackend(config).deployment.spec!.template.spec!;
    expect(pod.initContainers![0]!.env).toEqual([{ name: 'LOG', value: '1' }, secretRef('schemagate-app')]);
    expect(pod.containers[0]!.env).toEqual([secretRef('schemagate-app', 'DATABASE_URL')]);
  });

  it("is what the initContainer mode's migrate container reads", () => {
    const config = withConfig('database: { urlEnv: APP_DB_URL }\nkubernetes: { migration: { mode: initContainer } }');
    const init = renderBackend(config).deployment.spec!.template.spec!.initContainers!;
    expect(init.map((c) => [c.name, c.env?.map((e) => e.name)])).toEqual([
      ['migrate', ['APP_DB_URL']],
      ['wait-for-db', ['APP_DB_URL']],
      ['verify-schema', ['APP_DB_URL']],
    ]);
  });

  it('left at its default, renders the same Jobs as before it existed (DATABASE_URL, same names)', () => {
    const plain = withConfig('');
    const explicit = withConfig('database: { urlEnv: DATABASE_URL }');
    const a = renderMigrationJob(plain, { files: sampleFiles, migrationChecksums: ['c1'] });
    expect(main(a).env![0]).toEqual(secretRef('schemagate-migrator', 'DATABASE_URL'));
    expect(renderMigrationJob(explicit, { files: sampleFiles, migrationChecksums: ['c1'] }).metadata!.name).toBe(
      a.metadata!.name,
    );
    expect(renderMigrationJob(appDb, { files: sampleFiles, migrationChecksums: ['c1'] }).metadata!.name).not.toBe(
      a.metadata!.name,
    );
  });
});

describe('renderDbJob', () => {
  it("runs db <command> --json once, from the migration Job's template and Secret, labelled by its command, gone after 5 minutes", () => {
    const job = renderDbJob(withConfig(''), {
      files: sampleFiles,
      command: 'verify',
      nonce: 'abc',
      image: 'schemagate:x',
    });
    expect(job.metadata!.name).toMatch(/^schemagate-verify-[0-9a-f]{10}$/);
    expect(job.metadata!.labels).toMatchObject({
      'schemagate.dev/job': 'verify',
      'app.kubernetes.io/name': 'schemagate',
    });
    expect(job.spec!.template.metadata!.labels).toMatchObject({ 'schemagate.dev/job': 'verify' });
    expect(main(job)).toMatchObject({
      name: 'migrate',
      image: 'schemagate:x',
      args: ['db', 'verify', '--json', '--config', 'schemagate.yaml'],
    });
    expect(job.spec).toMatchObject({ backoffLimit: 0, ttlSecondsAfterFinished: 300 });
    expect(job.spec!.podFailurePolicy).toBeUndefined();
    expect(job.spec!.suspend).toBeUndefined();
    expect(
      renderDbJob(withConfig(''), { files: sampleFiles, command: 'verify', nonce: 'abd', image: 'schemagate:x' })
        .metadata!.name,
    ).not.toBe(job.metadata!.name);
    expect(schemaProblems(job)).toEqual([]);
  });
});
