// safetensors: an 8-byte little-endian header length N, N bytes of JSON
// ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}),
// then the data; offsets count from the end of the header. Only the header is
// read up front; each tensor is one positioned read of its own byte range.
import { open, type FileHandle } from 'node:fs/promises';
import { ModelLoadError } from '../errors/index.js';
import { decodeToFloat32, DTYPE_BYTES, isDType, numel } from './dtypes.js';
import { flaxPathToTorch, transpose2d } from './flax.js';
import { TensorIndex, type TensorInfo, type WeightSource } from './source.js';

// Real headers are tens of KB; a huge length means a corrupt or hostile file,
// and reading it whole would be the very thing this reader avoids.
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

interface Entry extends TensorInfo {
  begin: number;
  end: number;
  /** Name in the file, when it differs from the PyTorch name. */
  fileName: string;
  /** A flax Dense kernel stored [in, out]: read transposed. */
  transpose: boolean;
}

export class SafetensorsSource implements WeightSource {
  readonly format = 'safetensors' as const;
  private readonly index = new TensorIndex();
  private readonly ranges = new Map<string, Entry>();

  private constructor(
    readonly path: string,
    private fh: FileHandle | undefined,
    private readonly dataStart: number,
    readonly metadata: Record<string, string>,
  ) {}

  static async open(path: string): Promise<SafetensorsSource> {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const lenBuf = Buffer.alloc(8);
      if (size < 8 || (await fh.read(lenBuf, 0, 8, 0)).bytesRead !== 8) {
        throw new ModelLoadError(`${path}: too short to be a safetensors file`);
      }
      const headerLen = Number(lenBuf.readBigUInt64LE(0));
      if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
        throw new ModelLoadError(`${path}: safetensors header length ${headerLen} does not fit a ${size}-byte file`);
      }
      const headerBuf = Buffer.alloc(headerLen);
      await fh.read(headerBuf, 0, headerLen, 8);
      let header: Record<string, unknown>;
      try {
        header = JSON.parse(headerBuf.toString('utf8')) as Record<string, unknown>;
      } catch (e) {
        throw new ModelLoadError(`${path}: safetensors header is not JSON (${(e as Error).message})`, { cause: e });
      }
      const meta = (header.__metadata__ ?? {}) as Record<string, string>;
      // HF's flax save_pretrained(safe_serialization=True) keeps flax names and
      // [in, out] kernels, marked format=flax; TF files use Keras names.
      const flax = meta.format === 'flax';
      if (meta.format === 'tf') {
        throw new ModelLoadError(`${path} holds TensorFlow weights (format=tf); convert from a PyTorch or Flax checkpoint`);
      }
      const src = new SafetensorsSource(path, fh, 8 + headerLen, meta);
      const dataBytes = size - 8 - headerLen;
      const entries: Entry[] = [];
      for (const [name, raw] of Object.entries(header)) {
        if (name === '__metadata__') continue;
        const e = parseEntry(path, name, raw, dataBytes);
        if (flax) {
          const mapped = flaxPathToTorch(name.split('.'), e.shape.length);
          e.name = mapped.name;
          e.transpose = mapped.transpose;
          if (mapped.transpose) e.shape = [e.shape[1], e.shape[0]];
        }
        entries.push(e);
      }
      // File order, which is what a reader streaming the data would see.
      entries.sort((a, b) => a.begin - b.begin);
      for (const e of entries) {
        src.index.add({ name: e.name, shape: e.shape, dtype: e.dtype });
        src.ranges.set(e.name, e);
      }
      return src;
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  list(): TensorInfo[] {
    return this.index.list();
  }

  info(name: string): TensorInfo | undefined {
    return this.index.get(name);
  }

  async read(name: string): Promise<Float32Array> {
    const e = this.ranges.get(name);
    if (!e) throw new ModelLoadError(`${this.path}: no tensor named ${name}`);
    if (!this.fh) throw new ModelLoadError(`${this.path}: read after close`);
    const len = e.end - e.begin;
    // Own ArrayBuffer per tensor: aligned, and F32 can be returned as a view.
    const bytes = new Uint8Array(len);
    const { bytesRead } = await this.fh.read(bytes, 0, len, this.dataStart + e.begin);
    if (bytesRead !== len) throw new ModelLoadError(`${this.path}: ${e.fileName} is cut short (file truncated?)`);
    const flat = decodeToFloat32(bytes, e.dtype, numel(e.shape), `${this.path}: ${e.fileName}`);
    // Stored [in, out] = the transpose of the [out, in] shape reported.
    return e.transpose ? transpose2d(flat, e.shape[1], e.shape[0]) : flat;
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }
}

function parseEntry(path: string, name: string, raw: unknown, dataBytes: number): Entry {
  const bad = (why: string): never => {
    throw new ModelLoadError(`${path}: tensor ${name}: ${why}`);
  };
  if (raw === null || typeof raw !== 'object') bad('header entry is not an object');
  const o = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof o.dtype !== 'string' || !isDType(o.dtype)) bad(`unsupported dtype ${String(o.dtype)}`);
  const dtype = o.dtype as Entry['dtype'];
  if (!Array.isArray(o.shape) || !o.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) bad('bad shape');
  const shape = o.shape as number[];
  const offs = o.data_offsets;
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    bad('bad data_offsets');
  }
  const [begin, end] = offs as [number, number];
  if (begin > end || end > dataBytes) bad(`data_offsets [${begin}, ${end}] outside the ${dataBytes}-byte data`);
  if (end - begin !== numel(shape) * DTYPE_BYTES[dtype]) {
    bad(`${end - begin} bytes for ${dtype}[${shape.join(', ')}]`);
  }
  return { name, shape, dtype, begin, end, fileName: name, transpose: false };
}
