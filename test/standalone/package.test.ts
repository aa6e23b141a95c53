// The package as users import it: the ESM and CJS builds and their types.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

it('exposes the same API to import and require, with .d.ts types', () => {
  for (const f of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/cli.js']) {
    expect(existsSync(join(root, f)), f).toBe(true);
  }
  const names =
    'Scorer,Tokenizer,CappyError,ModelLoadError,TokenizerError,InvalidInputError,QueueFullError,AbortError,DisposedError,forgeModel';
  const esm = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import * as m from 'cappy-engine'; console.log(${JSON.stringify(names)}.split(',').filter((n) => !(n in m)).join(','))`,
    ],
    { cwd: root, encoding: 'utf8' },
  );
  expect(esm.stderr).toBe('');
  expect(esm.stdout.trim()).toBe('');
  const cjs = spawnSync(
    process.execPath,
    ['-e', `const m = require('cappy-engine'); console.log(${JSON.stringify(names)}.split(',').filter((n) => !(n in m)).join(','))`],
    { cwd: root, encoding: 'utf8' },
  );
  expect(cjs.stderr).toBe('');
  expect(cjs.stdout.trim()).toBe('');
});

it('the CJS build finds the native addon', () => {
  const r = spawnSync(process.execPath, ['-e', `const { Tokenizer } = require('cappy-engine'); console.log(typeof Tokenizer.fromFile)`], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(r.stdout.trim()).toBe('function');
});

it('cappy-engine/server is its own entry for import and require, and the main entry does not load Fastify', () => {
  for (const f of ['dist/server.js', 'dist/server.cjs', 'dist/server.d.ts', 'dist/server.d.cts']) {
    expect(existsSync(join(root, f)), f).toBe(true);
  }
  const esm = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { createServer, cappyPlugin } from 'cappy-engine/server'; console.log(typeof createServer, typeof cappyPlugin)`,
    ],
    { cwd: root, encoding: 'utf8' },
  );
  expect(esm.stdout.trim()).toBe('function function');
  const cjs = spawnSync(
    process.execPath,
    ['-e', `const { createServer } = require('cappy-engine/server'); console.log(typeof createServer)`],
    { cwd: root, encoding: 'utf8' },
  );
  expect(cjs.stdout.trim()).toBe('function');
  const lean = spawnSync(
    process.execPath,
    ['-e', `require('cappy-engine'); console.log(Object.keys(require.cache).some((p) => p.includes('/node_modules/fastify/')))`],
    { cwd: root, encoding: 'utf8' },
  );
  expect(lean.stdout.trim()).toBe('false');
});
