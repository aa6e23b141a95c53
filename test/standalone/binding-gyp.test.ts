// binding.gyp builds the same addon as CMake. node-gyp always writes to
// ./build, so the sources are copied to a scratch folder first and the
// CMake build in ./build is left alone.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { smokeTestAddon } from '../../scripts/build-native.mjs';

const root = resolve(import.meta.dirname, '..', '..');

it('node-gyp builds a working addon from binding.gyp', () => {
  const work = mkdtempSync(join(tmpdir(), 'cappy-gyp-'));
  for (const p of ['binding.gyp', 'native', 'scripts', 'package.json']) cpSync(join(root, p), join(work, p), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
  const nodeGyp = join(createRequire(import.meta.url).resolve('node-gyp/package.json'), '..', 'bin', 'node-gyp.js');
  // node-gyp wants Node's headers and common.gypi. The running Node's own
  // (<prefix>/include/node: official builds and distro packages ship them)
  // are the right ones, and taking them means no download from nodejs.org,
  // which a machine that reaches only the npm registry cannot make.
  const prefix = dirname(dirname(process.execPath));
  const nodedir = existsSync(join(prefix, 'include', 'node', 'common.gypi')) ? [`--nodedir=${prefix}`] : [];
  const build = spawnSync(process.execPath, [nodeGyp, 'rebuild', '-j', '2', ...nodedir], { cwd: work, encoding: 'utf8', timeout: 900_000 });
  if (build.status !== 0) console.error(build.stdout.slice(-4000), build.stderr.slice(-4000));
  expect(build.status).toBe(0);
  const addon = join(work, 'build', 'Release', 'cappy.node');
  expect(existsSync(addon)).toBe(true);
  // Hidden visibility and the version script hold here too: only the
  // Node-API entry points are exported (see test/model/coexist.test.ts).
  const syms = spawnSync('readelf', ['-W', '--dyn-syms', addon], { encoding: 'utf8' });
  if (syms.status === 0) {
    const exported = syms.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 8 && /^\d+:$/.test(f[0]) && f[4] !== 'LOCAL' && f[6] !== 'UND')
      .map((f) => f[7]);
    expect(exported.sort()).toEqual(['napi_register_module_v1', 'node_api_module_get_api_version_v1']);
  }

  // Load it in a fresh process and tokenize with it, as the install step checks a prebuilt.
  expect(smokeTestAddon(addon)).toEqual({ ok: true });
}, 900_000);
