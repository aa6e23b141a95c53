// Number formats for the RoBERTa graph: fp32 (the reference), fp16 (weights
// and compute, for GPUs) and int8 (dynamically quantized MatMuls, for CPUs).
// This file holds the tensor conversions; roberta-graph.ts decides where each
// format is used.
import { MODEL_DTYPES, type ModelDType } from '../model/dtypes.js';

export { MODEL_DTYPES, type ModelDType };

/**
 * How an int8 graph computes its quantized Linear layers.
 * - 'contrib': one com.microsoft DynamicQuantizeMatMul per Linear (quantizes
 *   the activation, u8s8 GEMM, rescale and bias in one kernel).
 * - 'onnx': the standard-op spelling, DynamicQuantizeLinear + MatMulInteger
 *   + Cast + Mul + Add, which ORT may fuse back at load time.
 */
export type Int8Ops = 'contrib' | 'onnx';

export interface Int8Options {
  ops: Int8Ops;
  /**
   * Largest weight code: 127 (full int8) or 63 ("reduce range"). x86 CPUs
   * without VNNI multiply u8 x s8 with VPMADDUBSW, which adds two products
   * into an int16 and saturates past 32767; 255 * 63 * 2 fits, 255 * 127 * 2
   * does not. VNNI (vpdpbusd) and AMX accumulate in int32 and never saturate.
   */
  weightMax: 127 | 63;
  /** Encoder Linears left in fp32 (for measuring what quantizing each kind costs). Default none. */
  keepFloat?: readonly LinearKind[];
}

/** The encoder's Linear layers by role: Q/K/V, attention output, FFN in (to GELU), FFN out. */
export type LinearKind = 'qkv' | 'attention-out' | 'ffn-in' | 'ffn-out';

export function linearKind(prefix: string): LinearKind {
  if (prefix.includes('.attention.self.')) return 'qkv';
  if (prefix.endsWith('.attention.output.dense')) return 'attention-out';
  if (prefix.endsWith('.intermediate.dense')) return 'ffn-in';
  return 'ffn-out';
}

// Defaults measured on this project's AVX2 machine (docs/dtypes.md, bench/dtype-variants.ts):
// - 63: full-range codes saturate VPMADDUBSW there and land twice as far
//   from fp32; on VNNI/AMX machines 127 would be safe and a little closer.
// - attention output in fp32: quantizing it caused about half the int8 error
//   (mean |diff| 0.029 -> 0.016 on small) for 1/12 of the encoder's Linear FLOPs.
export const DEFAULT_INT8: Int8Options = { ops: 'contrib', weightMax: 63, keepFloat: ['attention-out'] };

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** One fp32 value to IEEE half bits, round to nearest even (inf/NaN kept, overflow to inf). */
export function halfBits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && h & 1)) h++;
    return sign | h;
  }
  // A carry out of the mantissa correctly bumps the exponent (and to inf at the top).
  let h = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** fp32 array to fp16 bit patterns (what the graph builder writes as FLOAT16). */
export function toHalf(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = halfBits(data[i]);
  return out;
}

/** fp16 bits back to fp32 values: the weights an fp16 graph really holds. */
export function fromHalf(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) out[i] = sign * mant * 2 ** -24;
    else if (exp === 31) out[i] = mant ? NaN : sign * Infinity;
    else out[i] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** A [K, N] weight (the MatMul's B) as int8 codes with one scale per output column. */
export interface QuantizedWeight {
  codes: Int8Array;
  scales: Float32Array;
}

/**
 * Symmetric per-column quantization of B [K, N] (row-major): column j is
 * scaled by max_k |B[k, j]| / weightMax, so zero is exact and each output
 * channel keeps its own range (one outlier column does not flatten the rest).
 */
export function quantizePerColumn(b: Float32Array, k: number, n: number, weightMax: number): QuantizedWeight {
  if (b.length !== k * n) throw new Error(`quantizePerColumn: ${b.length} values is not ${k} x ${n}`);
  const absMax = new Float32Array(n);
  for (let r = 0; r < k; r++) {
    const row = r * n;
    for (let j = 0; j < n; j++) {
      const a = Math.abs(b[row + j]);
      if (a > absMax[j]) absMax[j] = a;
    }
  }
  const scales = new Float32Array(n);
  for (let j = 0; j < n; j++) scales[j] = absMax[j] > 0 ? absMax[j] / weightMax : 1;
  const codes = new Int8Array(k * n);
  for (let r = 0; r < k; r++) {
    const row = r * n;
    for (let j = 0; j < n; j++) {
      const q = Math.round(b[row + j] / scales[j]);
      codes[row + j] = q > weightMax ? weightMax : q < -weightMax ? -weightMax : q;
    }
  }
  return { codes, scales };
}

/** The fp32 weight an int8 graph really multiplies by (codes x scales). */
export function dequantizePerColumn({ codes, scales }: QuantizedWeight): Float32Array {
  const n = scales.length;
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = codes[i] * scales[i % n];
  return out;
}
