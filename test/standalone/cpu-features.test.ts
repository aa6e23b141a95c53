// cpuFeatures(): the int8 GEMM kernel MLAS picks, from /proc/cpuinfo flags.
// The expected kernels follow MLAS's platform setup (onnxruntime
// core/mlas/lib/platform.cpp), read for this purpose, not our own output:
// AVX-512 "core" overrides AVX-VNNI, AVX-512 VNNI overrides core, AMX
// overrides the whole u8s8 dispatch. Flag lines are the real ones of each CPU
// family, trimmed to the flags that matter plus neighbours.
import { describe, expect, it } from 'vitest';
import { cpuFeatures, int8KernelFor, parseCpuinfo } from '../../lib/runtime/cpu-features.js';

const cpuinfo = (flags: string, model = 'test CPU') =>
  `processor\t: 0\nmodel name\t: ${model}\nflags\t\t: fpu sse sse2 ${flags}\n\nprocessor\t: 1\nflags\t\t: fpu\n`;

const CASES: [string, string, string, boolean][] = [
  ['AMD EPYC (Zen 2/3): AVX2 only', 'ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2', 'avx2', true],
  ['Alder Lake: AVX2 + AVX-VNNI, no AVX-512', 'avx f16c avx2 bmi2 avx_vnni', 'avxvnni', false],
  ['Skylake-SP: AVX-512 without VNNI', 'avx avx2 avx512f avx512dq avx512cd avx512bw avx512vl', 'avx512bw', true],
  ['Cascade Lake / Zen 4: AVX-512 VNNI', 'avx avx2 avx512f avx512dq avx512cd avx512bw avx512vl avx512_vnni', 'avx512vnni', false],
  [
    'Emerald Rapids VM without AMX exposed',
    'avx2 avx512f avx512dq avx512bw avx512vl avx_vnni avx512_bf16 avx512_vnni avx512_fp16',
    'avx512vnni',
    false,
  ],
  ['Sapphire Rapids: AMX', 'avx2 avx512f avx512dq avx512bw avx512vl avx_vnni avx512_vnni amx_bf16 amx_tile amx_int8', 'amx', false],
  [
    'AMX tile without AMX-INT8 (not a real part): no AMX u8s8',
    'avx2 avx512f avx512dq avx512bw avx512vl avx512_vnni amx_tile',
    'avx512vnni',
    false,
  ],
  ['pre-AVX2', 'ssse3 sse4_1 sse4_2 avx', 'baseline', false],
];

describe('cpuFeatures', () => {
  for (const [name, flags, kernel, saturates] of CASES) {
    it(`${name} -> ${kernel}`, () => {
      const f = cpuFeatures(cpuinfo(flags));
      expect(f.int8Kernel).toBe(kernel);
      expect(f.int8Saturates).toBe(saturates);
      expect(f.int8KernelDescription.length).toBeGreaterThan(5);
      expect(f.model).toBe('test CPU');
    });
  }

  it('reads only the first processor and exact flag names (avx512_vnni is not avx512vnni)', () => {
    const { flags } = parseCpuinfo(cpuinfo('avx2 avx512_vnni_x'));
    expect(flags.avx2).toBe(true);
    expect(flags.avx512vnni).toBe(false);
    expect(int8KernelFor(flags)).toBe('avx2');
  });

  it('describes this machine; on Linux x64 the flags are read', () => {
    const f = cpuFeatures();
    console.log(`this machine: ${f.model ?? '?'}: int8 kernel ${f.int8KernelDescription}`);
    if (process.platform === 'linux' && process.arch === 'x64') {
      expect(f.flagsKnown).toBe(true);
      expect(f.int8Kernel).not.toBe('unknown');
    } else {
      expect(f.int8Kernel).toBe('unknown');
    }
  });
});
