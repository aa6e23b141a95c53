// pytorch_model.bin as torch.save has written it since torch 1.6: a zip with
// <prefix>/data.pkl (the state dict, tensors as persistent storage ids),
// <prefix>/data/<key> (one raw little-endian storage per key) and
// <prefix>/byteorder. yauzl reads the central directory; the pickle goes
// through the restricted unpickler; storages are read lazily, and only the
// byte range a tensor views.
import { open, type FileHandle } from 'node:fs/promises';
import yauzl from 'yauzl';
import { ModelLoadError } from '../errors/index.js';
import { decodeToFloat32, DTYPE_BYTES, numel } from './dtypes.js';
import { PyDict, TensorRef, unpickle, type PyValue } from './pickle.js';
import { TensorIndex, type TensorInfo, type WeightSource } from './source.js';

const MAX_PICKLE_BYTES = 256 * 1024 * 1024;

export class TorchBinSource implements WeightSource {
  readonly format = 'pytorch' as const;
  private readonly index = new TensorIndex();
  private readonly tensors = new Map<string, TensorRef>();

  private constructor(
    readonly path: string,
    private zip: yauzl.ZipFile | undefined,
    private fh: FileHandle | undefined,
    private readonly entries: Map<string, yauzl.Entry>,
    private readonly prefix: string,
  ) {}

  static async open(path: string): Promise<TorchBinSource> {
    await rejectLegacyFormat(path);
    const zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false });
    let fh: FileHandle | undefined;
    try {
      const entries = new Map<string, yauzl.Entry>();
      for await (const entry of zip.eachEntry()) entries.set(entry.fileName, entry);
      const pkl = [...entries.keys()].find((n) => n.endsWith('/data.pkl') || n === 'data.pkl');
      if (!pkl) throw new ModelLoadError(`${path}: a zip without data.pkl is not a torch checkpoint`);
      const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
      const order = entries.get(`${prefix}byteorder`);
      if (order && (await readEntry(zip, order, 16)).toString('latin1').trim() !== 'little') {
        throw new ModelLoadError(`${path}: big-endian torch checkpoints are not supported`);
      }
      fh = await open(path, 'r');
      const src = new TorchBinSource(path, zip, fh, entries, prefix);
      const pklEntry = entries.get(pkl) as yauzl.Entry;
      const root = unpickle(await readEntry(zip, pklEntry, MAX_PICKLE_BYTES), `${path}: data.pkl`);
      src.collect(stateDict(root, path));
      return src;
    } catch (e) {
      zip.close();
      await fh?.close();
      throw e;
    }
  }

  private collect(dict: PyDict): void {
    for (const [k, v] of dict.map) {
      // Non-tensor entries (rare version ints) carry no weights.
      if (typeof k !== 'string' || !(v instanceof TensorRef)) continue;
      this.index.add({ name: k, shape: v.shape, dtype: v.storage.dtype });
      this.tensors.set(k, v);
    }
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
    const what = `${this.path}: ${name}`;
    const count = numel(t.shape);
    if (count === 0) return new Float32Array(0);
    const esize = DTYPE_BYTES[t.storage.dtype];
    // The furthest element the view touches decides how much storage to read.
    let last = t.offset;
    for (let i = 0; i < t.shape.length; i++) last += (t.shape[i] - 1) * t.stride[i];
    if (t.offset < 0 || last >= t.storage.numel) {
      throw new ModelLoadError(`${what}: view reaches element ${last} of a ${t.storage.numel}-element storage`);
    }
    const bytes = await this.readStorage(t.storage.key, t.offset * esize, (last + 1) * esize, what);
    const flat = decodeToFloat32(bytes, t.storage.dtype, last + 1 - t.offset, what);
    return isContiguous(t.shape, t.stride) ? flat.subarray(0, count) : gather(flat, t.shape, t.stride);
  }

  /** Bytes [start, end) of data/<key>, straight from the file when the entry is stored. */
  private async readStorage(key: string, start: number, end: number, what: string): Promise<Uint8Array> {
    if (!this.zip || !this.fh) throw new ModelLoadError(`${this.path}: read after close`);
    const entry = this.entries.get(`${this.prefix}data/${key}`);
    if (!entry) throw new ModelLoadError(`${what}: storage data/${key} is missing from the zip`);
    if (end > entry.uncompressedSize) {
      throw new ModelLoadError(`${what}: storage data/${key} holds ${entry.uncompressedSize} bytes, needs ${end}`);
    }
    if (entry.compressionMethod === 0) {
      // torch writes storages uncompressed (and 64-byte aligned) precisely so
      // they can be read in place.
      const { fileDataStart } = await this.zip.readLocalFileHeaderPromise(entry, { minimal: true });
      const out = new Uint8Array(end - start);
      const { bytesRead } = await this.fh.read(out, 0, out.length, fileDataStart + start);
      if (bytesRead !== out.length) throw new ModelLoadError(`${what}: storage data/${key} is cut short`);
      return out;
    }
    const whole = await readEntry(this.zip, entry, entry.uncompressedSize);
    return new Uint8Array(whole.subarray(start, end));
  }

  async close(): Promise<void> {
    this.zip?.close();
    this.zip = undefined;
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }
}

/** The state dict itself, unwrapping the {'state_dict': ...} / {'model': ...} training wrappers. */
function stateDict(root: PyValue, path: string): PyDict {
  if (!(root instanceof PyDict)) throw new ModelLoadError(`${path}: the pickle holds no dict of tensors`);
  for (const wrapper of ['state_dict', 'model']) {
    const inner = root.map.get(wrapper);
    if (root.map.size === 1 && inner instanceof PyDict) return inner;
  }
  return root;
}

async function rejectLegacyFormat(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    await fh.read(head, 0, 4, 0);
    if (head.readUInt32LE(0) === 0x04034b50) return; // "PK\3\4"
    if (head[0] === 0x80) {
      throw new ModelLoadError(`${path} uses torch's legacy (pre-1.6) serialization; re-save it with a newer torch or as safetensors`);
    }
    throw new ModelLoadError(`${path} is not a torch zip checkpoint`);
  } finally {
    await fh.close();
  }
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, limit: number): Promise<Buffer> {
  if (entry.uncompressedSize > limit) {
    throw new ModelLoadError(`zip entry ${entry.fileName} is ${entry.uncompressedSize} bytes, over ${limit}`);
  }
  const stream = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expect = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expect) return false;
    expect *= shape[i];
  }
  return true;
}

/** Copies a strided view (flat starts at the view's offset) into row-major order. */
function gather(flat: Float32Array, shape: number[], stride: number[]): Float32Array {
  const out = new Float32Array(numel(shape));
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src += idx[d] * stride[d];
    out[o] = flat[src];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}
