// CAPPY_ORT_LIB swaps the ONNX Runtime the addon dlopens. Each case runs in
// its own process, since a process uses one ORT library.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { expect, inject, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

function loadInfo(env: Record<string, string | undefined>) {
  const script = `
    import { Scorer } from 'cappy-engine';
    try {
      const s = await Scorer.load(${JSON.stringify(inject('tinyModelDir'))});
      const score = await s.score('a', 'b');
      console.log(JSON.stringify({ ok: true, ort: s.info.ort, ep: s.info.executionProvider, inputs: s.info.inputs, score }));
      await s.dispose();
    } catch (e) {
      console.log(JSON.stringify({ ok: false, name: e.name, message: e.message }));
    }`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout.trim());
}

it('defaults to the ORT 1.29 library from the npm package, and reports it', () => {
  const info = loadInfo({ CAPPY_ORT_LIB: undefined });
  expect(info.ok).toBe(true);
  expect(info.ort.version).toBe('1.29.0');
  expect(info.ort.libraryPath).toMatch(/com\.github\.asus4\.onnxruntime\/Plugins\/Linux\/x64\/libonnxruntime\.so$/);
  expect(info.ep).toBe('cpu');
  expect(info.inputs.map((i: { name: string }) => i.name)).toEqual(['input_ids', 'attention_mask']);
  expect(info.inputs[0].shape).toEqual([-1, -1]);
});

it('CAPPY_ORT_LIB selects another ORT build (onnxruntime-node 1.30 library) with the same scores', () => {
  const ortNodeDir = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  const lib = join(ortNodeDir, 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime.so.1');
  const other = loadInfo({ CAPPY_ORT_LIB: lib });
  const base = loadInfo({ CAPPY_ORT_LIB: undefined });
  expect(other.ok).toBe(true);
  expect(other.ort.version).toBe('1.30.0');
  expect(other.ort.libraryPath).toBe(lib);
  expect(Math.abs(other.score - base.score)).toBeLessThan(1e-5);
});

it('a CAPPY_ORT_LIB that is missing or not ORT is a clear ModelLoadError', () => {
  const missing = loadInfo({ CAPPY_ORT_LIB: '/nonexistent/libonnxruntime.so' });
  expect(missing).toMatchObject({ ok: false, name: 'ModelLoadError' });
  expect(missing.message).toMatch(/CAPPY_ORT_LIB points at \/nonexistent/);
  const notLoadable = loadInfo({ CAPPY_ORT_LIB: process.execPath });
  expect(notLoadable).toMatchObject({ ok: false, name: 'ModelLoadError' });
  expect(notLoadable.message).toMatch(/cannot load ONNX Runtime from/);
  // A real shared library that is not ORT (zlib ships on every Debian machine).
  const zlib = ['/lib/x86_64-linux-gnu/libz.so.1', '/usr/lib/x86_64-linux-gnu/libz.so.1'].find((p) => existsSync(p));
  if (zlib) {
    const notOrt = loadInfo({ CAPPY_ORT_LIB: zlib });
    expect(notOrt).toMatchObject({ ok: false, name: 'ModelLoadError' });
    expect(notOrt.message).toMatch(/is not an ONNX Runtime library \(no OrtGetApiBase\)/);
  }
});
