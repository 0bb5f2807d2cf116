import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { cli } from '../support/cli.js';

/** `schemagate render` on the repository's own project: no cluster, no database. */
describe('schemagate render', () => {
  it('prints every object up would submit, in apply order, with Secret values hidden', async () => {
    const r = await cli(['render']);
    expect(r.exitCode, r.all).toBe(0);
    const objects = parseAllDocuments(r.stdout).map(
      (d) => d.toJS() as { kind: string; metadata: { name: string }; stringData?: Record<string, string> },
    );
    expect(objects.map((o) => o.kind)).toEqual([
      'Namespace',
      'Secret',
      'Secret',
      'Secret',
      'ConfigMap',
      'StatefulSet',
      'Service',
      // k8s/redis.yaml: redis://redis:6379 is in backend.dependencies.
      'Deployment',
      'Service',
      'Deployment',
      'Service',
      // Each Job after the ConfigMap of the files it runs (kubernetes.migration.source: configMap).
      'ConfigMap',
      'Job',
      'ConfigMap',
      'Job',
    ]);
    for (const s of objects.filter((o) => o.kind === 'Secret')) {
      for (const v of Object.values(s.stringData ?? {})) expect(v).toBe('<hidden: schemagate render --show-secrets>');
    }
    expect(r.all).not.toMatch(/dev-only|password@/);
  });

  it("prints the Secrets' values only with --show-secrets (for kubectl apply -f -)", async () => {
    const r = await cli(['render', '--show-secrets']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/DATABASE_URL: postgres:\/\/schemagate_migrator:[^@\s]+@postgres:5432\/app/);
  });

  it('names the image and namespace given on the command line in the Jobs', async () => {
    const r = await cli([
      'render',
      '--json',
      '--image',
      'registry.example.test/team/schemagate:abc',
      '--namespace',
      'other',
    ]);
    const objects = JSON.parse(r.stdout) as {
      kind: string;
      metadata: { namespace?: string };
      spec?: { template?: { spec?: { containers?: { image?: string }[] } } };
    }[];
    const jobs = objects.filter((o) => o.kind === 'Job');
    expect(jobs.map((j) => j.spec?.template?.spec?.containers?.[0]?.image)).toEqual([
      'registry.example.test/team/schemagate:abc',
      'registry.example.test/team/schemagate:abc',
    ]);
    expect(jobs.every((j) => j.metadata.namespace === 'other')).toBe(true);
  });
});
