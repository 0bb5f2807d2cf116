import { describe, expect, it } from 'vitest';
import { checkLayers, repoRoot, sourceFiles } from '../support/layers.js';

// The direction of imports in src/ (README "Architecture"): util < config < engine | kube < backend | tasks < api < cli.
describe('the layers of src/', () => {
  const files = sourceFiles(repoRoot);

  it('hold: no file imports a higher layer or a sibling folder, and the engine never loads client-node', () => {
    expect(files.size).toBeGreaterThan(80);
    expect(checkLayers(files)).toEqual([]);
  });

  it('catch a deliberate upward import (the engine importing the CLI), and a folder cycle (config importing the engine)', () => {
    const bad = new Map(files);
    bad.set(
      'src/engine/plan.ts',
      `import { createOutput } from '../cli/output.js';\n${files.get('src/engine/plan.ts')}`,
    );
    bad.set(
      'src/config/load.ts',
      `import type { Clock } from '../engine/lock.js';\n${files.get('src/config/load.ts')}`,
    );
    expect(checkLayers(bad)).toEqual([
      'src/config/load.ts imports src/engine/lock.ts: config (layer 1) may not import engine (layer 2)',
      'src/engine/plan.ts imports src/cli/output.ts: engine (layer 2) may not import cli (layer 6)',
    ]);
  });

  it('catch the engine loading client-node through a lower layer, and not a type-only import of it', () => {
    const bad = new Map(files);
    bad.set(
      'src/util/kube-helper.ts',
      `import { KubeConfig } from '@kubernetes/client-node';\nexport const kc = new KubeConfig();\n`,
    );
    bad.set('src/engine/plan.ts', `import { kc } from '../util/kube-helper.js';\n${files.get('src/engine/plan.ts')}`);
    expect(checkLayers(bad)).toContain(
      'src/engine/plan.ts loads @kubernetes/client-node at run time: src/engine/plan.ts -> src/util/kube-helper.ts -> @kubernetes/client-node',
    );
    const typesOnly = new Map(files);
    typesOnly.set(
      'src/engine/verify.ts',
      `import type { V1Job } from '@kubernetes/client-node';\n${files.get('src/engine/verify.ts')}`,
    );
    expect(checkLayers(typesOnly)).toEqual([]);
  });

  it('name a file that is in no layer', () => {
    const bad = new Map(files);
    bad.set('src/plugins/x.ts', 'export const x = 1;\n');
    expect(checkLayers(bad)).toEqual([
      'src/plugins/x.ts is in no layer: add its folder to LAYERS in test/support/layers.ts',
    ]);
  });
});
