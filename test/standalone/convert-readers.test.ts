// The three weight readers against the test writers: random tensors in fp32,
// fp16 and bf16 come back exactly (after the storage dtype's own rounding),
// under PyTorch names and layout; hostile or broken files are refused.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeToFloat32, floatToBF16, floatToHalf } from '../../lib/convert/dtypes.js';
import { FlaxSource, transpose2d } from '../../lib/convert/flax.js';
import { SafetensorsSource } from '../../lib/convert/safetensors.js';
import { TorchBinSource } from '../../lib/convert/torch-bin.js';
import type { WeightSource } from '../../lib/convert/source.js';
import {
  PickleWriter,
  randomTensor,
  tensorBytes,
  writeFlaxMsgpack,
  writeMaliciousTorchBin,
  writeSafetensors,
  writeTorchBin,
  zipStored,
  type TensorSpec,
} from '../support/weight-writers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cappy-readers-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What a tensor should read back as: its data rounded through the stored dtype. */
function expected(t: TensorSpec): Float32Array {
  return decodeToFloat32(tensorBytes(t), t.dtype, t.data.length, t.name).slice();
}

const specs = (): TensorSpec[] => [
  randomTensor('roberta.embeddings.word_embeddings.weight', [37, 16], 'F32', 1),
  randomTensor('roberta.encoder.layer.0.attention.self.query.weight', [16, 16], 'F16', 2),
  randomTensor('roberta.encoder.layer.0.attention.self.query.bias', [16], 'BF16', 3),
  randomTensor('classifier.out_proj.weight', [1, 16], 'F32', 4),
  randomTensor('classifier.out_proj.bias', [1], 'F16', 5),
  randomTensor('scalar.like', [], 'F32', 6),
];

async function expectSame(src: WeightSource, tensors: TensorSpec[]): Promise<void> {
  expect(
    src
      .list()
      .map((t) => t.name)
      .sort(),
  ).toEqual(tensors.map((t) => t.name).sort());
  for (const t of tensors) {
    expect(src.info(t.name)).toEqual({ name: t.name, shape: t.shape, dtype: t.dtype });
    expect(await src.read(t.name)).toEqual(expected(t));
  }
}

describe('dtype decoding', () => {
  it('decodes known fp16 and bf16 bit patterns', () => {
    const half = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x3555]);
    const f = decodeToFloat32(new Uint8Array(half.buffer), 'F16', half.length, 't');
    expect([...f]).toEqual([1, -2, 65504, 2 ** -24, -0, Infinity, 0.333251953125]);
    const bf = new Uint16Array([0x3f80, 0xc040, 0x4049]);
    expect([...decodeToFloat32(new Uint8Array(bf.buffer), 'BF16', 3, 't')]).toEqual([1, -3, 3.140625]);
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(1 / 3)).toBe(0x3555);
    expect(floatToBF16(Math.PI)).toBe(0x4049);
  });
});

describe('safetensors', () => {
  it('round-trips fp32, fp16 and bf16 tensors', async () => {
    const ts = specs();
    const path = join(dir, 'model.safetensors');
    await writeSafetensors(path, ts, { format: 'pt' });
    const src = await SafetensorsSource.open(path);
    expect(src.metadata).toEqual({ format: 'pt' });
    await expectSame(src, ts);
    await src.close();
    await expect(src.read(ts[0].name)).rejects.toThrow(/after close/);
  });

  it('reads flax-format safetensors (flax names, [in, out] kernels) under PyTorch names', async () => {
    const kernel = randomTensor('roberta.encoder.layer.0.intermediate.dense.kernel', [16, 24], 'F32', 7);
    const scale = randomTensor('roberta.embeddings.LayerNorm.scale', [16], 'BF16', 8);
    const path = join(dir, 'flax.safetensors');
    await writeSafetensors(path, [kernel, scale], { format: 'flax' });
    const src = await SafetensorsSource.open(path);
    expect(src.info('roberta.encoder.layer.0.intermediate.dense.weight')?.shape).toEqual([24, 16]);
    expect(await src.read('roberta.encoder.layer.0.intermediate.dense.weight')).toEqual(transpose2d(expected(kernel), 16, 24));
    expect(await src.read('roberta.embeddings.LayerNorm.weight')).toEqual(expected(scale));
    await src.close();
    await writeSafetensors(path, [kernel], { format: 'tf' });
    await expect(SafetensorsSource.open(path)).rejects.toThrow(/TensorFlow/);
  });

  it('refuses a header that points outside the file or lies about sizes', async () => {
    const path = join(dir, 'bad.safetensors');
    const header = JSON.stringify({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 12] } });
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    await writeFile(path, Buffer.concat([len, Buffer.from(header), Buffer.alloc(12)]));
    await expect(SafetensorsSource.open(path)).rejects.toThrow(/12 bytes for F32\[4\]/);
    len.writeBigUInt64LE(1n << 40n);
    await writeFile(path, Buffer.concat([len, Buffer.from('{}')]));
    await expect(SafetensorsSource.open(path)).rejects.toThrow(/header length/);
  });
});

