// flax_model.msgpack as flax.serialization writes it: nested string-keyed
// maps (roberta → encoder → layer → 0 → ...) whose leaves are msgpack ext
// type 1 values; each payload is itself msgpack [shape, dtype name, raw
// C-order bytes]. Arrays over flax's chunk limit become maps marked
// __msgpack_chunked_array__ with 'shape' and 'chunks' {'0': ext, ...}.
//
// This source presents the tensors under their PyTorch names and layout, as
// HF's own flax→torch conversion does: Dense 'kernel' [in, out] becomes
// 'weight' [out, in] (transposed), Embed 'embedding' and LayerNorm 'scale'
// become 'weight'.
import { open, type FileHandle } from 'node:fs/promises';
import { decodeMulti } from '@msgpack/msgpack';
import { ModelLoadError } from '../errors/index.js';
import { decodeToFloat32, DTYPE_BYTES, NUMPY_DTYPES, numel, type DType } from './dtypes.js';
import { scanMsgpack, type ScanNode } from './msgpack-scan.js';
import { TensorIndex, type TensorInfo, type WeightSource } from './source.js';

/** flax.serialization's ext type for numpy arrays. */
export const FLAX_EXT_NDARRAY = 1;
export const FLAX_CHUNKED_MARKER = '__msgpack_chunked_array__';

interface Piece {
  dataOffset: number;
  count: number;
}
interface FlaxTensor {
  flaxPath: string;
  dtype: DType;
  /** Shape as stored (flax layout). */
  shape: number[];
  pieces: Piece[];
  transpose: boolean;
}

export class FlaxSource implements WeightSource {
  readonly format = 'flax' as const;
  private readonly index = new TensorIndex();
  private readonly tensors = new Map<string, FlaxTensor>();

  private constructor(
    readonly path: string,
    private fh: FileHandle | undefined,
  ) {}

