// `cappy doctor` in this checkout: it must name what it found (the source
// build, the ORT package), score a pair, and exit 1 when the engine cannot
// score, naming why. The prebuilt side runs in packaging.test.ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { int8KernelFor, parseCpuinfoFlags } from '../../lib/runtime/cpu-features.js';

const root = resolve(import.meta.dirname, '..', '..');
const home = mkdtempSync(join(tmpdir(), 'cappy-doctor-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function doctor(args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'cappy.js'), 'doctor', '--json', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CAPPY_HOME: home, ...env },
    timeout: 300_000,
  });
  return { status: r.status, d: JSON.parse(r.stdout), stderr: r.stderr };
}

it('reports the source build, the ORT package, the cache, both GPU providers, and scores a pair', () => {
  const { status, d } = doctor([]);
  expect(status).toBe(0);
  expect(d.addon).toMatchObject({ ok: true, origin: 'source', path: join(root, 'build', 'Release', 'cappy.node') });
  expect(d.ort).toMatchObject({ ok: true, from: 'com.github.asus4.onnxruntime', version: '1.29.0' });
  expect(d.cache).toEqual({ dir: home, fromEnv: true });
  expect(d.gpu.map((g: { device: string }) => g.device)).toEqual(['cuda', 'tensorrt']);
  expect(d.scoring.ok).toBe(true);
  expect(d.scoring.forged).toBe(true);
  expect(d.scoring.scores).toHaveLength(2);
  expect(d.sourceBuild.missing).toEqual([]);
  expect(d.platform.node).toBe(process.version);
});

it('exits 1 and says why when the engine cannot score', () => {
  const noModel = doctor(['--model', join(home, 'no-such-model')]);
  expect(noModel.status).toBe(1);
  expect(noModel.d.scoring.ok).toBe(false);
  expect(noModel.d.scoring.error).toMatch(/no-such-model/);
  const noOrt = doctor([], { CAPPY_ORT_LIB: '/nonexistent/libonnxruntime.so' });
  expect(noOrt.status).toBe(1);
  expect(noOrt.d.ort).toEqual({ ok: false, error: 'CAPPY_ORT_LIB points at /nonexistent/libonnxruntime.so, which does not exist' });
  expect(noOrt.d.scoring.ok).toBe(false);
  expect(noOrt.stderr).toMatch(/cannot score/);
});

it('reads CPU flags by their /proc/cpuinfo names and picks the int8 kernel family MLAS prefers', () => {
  // Flag names as the Linux kernel prints them (arch/x86/include/asm/cpufeatures.h).
  const sapphireRapids = parseCpuinfoFlags('processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512dq avx512bw avx512vl avx512_vnni avx_vnni amx_tile amx_int8 amx_bf16\n');
  expect(sapphireRapids).toEqual({
    avx2: true, avx512f: true, avx512bw: true, avx512dq: true, avx512vl: true, avx512vnni: true, avxvnni: true, amxTile: true, amxInt8: true,
  });
  expect(int8KernelFor(sapphireRapids)).toBe('amx');
  expect(int8KernelFor({ ...sapphireRapids, amxInt8: false })).toBe('avx512vnni');
  expect(int8KernelFor(parseCpuinfoFlags('flags : avx2 avx_vnni\n'))).toBe('avxvnni');
  // MLAS's AVX-512 "core" kernel needs BW, DQ and VL together (and overrides AVX-VNNI).
  expect(int8KernelFor(parseCpuinfoFlags('flags : avx2 avx_vnni avx512f avx512dq avx512bw avx512vl\n'))).toBe('avx512bw');
  expect(int8KernelFor(parseCpuinfoFlags('flags : avx2 avx512f avx512bw\n'))).toBe('avx2');
  expect(int8KernelFor(parseCpuinfoFlags('flags : sse4_2 avx2\n'))).toBe('avx2');
  expect(int8KernelFor(parseCpuinfoFlags('flags : sse4_2\n'))).toBe('baseline');
});