describe('pytorch_model.bin', () => {
  it('round-trips tensors in their own storages, with _metadata', async () => {
    const ts = specs();
    const path = join(dir, 'own.bin');
    await writeTorchBin(path, ts, { withMetadata: true });
    const src = await TorchBinSource.open(path);
    await expectSame(src, ts);
    await src.close();
  });

  it('reads views into shared storages and non-contiguous (transposed) views', async () => {
    const ts = specs().map((t, i) => ({ ...t, transposedStorage: i % 2 === 0 }));
    const path = join(dir, 'shared.bin');
    await writeTorchBin(path, ts, { shareStorage: true, prefix: 'archive' });
    const src = await TorchBinSource.open(path);
    await expectSame(src, ts);
    await src.close();
  });

  it('rejects a pickle that calls os.system, naming the global, without running it', async () => {
    const path = join(dir, 'evil.bin');
    await writeMaliciousTorchBin(path);
    await expect(TorchBinSource.open(path)).rejects.toThrow(/os\.system/);
    await writeMaliciousTorchBin(path, 'builtins', 'eval');
    await expect(TorchBinSource.open(path)).rejects.toThrow(/builtins\.eval.*allowed: collections\.OrderedDict/);
  });

  it('rejects opcodes that build arbitrary objects', async () => {
    const p = new PickleWriter();
    p.global('collections', 'OrderedDict').op(0x29, 0x81); // NEWOBJ
    const path = join(dir, 'newobj.bin');
    await writeFile(path, zipStored([{ name: 'archive/data.pkl', data: p.bytes() }]));
    await expect(TorchBinSource.open(path)).rejects.toThrow(/opcode 0x81/);
  });

  it('explains legacy and non-zip files', async () => {
    const path = join(dir, 'legacy.bin');
    await writeFile(path, Buffer.from([0x80, 0x02, 0x8a, 0x0a]));
    await expect(TorchBinSource.open(path)).rejects.toThrow(/legacy/);
  });
});

describe('flax_model.msgpack', () => {
  const tree = () => {
    const k = randomTensor('k', [16, 24], 'F32', 10); // Dense kernel [in, out]
    return {
      roberta: {
        embeddings: {
          word_embeddings: { embedding: randomTensor('e', [37, 16], 'BF16', 11) },
          LayerNorm: { scale: randomTensor('s', [16], 'F16', 12), bias: randomTensor('b', [16], 'F32', 13) },
        },
        encoder: { layer: { '0': { intermediate: { dense: { kernel: k, bias: randomTensor('kb', [24], 'F32', 14) } } } } },
      },
    };
  };

  async function check(opts: { maxChunkBytes?: number; wrapParams?: boolean }) {
    const t = tree();
    const path = join(dir, `flax-${opts.maxChunkBytes ?? 0}-${opts.wrapParams ? 1 : 0}.msgpack`);
    await writeFlaxMsgpack(path, opts.wrapParams ? { params: t } : t, opts);
    const src = await FlaxSource.open(path);
    const kernel = t.roberta.encoder.layer['0'].intermediate.dense.kernel;
    expect(src.info('roberta.encoder.layer.0.intermediate.dense.weight')).toEqual({
      name: 'roberta.encoder.layer.0.intermediate.dense.weight',
      shape: [24, 16],
      dtype: 'F32',
    });
    expect(await src.read('roberta.encoder.layer.0.intermediate.dense.weight')).toEqual(transpose2d(expected(kernel), 16, 24));
    expect(await src.read('roberta.embeddings.word_embeddings.weight')).toEqual(expected(t.roberta.embeddings.word_embeddings.embedding));
    expect(await src.read('roberta.embeddings.LayerNorm.weight')).toEqual(expected(t.roberta.embeddings.LayerNorm.scale));
    expect(await src.read('roberta.embeddings.LayerNorm.bias')).toEqual(expected(t.roberta.embeddings.LayerNorm.bias));
    expect(src.list()).toHaveLength(5);
    await src.close();
  }

  it('maps flax paths to PyTorch names and transposes Dense kernels', () => check({}));
  it("unwraps an outer 'params' collection", () => check({ wrapParams: true }));
  it('reassembles __msgpack_chunked_array__ leaves', () => check({ maxChunkBytes: 100 }));

  it('refuses truncated files', async () => {
    const path = join(dir, 'cut.msgpack');
    await writeFile(path, Buffer.from([0x81, 0xa1, 0x61, 0xc9, 0, 0, 1, 0, 1]));
    await expect(FlaxSource.open(path)).rejects.toThrow(/ends early/);
  });
});