  static async open(path: string): Promise<FlaxSource> {
    const fh = await open(path, 'r');
    try {
      const src = new FlaxSource(path, fh);
      let root = await scanMsgpack(fh, path);
      // Some writers keep flax's outer {'params': ...} collection.
      if (root.kind === 'map' && root.entries.length === 1 && root.entries[0][0] === 'params') {
        root = root.entries[0][1];
      }
      if (root.kind !== 'map') throw new ModelLoadError(`${path}: a flax checkpoint is a map of parameters`);
      await src.walk(root, []);
      return src;
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  private async walk(node: ScanNode, path: string[]): Promise<void> {
    if (node.kind === 'map') {
      if (node.entries.some(([k]) => k === FLAX_CHUNKED_MARKER)) return this.addChunked(node, path);
      for (const [k, v] of node.entries) await this.walk(v, [...path, k]);
    } else if (node.kind === 'ext') {
      if (node.type !== FLAX_EXT_NDARRAY) return; // numpy scalars, complex: not weights
      const a = await this.arrayHeader(node, path);
      this.add(path, a.dtype, a.shape, [{ dataOffset: a.dataOffset, count: numel(a.shape) }]);
    }
    // Plain scalars and lists carry no weights.
  }

  private async addChunked(node: Extract<ScanNode, { kind: 'map' }>, path: string[]): Promise<void> {
    const what = `${this.path}: ${path.join('/')}`;
    const field = (k: string): ScanNode | undefined => node.entries.find(([key]) => key === k)?.[1];
    const shapeNode = field('shape');
    const chunksNode = field('chunks');
    if (shapeNode?.kind !== 'map' || chunksNode?.kind !== 'map') {
      throw new ModelLoadError(`${what}: chunked array without 'shape' and 'chunks' maps`);
    }
    const byIndex = (m: [string, ScanNode][]): ScanNode[] => m.map((_, i) => m.find(([k]) => k === String(i))?.[1] ?? failMissing(what, i));
    const shape = byIndex(shapeNode.entries).map((n) => {
      if (n.kind !== 'scalar' || typeof n.value !== 'number') throw new ModelLoadError(`${what}: bad chunked shape`);
      return n.value;
    });
    const pieces: Piece[] = [];
    let dtype: DType | undefined;
    for (const c of byIndex(chunksNode.entries)) {
      if (c.kind !== 'ext' || c.type !== FLAX_EXT_NDARRAY) throw new ModelLoadError(`${what}: a chunk is not an array`);
      const a = await this.arrayHeader(c, path);
      if (dtype && a.dtype !== dtype) throw new ModelLoadError(`${what}: chunks differ in dtype`);
      dtype = a.dtype;
      pieces.push({ dataOffset: a.dataOffset, count: numel(a.shape) });
    }
    if (pieces.reduce((s, p) => s + p.count, 0) !== numel(shape) || !dtype) {
      throw new ModelLoadError(`${what}: chunks do not add up to shape [${shape.join(', ')}]`);
    }
    this.add(path, dtype, shape, pieces);
  }

  /** Decodes an ndarray payload's [shape, dtype] with the msgpack library, from its first bytes only. */
  private async arrayHeader(node: Extract<ScanNode, { kind: 'ext' }>, path: string[]) {
    const what = `${this.path}: ${path.join('/')}`;
    const fh = this.fh as FileHandle;
    const head = Buffer.alloc(Math.min(node.length, 1024));
    await fh.read(head, 0, head.length, node.offset);
    if (head[0] !== 0x93) throw new ModelLoadError(`${what}: array payload is not [shape, dtype, data]`);
    // The payload's third element is the (large) data; decodeMulti yields the
    // elements one by one, so stopping after two never touches it.
    const it = decodeMulti(head.subarray(1));
    const shape = it.next().value;
    const dtypeName = it.next().value;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new ModelLoadError(`${what}: bad array shape`);
    }
    const dtype = typeof dtypeName === 'string' ? NUMPY_DTYPES[dtypeName] : undefined;
    if (!dtype) throw new ModelLoadError(`${what}: unsupported numpy dtype ${String(dtypeName)}`);
    // The data is a bin that ends the payload, so it starts nbytes before the end.
    const nbytes = numel(shape as number[]) * DTYPE_BYTES[dtype];
    const dataOffset = node.offset + node.length - nbytes;
    if (nbytes > node.length) throw new ModelLoadError(`${what}: payload too short for its shape`);
    return { shape: shape as number[], dtype, dataOffset };
  }

  private add(path: string[], dtype: DType, shape: number[], pieces: Piece[]): void {
    const { name, transpose } = flaxPathToTorch(path, shape.length);
    const torchShape = transpose ? [shape[1], shape[0]] : shape;
    this.index.add({ name, shape: torchShape, dtype });
    this.tensors.set(name, { flaxPath: path.join('/'), dtype, shape, pieces, transpose });
  }

  list(): TensorInfo[] {
    return this.index.list();
  }

  info(name: string): TensorInfo | undefined {
    return this.index.get(name);
  }

  async read(name: string): Promise<Float32Array> {
    const t = this.tensors.get(name);
    if (!t) throw new ModelLoadError(`${this.path}: no tensor named ${name}`);
    if (!this.fh) throw new ModelLoadError(`${this.path}: read after close`);
    const what = `${this.path}: ${t.flaxPath}`;
    const esize = DTYPE_BYTES[t.dtype];
    const total = numel(t.shape);
    const bytes = new Uint8Array(total * esize);
    let at = 0;
    for (const p of t.pieces) {
      const { bytesRead } = await this.fh.read(bytes, at, p.count * esize, p.dataOffset);
      if (bytesRead !== p.count * esize) throw new ModelLoadError(`${what}: data cut short`);
      at += p.count * esize;
    }
    const flat = decodeToFloat32(bytes, t.dtype, total, what);
    return t.transpose ? transpose2d(flat, t.shape[0], t.shape[1]) : flat;
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }
}

function failMissing(what: string, i: number): never {
  throw new ModelLoadError(`${what}: chunked array is missing entry '${i}'`);
}

/** flax module path → PyTorch parameter name, and whether the array needs a transpose. */
export function flaxPathToTorch(path: string[], rank: number): { name: string; transpose: boolean } {
  const last = path[path.length - 1];
  const parent = path.slice(0, -1);
  if (last === 'kernel' && rank === 2) return { name: [...parent, 'weight'].join('.'), transpose: true };
  if (last === 'kernel' || last === 'embedding' || last === 'scale') {
    return { name: [...parent, 'weight'].join('.'), transpose: false };
  }
  return { name: path.join('.'), transpose: false };
}

export function transpose2d(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  // Blocked so both sides stay in cache on 1024×4096 matrices.
  const B = 64;
  for (let r0 = 0; r0 < rows; r0 += B) {
    for (let c0 = 0; c0 < cols; c0 += B) {
      const rEnd = Math.min(r0 + B, rows);
      const cEnd = Math.min(c0 + B, cols);
      for (let r = r0; r < rEnd; r++) {
        for (let c = c0; c < cEnd; c++) out[c * rows + r] = a[r * cols + c];
      }
    }
  }
  return out;
}
