// eslint for every TypeScript and JavaScript file of the repository
// (`npm run lint`, part of `npm test`): eslint's and typescript-eslint's
// recommended rules, and eslint-plugin-import's no-cycle, which sees value
// imports between files (test/standalone/layers.test.ts also counts type
// imports and folds files into folders). Rules are turned off only below,
// each with its reason.
import js from '@eslint/js';
import importPlugin from 'eslint-plugin-import';
import tseslint from 'typescript-eslint';

// Node's globals, for the plain JavaScript files (TypeScript knows them from
// @types/node). Listed here rather than taken from the `globals` package,
// which is only a transitive dependency of eslint's.
const nodeGlobals = Object.fromEntries(
  [
    'AbortController',
    'AbortSignal',
    'Buffer',
    'URL',
    'TextDecoder',
    'TextEncoder',
    'clearInterval',
    'clearTimeout',
    'console',
    'fetch',
    'performance',
    'process',
    'queueMicrotask',
    'setImmediate',
    'setInterval',
    'setTimeout',
    'structuredClone',
  ].map((name) => [name, 'readonly']),
);

export default tseslint.config(
  {
    ignores: ['dist/', 'dist.*/', 'build/', 'build-*/', 'native/', 'bench/results/', 'packages/*/dist/', 'coverage/', '.cache/', '.gpu/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { import: importPlugin },
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: nodeGlobals },
    settings: {
      // The repository's TypeScript imports its siblings as './name.js' (NodeNext); this resolver maps them to the .ts files.
      'import/resolver': { [new URL('./scripts/eslint-resolver.cjs', import.meta.url).pathname]: {} },
      'import/parsers': { '@typescript-eslint/parser': ['.ts', '.mts'] },
      'import/extensions': ['.ts', '.mts', '.js', '.mjs', '.cjs'],
    },
    rules: {
      'import/no-cycle': ['error', { ignoreExternal: true }],
      // A leading underscore marks a name kept on purpose: a rest sibling left out of a spread, a callback's unused argument.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // CommonJS files (node-gyp's helper, this config's resolver) load their dependencies with require() by definition.
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { ...nodeGlobals, require: 'readonly', module: 'writable', exports: 'writable', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
