// Test-only writers for the three checkpoint formats the converter reads,
// written from the format descriptions (not by calling the readers' code), so
// a reader bug cannot hide behind a matching writer bug. They write what
// torch.save / save_file / flax.serialization write for a state dict:
// - safetensors: u64 header length, JSON header, data;
// - torch: a stored zip (64-byte aligned data, as torch does) with a protocol-2
//   pickle of an OrderedDict of _rebuild_tensor_v2 calls on persistent storages;
// - flax: msgpack nested maps with ext-1 [shape, dtype, bytes] leaves.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { encode, ExtensionCodec } from '@msgpack/msgpack';
import { floatToBF16, floatToHalf, type DType } from '../../lib/convert/dtypes.js';

export interface TensorSpec {
  name: string;
  shape: number[];
  /** Stored dtype; data is given as fp32 and rounded to it. */
  dtype: 'F32' | 'F16' | 'BF16';
  data: Float32Array;
}

import { seededRandom as rng } from '../../lib/util/seeded-random.js';

export { rng };

export function randomTensor(name: string, shape: number[], dtype: TensorSpec['dtype'], seed: number): TensorSpec {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (r() - 0.5) * 4;
  return { name, shape, dtype, data };
}

/** The bytes a tensor is stored as. */
export function tensorBytes(t: Pick<TensorSpec, 'dtype' | 'data'>): Uint8Array {
  if (t.dtype === 'F32') return new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
  const out = new Uint16Array(t.data.length);
  const conv = t.dtype === 'F16' ? floatToHalf : floatToBF16;
  for (let i = 0; i < t.data.length; i++) out[i] = conv(t.data[i]);
  return new Uint8Array(out.buffer);
}

// ---------------------------------------------------------------- safetensors

export async function writeSafetensors(path: string, tensors: TensorSpec[], metadata?: Record<string, string>) {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let at = 0;
  for (const t of tensors) {
    const b = tensorBytes(t);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + b.length] };
    blobs.push(b);
    at += b.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // the format pads the header to 8 bytes
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  await writeFile(path, Buffer.concat([len, Buffer.from(json), ...blobs]));
}

// ---------------------------------------------------------------------- zip

