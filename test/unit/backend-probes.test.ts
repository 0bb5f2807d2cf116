import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../src/config/load.js';
import { ExitCode } from '../../src/errors.js';
import { renderBackend } from '../../src/kube/render/index.js';
import { thrown } from '../support/thrown.js';

// Liveness restarts a container, readiness only takes it out of the Service:
// https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/
// ("A liveness probe ... should not depend on ... external dependencies"; a failed readiness probe does not restart).
const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));

describe("the backend's probes", () => {
  it('are liveness on /livez (the process only) and readiness on /health (db verify) in the built-in manifest', () => {
    const main = renderBackend(defaultConfig(repo)).deployment.spec!.template.spec!.containers[0]!;
    expect(main.livenessProbe?.httpGet).toEqual({ path: '/livez', port: 'http' });
    expect(main.readinessProbe?.httpGet).toEqual({ path: '/health', port: 'http' });
  });

  it('refuse a liveness probe on /health, which would restart every pod when the database is down', () => {
    const root = mkdtempSync(join(tmpdir(), 'schemagate-probes-'));
    cpSync(join(repo, 'k8s'), join(root, 'k8s'), { recursive: true });
    const backend = readFileSync(join(root, 'k8s/backend.yaml'), 'utf8');
    writeFileSync(join(root, 'k8s/backend.yaml'), backend.replace('path: /livez', 'path: /health'));
    const err = thrown(() => renderBackend(parseConfig('', 'test.yaml', root)));
    expect(err.exitCode).toBe(ExitCode.config);
    expect(err.message).toBe(
      'k8s/backend.yaml, document 1: container "backend": livenessProbe is on /health, which checks the database: a database outage would restart every pod. Point the livenessProbe at /livez (the process only) and keep /health for the readinessProbe',
    );
  });
});
