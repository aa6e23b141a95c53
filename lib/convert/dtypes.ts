// Element types the three checkpoint formats store, and their decoding into
// Float32Array. Every reader names dtypes with the safetensors spellings, so
// the rest of the converter sees one vocabulary whatever the file was.
import { endianness } from 'node:os';
import { ModelLoadError } from '../errors/index.js';

export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const DTYPE_BYTES: Record<DType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export const FLOAT_DTYPES: ReadonlySet<DType> = new Set(['F64', 'F32', 'F16', 'BF16']);

export function isDType(s: string): s is DType {
  return Object.prototype.hasOwnProperty.call(DTYPE_BYTES, s);
}

/** numpy's dtype names (as flax writes them) to ours. */
export const NUMPY_DTYPES: Record<string, DType> = {
  float64: 'F64',
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

// All three formats store little-endian data. Reading it through typed-array
// views is only right on a little-endian host, so say so instead of returning
// byte-swapped weights (checked on use, so importing the CLI never fails).
const LITTLE_ENDIAN = endianness() === 'LE';

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

// A 64K table makes fp16 decoding one lookup per element; it is built on
// first use so processes that never see fp16 do not pay for it.
let halfTable: Float32Array | undefined;
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0)
      t[h] = sign * frac * 2 ** -24; // subnormal (and ±0)
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  halfTable = t;
  return t;
}

/** A view when the bytes are aligned, else a copy: typed arrays need aligned offsets. */
function aligned(bytes: Uint8Array, align: number): Uint8Array {
  if (bytes.byteOffset % align === 0) return bytes;
  return new Uint8Array(bytes);
}

/**
 * Decodes `count` elements of `dtype` from little-endian bytes. F32 returns a
 * view of the same memory when it can (readers hand over buffers they own).
 */
export function decodeToFloat32(bytes: Uint8Array, dtype: DType, count: number, what: string): Float32Array {
  if (!LITTLE_ENDIAN) throw new ModelLoadError('checkpoint conversion needs a little-endian host');
  const need = count * DTYPE_BYTES[dtype];
  if (bytes.byteLength < need) {
    throw new ModelLoadError(`${what}: ${bytes.byteLength} bytes where ${dtype}×${count} needs ${need}`);
  }
  switch (dtype) {
    case 'F32': {
      const b = aligned(bytes, 4);
      return new Float32Array(b.buffer, b.byteOffset, count);
    }
    case 'F16': {
      const b = aligned(bytes, 2);
      const src = new Uint16Array(b.buffer, b.byteOffset, count);
      const table = halfToFloatTable();
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = table[src[i]];
      return out;
    }
    case 'BF16': {
      // bf16 is the top half of an fp32: shift it back into place.
      const b = aligned(bytes, 2);
      const src = new Uint16Array(b.buffer, b.byteOffset, count);
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = src[i] << 16;
      return out;
    }
    case 'F64': {
      const b = aligned(bytes, 8);
      return Float32Array.from(new Float64Array(b.buffer, b.byteOffset, count));
    }
    default:
      throw new ModelLoadError(`${what}: ${dtype} is not a floating-point type; only F32, F16, BF16 and F64 weights convert`);
  }
}

/** fp32 → IEEE half, round to nearest even: the forge's fp16 rounding, so writers and fp16 export agree. */
export { halfBits as floatToHalf } from '../forge/precision.js';

/** fp32 → bf16, round to nearest even. */
export function floatToBF16(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  const lsb = (x >>> 16) & 1;
  return ((x + 0x7fff + lsb) >>> 16) & 0xffff;
}