/** A stored (uncompressed) zip; data offsets padded to 64 bytes with an extra field, as torch does. */
export function zipStored(files: { name: string; data: Uint8Array }[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let at = 0;
  for (const f of files) {
    const name = Buffer.from(f.name);
    const baseLen = 30 + name.length + 4;
    const pad = (64 - ((at + baseLen) % 64)) % 64;
    const extra = Buffer.alloc(4 + pad);
    extra.writeUInt16LE(0x4246, 0); // 'FB', torch's padding field id
    extra.writeUInt16LE(pad, 2);
    const crc = crc32(f.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0, 10);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(f.data.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(f.data.length, 20);
    cd.writeUInt32LE(f.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(at, 42);
    central.push(cd, name);
    parts.push(local, name, extra, Buffer.from(f.data));
    at += 30 + name.length + extra.length + f.data.length;
  }
  const cdBuf = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(files.length, 8);
  eocd.writeUInt16LE(files.length, 10);
  eocd.writeUInt32LE(cdBuf.length, 12);
  eocd.writeUInt32LE(at, 16);
  return Buffer.concat([...parts, cdBuf, eocd]);
}

// ------------------------------------------------------------------- pickle

/** Protocol-2 opcode emitter: just enough to write torch state dicts (and bad pickles). */
export class PickleWriter {
  private readonly out: number[] = [0x80, 0x02];
  private memo = 0;
  private readonly globals = new Map<string, number>();

  op(...bytes: number[]): this {
    this.out.push(...bytes);
    return this;
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    return this.op(0x58, ...len, ...b);
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    if (n >= 0 && n < 65536) return this.op(0x4d, n & 0xff, n >> 8);
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    return this.op(0x4a, ...b);
  }
  /** GLOBAL, memoized the way pickle does, so later uses are BINGETs. */
  global(module: string, name: string): this {
    const key = `${module}.${name}`;
    const m = this.globals.get(key);
    if (m !== undefined) return this.op(0x68, m);
    this.op(0x63, ...Buffer.from(`${module}\n${name}\n`, 'latin1'));
    this.globals.set(key, this.memo);
    return this.op(0x71, this.memo++);
  }
  intTuple(xs: number[]): this {
    this.op(0x28);
    for (const x of xs) this.int(x);
    return this.op(0x74);
  }
  bytes(): Uint8Array {
    return Uint8Array.from([...this.out, 0x2e]);
  }
}

export interface TorchTensorSpec extends TensorSpec {
  /** Store the matrix transposed and describe it with strides (a non-contiguous view). */
  transposedStorage?: boolean;
}

const STORAGE: Record<TensorSpec['dtype'], string> = { F32: 'FloatStorage', F16: 'HalfStorage', BF16: 'BFloat16Storage' };

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/**
 * A torch.save-style zip. `shareStorage` puts every tensor of one dtype into
 * a single storage at increasing offsets, as tied or sliced weights are.
 */
export async function writeTorchBin(
  path: string,
  tensors: TorchTensorSpec[],
  opts: { prefix?: string; shareStorage?: boolean; withMetadata?: boolean } = {},
): Promise<void> {
  const prefix = opts.prefix ?? 'pytorch_model';
  // Pass 1: lay tensors out in storages (the pickle needs each storage's numel).
  const storages = new Map<string, { dtype: TensorSpec['dtype']; chunks: Float32Array[]; numel: number }>();
  const views: { t: TorchTensorSpec; key: string; offset: number; stride: number[] }[] = [];
  let next = 0;
  for (const t of tensors) {
    const key = opts.shareStorage ? `s_${t.dtype}` : String(next++);
    const st = storages.get(key) ?? { dtype: t.dtype, chunks: [], numel: 0 };
    storages.set(key, st);
    let stride: number[] = [];
    for (let i = t.shape.length - 1, s = 1; i >= 0; i--) {
      stride.unshift(s);
      s *= t.shape[i];
    }
    let data = t.data;
    if (t.transposedStorage && t.shape.length === 2) {
      data = transpose(t.data, t.shape[0], t.shape[1]);
      stride = [1, t.shape[0]];
    }
    views.push({ t, key, offset: st.numel, stride });
    st.chunks.push(data);
    st.numel += data.length;
  }
  // Pass 2: the pickle, OrderedDict of _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()).
  const p = new PickleWriter();
  p.global('collections', 'OrderedDict').op(0x29, 0x52).op(0x28);
  for (const { t, key, offset, stride } of views) {
    p.str(t.name).global('torch._utils', '_rebuild_tensor_v2').op(0x28);
    const st = storages.get(key)!;
    p.op(0x28).str('storage').global('torch', STORAGE[t.dtype]).str(key).str('cpu').int(st.numel).op(0x74, 0x51);
    p.int(offset).intTuple(t.shape).intTuple(stride).op(0x89);
    p.global('collections', 'OrderedDict').op(0x29, 0x52);
    p.op(0x74, 0x52);
  }
  p.op(0x75);
  if (opts.withMetadata) {
    // torch's state_dict carries `_metadata` as instance state, pickled with BUILD.
    p.op(0x7d).str('_metadata').global('collections', 'OrderedDict').op(0x29, 0x52).op(0x73, 0x62);
  }
  const files = [{ name: `${prefix}/data.pkl`, data: p.bytes() }];
  files.push({ name: `${prefix}/byteorder`, data: Buffer.from('little') });
  for (const [key, st] of storages) {
    const all = new Float32Array(st.numel);
    let at = 0;
    for (const c of st.chunks) {
      all.set(c, at);
      at += c.length;
    }
    files.push({ name: `${prefix}/data/${key}`, data: tensorBytes({ dtype: st.dtype, data: all }) });
  }
  files.push({ name: `${prefix}/version`, data: Buffer.from('3\n') });
  await writeFile(path, zipStored(files));
}

/** A torch-style zip whose pickle calls os.system: what a hostile checkpoint looks like. */
export async function writeMaliciousTorchBin(path: string, module = 'os', name = 'system'): Promise<void> {
  const p = new PickleWriter();
  p.global(module, name).str('echo pwned > /tmp/cappy-pwned').op(0x85, 0x52);
  await writeFile(path, zipStored([{ name: 'archive/data.pkl', data: p.bytes() }]));
}

// --------------------------------------------------------------------- flax

class NdArray {
  constructor(
    readonly shape: number[],
    readonly dtype: string,
    readonly bytes: Uint8Array,
  ) {}
}

const NUMPY_NAME: Record<TensorSpec['dtype'], string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

export type FlaxTree = { [k: string]: FlaxTree | TensorSpec };

/**
 * flax.serialization.to_bytes of a nested dict. `maxChunkBytes` splits larger
 * arrays into flax's __msgpack_chunked_array__ form.
 */
export async function writeFlaxMsgpack(path: string, tree: FlaxTree, opts: { maxChunkBytes?: number } = {}) {
  const codec = new ExtensionCodec();
  codec.register({
    type: 1,
    encode: (v: unknown) => (v instanceof NdArray ? encode([v.shape, v.dtype, v.bytes]) : null),
    decode: () => null,
  });
  const convert = (node: FlaxTree | TensorSpec): unknown => {
    if ('data' in node && node.data instanceof Float32Array) {
      const t = node as TensorSpec;
      const bytes = tensorBytes(t);
      const esize = t.dtype === 'F32' ? 4 : 2;
      if (opts.maxChunkBytes && bytes.length > opts.maxChunkBytes) {
        const per = Math.max(1, Math.floor(opts.maxChunkBytes / esize));
        const chunks: Record<string, NdArray> = {};
        for (let i = 0, k = 0; i < t.data.length; i += per, k++) {
          const n = Math.min(per, t.data.length - i);
          chunks[String(k)] = new NdArray([n], NUMPY_NAME[t.dtype], bytes.subarray(i * esize, (i + n) * esize));
        }
        return {
          __msgpack_chunked_array__: true,
          shape: Object.fromEntries(t.shape.map((d, i) => [String(i), d])),
          chunks,
        };
      }
      return new NdArray(t.shape, NUMPY_NAME[t.dtype], bytes);
    }
    return Object.fromEntries(Object.entries(node as FlaxTree).map(([k, v]) => [k, convert(v)]));
  };
  await writeFile(path, encode(convert(tree), { extensionCodec: codec }));
}

export type { DType };

// ------------------------------------------------------------ model fixtures

// The sizes both tiny fixture configs share.
const TINY_DIMS = {
  hidden_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 40,
  vocab_size: 50,
};
const ONE_LABEL = { id2label: { '0': 'LABEL_0' }, label2id: { LABEL_0: 0 } };

/** A tiny RobertaForSequenceClassification config.json (HF keys). */
export function tinyRobertaConfig(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: ['RobertaForSequenceClassification'],
    model_type: 'roberta',
    ...TINY_DIMS,
    type_vocab_size: 1,
    layer_norm_eps: 1e-5,
    pad_token_id: 1,
    bos_token_id: 0,
    eos_token_id: 2,
    hidden_act: 'gelu',
    ...ONE_LABEL,
    ...over,
  };
}

/** A tiny BertForSequenceClassification config.json (HF keys; pad_token_id left to BERT's default 0). */
export function tinyBertConfig(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: ['BertForSequenceClassification'],
    model_type: 'bert',
    ...TINY_DIMS,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    hidden_act: 'gelu',
    ...ONE_LABEL,
    ...over,
  };
}

/**
 * One writer per checkpoint format, each writing `specs()` into a folder the
 * way HF saves it (the torch writer also stores every third tensor
 * transposed, as strided storages).
 */
export function checkpointWriters(specs: () => TensorSpec[]) {
  return {
    safetensors: (d: string) => writeSafetensors(join(d, 'model.safetensors'), specs()),
    pytorch: (d: string) =>
      writeTorchBin(
        join(d, 'pytorch_model.bin'),
        specs().map((t, i) => ({ ...t, transposedStorage: i % 3 === 0 })),
        { withMetadata: true },
      ),
    flax: (d: string) => writeFlaxMsgpack(join(d, 'flax_model.msgpack'), toFlaxTree(specs())),
  } as const;
}

/** Splits PyTorch-named tensors into the nested flax tree HF's flax model saves (kernels [in, out]). */
export function toFlaxTree(tensors: TensorSpec[]): FlaxTree {
  const tree: FlaxTree = {};
  for (const t of tensors) {
    const parts = t.name.split('.');
    const last = parts.pop() as string;
    let leafName = last;
    let leaf: TensorSpec = t;
    if (last === 'weight') {
      const parent = parts[parts.length - 1];
      if (parent === 'LayerNorm') leafName = 'scale';
      else if (parent.endsWith('embeddings')) leafName = 'embedding';
      else {
        leafName = 'kernel';
        leaf = { ...t, shape: [t.shape[1], t.shape[0]], data: transpose(t.data, t.shape[0], t.shape[1]) };
      }
    }
    let node = tree;
    for (const p of parts) node = (node[p] ??= {}) as FlaxTree;
    node[leafName] = leaf;
  }
  return tree;
}
