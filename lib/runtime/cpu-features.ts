// The x86 features that decide which int8 GEMM kernel ONNX Runtime's MLAS
// runs, and so how int8 graphs behave on this CPU (docs/dtypes.md, "int8 on
// every ISA"). Read from /proc/cpuinfo on Linux: the kernel lists a feature
// there only when the CPU has it and the OS saves its register state, the
// same two checks MLAS makes with CPUID and XGETBV. Elsewhere every flag
// reads false and the kernel is 'unknown'. `cappy doctor` prints it.
// Kernel names follow MLAS's kernels: amx, avx512vnni, avx512bw (MLAS's
// "AVX-512 core": BW, DQ and VL), avxvnni, avx2, baseline (SSE).
//
// The kernel choice below follows MLAS's platform setup (onnxruntime
// core/mlas/lib/platform.cpp, ORT 1.29/1.30), for the u8 x s8 GEMM that
// DynamicQuantizeMatMul uses, in the order MLAS overrides it:
//   AVX2                  -> U8S8 AVX2 kernel: VPMADDUBSW adds two u8 x s8
//                            products into int16 with saturation
//   + AVX-VNNI            -> AVX-VNNI kernel: VPDPBUSD, int32 sums
//   + AVX-512 F/BW/DQ/VL  -> AVX-512 "core" kernel: VPMADDUBSW again (saturates),
//                            even where AVX-VNNI was picked just before
//   + AVX-512 VNNI        -> AVX-512 VNNI kernel: VPDPBUSDS, int32 sums
//   + AMX-TILE, AMX-INT8  -> AMX dispatch: TDPBUSD, int32 sums (MLAS also asks
//                            the kernel for tile state with arch_prctl; where
//                            /proc/cpuinfo lists amx_tile that is granted)
//   no AVX2               -> SSE kernels (baseline): u8 widened to int16, PMADDWD, int32 sums
import { readFileSync } from 'node:fs';

export interface CpuFlags {
  avx2: boolean;
  avx512f: boolean;
  avx512bw: boolean;
  avx512dq: boolean;
  avx512vl: boolean;
  avx512vnni: boolean;
  avxvnni: boolean;
  amxTile: boolean;
  amxInt8: boolean;
}

/** The u8 x s8 GEMM kernel MLAS picks ('unknown' off Linux x64, or without /proc/cpuinfo). */
export type Int8Kernel = 'amx' | 'avx512vnni' | 'avx512bw' | 'avxvnni' | 'avx2' | 'baseline' | 'unknown';

export interface CpuFeatures {
  /** 'x64' or whatever process.arch says; flags are read on Linux x64 only. */
  arch: string;
  model?: string;
  /** All false when they could not be read (see `flagsKnown`). */
  flags: CpuFlags;
  flagsKnown: boolean;
  int8Kernel: Int8Kernel;
  /**
   * Whether that kernel saturates a pair of u8 x s8 products at int16
   * (true for 'avx2' and 'avx512bw'). Weight codes beyond +-63 can then
   * overflow, which is why the int8 graphs use +-63 (docs/dtypes.md).
   * undefined when the kernel is unknown.
   */
  int8Saturates: boolean | undefined;
  /** One line a person can read, e.g. "AVX-512 VNNI (VPDPBUSDS, int32 sums)". */
  int8KernelDescription: string;
}

const FLAG_NAMES: Record<keyof CpuFlags, string> = {
  avx2: 'avx2',
  avx512f: 'avx512f',
  avx512bw: 'avx512bw',
  avx512dq: 'avx512dq',
  avx512vl: 'avx512vl',
  avx512vnni: 'avx512_vnni',
  avxvnni: 'avx_vnni',
  amxTile: 'amx_tile',
  amxInt8: 'amx_int8',
};

const DESCRIPTIONS: Record<Int8Kernel, string> = {
  amx: 'AMX (TDPBUSD tiles, int32 sums)',
  avx512vnni: 'AVX-512 VNNI (VPDPBUSDS, int32 sums)',
  avx512bw: 'AVX-512 without VNNI (VPMADDUBSW, int16 pair sums saturate)',
  avxvnni: 'AVX-VNNI (VPDPBUSD, int32 sums)',
  avx2: 'AVX2 (VPMADDUBSW, int16 pair sums saturate)',
  baseline: 'SSE (PMADDWD on widened values, int32 sums)',
  unknown: 'unknown (flags not readable on this platform)',
};

/** The flags of one /proc/cpuinfo text (its first processor). */
export function parseCpuinfo(text: string): { flags: CpuFlags; model?: string } {
  const line = text.split('\n').find((l) => /^flags\s*:/.test(l)) ?? '';
  const have = new Set(
    line
      .replace(/^flags\s*:/, '')
      .trim()
      .split(/\s+/),
  );
  const flags = Object.fromEntries(
    (Object.keys(FLAG_NAMES) as (keyof CpuFlags)[]).map((k) => [k, have.has(FLAG_NAMES[k])]),
  ) as unknown as CpuFlags;
  const model = text
    .split('\n')
    .find((l) => /^model name\s*:/.test(l))
    ?.replace(/^model name\s*:\s*/, '');
  return { flags, model };
}

/** The flags of the first `flags` line of a /proc/cpuinfo text. */
export function parseCpuinfoFlags(text: string): CpuFlags {
  return parseCpuinfo(text).flags;
}

/** The kernel MLAS's platform setup ends with for these flags (order in the header comment). */
export function int8KernelFor(flags: CpuFlags): Int8Kernel {
  if (flags.amxTile && flags.amxInt8 && flags.avx2) return 'amx';
  const avx512Core = flags.avx512f && flags.avx512bw && flags.avx512dq && flags.avx512vl;
  if (avx512Core) return flags.avx512vnni ? 'avx512vnni' : 'avx512bw';
  if (flags.avx2) return flags.avxvnni ? 'avxvnni' : 'avx2';
  return 'baseline';
}

function describe(arch: string, flags: CpuFlags | undefined, model?: string): CpuFeatures {
  const int8Kernel = flags ? int8KernelFor(flags) : 'unknown';
  return {
    arch,
    ...(model ? { model } : {}),
    flags: flags ?? parseCpuinfoFlags(''),
    flagsKnown: flags !== undefined,
    int8Kernel,
    int8Saturates: int8Kernel === 'unknown' ? undefined : int8Kernel === 'avx2' || int8Kernel === 'avx512bw',
    int8KernelDescription: DESCRIPTIONS[int8Kernel],
  };
}

let cached: CpuFeatures | undefined;

/**
 * This CPU's int8-relevant features and the int8 kernel ORT's MLAS runs on
 * it. `cpuinfo` (tests) describes another machine from its /proc/cpuinfo text.
 */
export function cpuFeatures(cpuinfo?: string): CpuFeatures {
  if (cpuinfo !== undefined) {
    const { flags, model } = parseCpuinfo(cpuinfo);
    return describe('x64', flags, model);
  }
  if (cached) return cached;
  let flags: CpuFlags | undefined;
  let model: string | undefined;
  if (process.platform === 'linux' && process.arch === 'x64') {
    try {
      ({ flags, model } = parseCpuinfo(readFileSync('/proc/cpuinfo', 'utf8')));
    } catch {
      flags = undefined;
    }
  }
  cached = describe(process.arch, flags, model);
  return cached;
}
