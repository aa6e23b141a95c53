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
  const sapphireRapids = parseCpuinfoFlags(
    'processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512dq avx512bw avx512vl avx512_vnni avx_vnni amx_tile amx_int8 amx_bf16\n',
  );
  expect(sapphireRapids).toEqual({
    avx2: true,
    avx512f: true,
    avx512bw: true,
    avx512dq: true,
    avx512vl: true,
    avx512vnni: true,
    avxvnni: true,
    amxTile: true,
    amxInt8: true,
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

it('lists the environment: values when set, secrets only as set, bad values and misspelled names as problems', () => {
  const token = 'hf_doctor_secret_value';
  const env = {
    HF_TOKEN: token,
    CAPPY_API_KEY: 'sk-doctor-secret',
    CAPPY_ORT_LOAD: 'sideways',
    CAPPY_MAX_BATCH_TOKEN: '4096',
    CAPPY_API_KY: 'sk-misspelled-secret',
    CAPPY_PORT: '9090',
  };
  const { d } = doctor([], env);
  const row = (name: string) => d.environment.find((r: { name: string }) => r.name === name);
  expect(row('HF_TOKEN')).toMatchObject({ set: true, secret: true, default: 'none' });
  expect(row('HF_TOKEN')).not.toHaveProperty('value');
  expect(row('CAPPY_API_KEY')).toMatchObject({ set: true, secret: true, flag: '--api-key', commands: ['serve'] });
  expect(row('CAPPY_HOME')).toMatchObject({ set: true, value: home });
  expect(row('HF_ENDPOINT')).toMatchObject({ set: false, default: 'https://huggingface.co' });
  expect(row('CAPPY_ORT_LOAD').problem).toMatch(/must be one of copy, reuse, plain, got 'sideways'/);
  expect(row('CAPPY_MAX_BATCH_TOKEN').problem).toBe('set, but nothing reads it; did you mean CAPPY_MAX_BATCH_TOKENS?');
  // A misspelled secret's name still hides its value.
  expect(row('CAPPY_API_KY')).toMatchObject({ set: true, secret: true, problem: 'set, but nothing reads it; did you mean CAPPY_API_KEY?' });
  expect(row('CAPPY_PORT')).toMatchObject({ set: true, value: '9090', flag: '--port', default: '8080' });
  // Every flag's variable is listed, set or not.
  expect(row('CAPPY_MAX_BATCH_TOKENS')).toMatchObject({ set: false, flag: '--max-batch-tokens' });
  expect(JSON.stringify(d)).not.toContain(token);
  // The text form too: the secrets never appear, the problems do.
  const text = spawnSync(process.execPath, [join(root, 'bin', 'cappy.js'), 'doctor'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CAPPY_HOME: home, ...env },
    timeout: 300_000,
  }).stdout;
  expect(text).toMatch(/HF_TOKEN = set \(secret, not shown\)/);
  expect(text).toMatch(/CAPPY_PORT = '9090': --port of serve/);
  expect(text).toMatch(/CAPPY_MAX_BATCH_TOKEN = '4096'; PROBLEM: set, but nothing reads it; did you mean CAPPY_MAX_BATCH_TOKENS\?/);
  expect(text).not.toContain(token);
  expect(text).not.toContain('sk-doctor-secret');
  expect(text).not.toContain('sk-misspelled-secret');
});
