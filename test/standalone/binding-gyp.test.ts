// binding.gyp builds the same addon as CMake. node-gyp always writes to
// ./build, so the sources are copied to a scratch folder first and the
// cmake-js build in ./build is left alone.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

it('node-gyp builds a working addon from binding.gyp', () => {
  const work = mkdtempSync(join(tmpdir(), 'cappy-gyp-'));
  for (const p of ['binding.gyp', 'native', 'scripts', 'package.json']) cpSync(join(root, p), join(work, p), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
  const nodeGyp = join(createRequire(import.meta.url).resolve('node-gyp/package.json'), '..', 'bin', 'node-gyp.js');
  const build = spawnSync(process.execPath, [nodeGyp, 'rebuild', '-j', '2'], { cwd: work, encoding: 'utf8', timeout: 900_000 });
  if (build.status !== 0) console.error(build.stdout.slice(-4000), build.stderr.slice(-4000));
  expect(build.status).toBe(0);
  const addon = join(work, 'build', 'Release', 'cappy.node');
  expect(existsSync(addon)).toBe(true);

  // Load it in a fresh process and tokenize with it.
  const probe = `
    const a = require(${JSON.stringify(addon)});
    const json = JSON.stringify({
      model: { type: 'BPE', vocab: { '<s>': 0, '<pad>': 1, '</s>': 2, h: 3, i: 4, hi: 5 }, merges: ['h i'] },
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false },
      post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0] },
    });
    const t = new a.Tokenizer({ json }, { maxLength: 0, truncation: '' });
    console.log(JSON.stringify({ napi: a.napiVersion, ids: Array.from(t.encode('hi')) }));`;
  const run = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(JSON.parse(run.stdout)).toEqual({ napi: 8, ids: [0, 5, 2] });
}, 900_000);
