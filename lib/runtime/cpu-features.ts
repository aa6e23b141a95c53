// The x86 CPU features ONNX Runtime's kernels can use here, read from the
// kernel's view of CPUID (/proc/cpuinfo), and the int8 GEMM kernel family ORT's
// MLAS picks from them (it prefers AMX, then AVX-512 VNNI, AVX-VNNI, AVX-512BW,
// then AVX2). Only Linux exposes the flags this way; elsewhere every flag is false
// and the kernel is 'unknown'.
// (A minimal version written for `cappy doctor`; the int8 work of issue 12
// declares the same interface.)
import { readFileSync } from 'node:fs';

export interface CpuFlags {
  avx2: boolean;
  avx512f: boolean;
  avx512bw: boolean;
  avx512vnni: boolean;
  avxvnni: boolean;
  amxTile: boolean;
  amxInt8: boolean;
}

export interface CpuFeatures {
  flags: CpuFlags;
  /** 'amx', 'avx512vnni', 'avxvnni', 'avx512bw', 'avx2', 'baseline' (none of these) or 'unknown' (not Linux x64). */
  int8Kernel: string;
}

/** /proc/cpuinfo's flag names for each field. */
const CPUINFO_FLAG: Record<keyof CpuFlags, string> = {
  avx2: 'avx2',
  avx512f: 'avx512f',
  avx512bw: 'avx512bw',
  avx512vnni: 'avx512_vnni',
  avxvnni: 'avx_vnni',
  amxTile: 'amx_tile',
  amxInt8: 'amx_int8',
};

/** Parses the first `flags` line of a /proc/cpuinfo text. */
export function parseCpuinfoFlags(cpuinfo: string): CpuFlags {
  const line = /^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? '';
  const have = new Set(line.split(/\s+/));
  return Object.fromEntries(Object.entries(CPUINFO_FLAG).map(([k, f]) => [k, have.has(f)])) as unknown as CpuFlags;
}

/** The int8 kernel family MLAS uses given these flags. */
export function int8KernelFor(f: CpuFlags): string {
  if (f.amxTile && f.amxInt8) return 'amx';
  if (f.avx512vnni && f.avx512bw) return 'avx512vnni';
  if (f.avxvnni && f.avx2) return 'avxvnni';
  if (f.avx512bw) return 'avx512bw';
  if (f.avx2) return 'avx2';
  return 'baseline';
}

export function cpuFeatures(): CpuFeatures {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { flags: parseCpuinfoFlags(''), int8Kernel: 'unknown' };
  }
  let text = '';
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return { flags: parseCpuinfoFlags(''), int8Kernel: 'unknown' };
  }
  const flags = parseCpuinfoFlags(text);
  return { flags, int8Kernel: int8KernelFor(flags) };
}
