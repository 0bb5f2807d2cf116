// @ts-check
// ESLint: typescript-eslint's strictTypeChecked rules (the type-aware set that also forbids non-null
// assertions, conditions that cannot be false and loosely typed catch variables: what hides state or
// errors), with Prettier owning the layout (eslint-config-prettier turns the formatting rules off).
import { URL, fileURLToPath } from 'node:url';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';
import { defineConfig } from 'eslint/config';

export default defineConfig(
  {
    ignores: ['dist/**', 'node_modules/**', '.schemagate/**'],
  },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js', 'scripts/*.mjs', 'test/support/*.mjs'] },
        tsconfigRootDir: fileURLToPath(new URL('.', import.meta.url)),
      },
    },
    rules: {
      // Numbers in messages (`${count} attempts`) are what messages are made of; objects and undefined stay errors.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // `(e) => reject(e)` and `(line) => (task.output = line)` read as what they do; braces add nothing.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // `const { name: _omitted, ...rest } = o` is how an object is copied without a key.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    // client-node declares its Kubernetes models (V1Job, V1ObjectMeta, ...) as classes, yet they are plain JSON
    // data: the client accepts object literals and returns parsed JSON, so building and spreading them is right.
    files: ['src/kube/**', 'src/tasks/**', 'src/api/**', 'src/cli/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-misused-spread': 'off',
    },
  },
  {
    // The tests are type-checked with tsconfig.test.json (tsconfig.json, the build's, leaves them out).
    files: ['test/**/*.ts', 'vitest.config.ts'],
    languageOptions: { parserOptions: { projectService: false, project: './tsconfig.test.json' } },
  },
  {
    // The tests build and read client-node's Kubernetes models as JSON, as src/kube does (see above). A test's
    // `result!` on a value it has just asserted on fails as loudly as an assertion would, with a TypeError that names
    // the line, and the code is never shipped.
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-misused-spread': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // The benchmarks index arrays of measurements they have just checked for length, under noUncheckedIndexedAccess;
    // `xs[i]!` there says so, and the code is never shipped.
    files: ['bench/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  prettier,
);
