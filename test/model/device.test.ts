// Devices without a GPU: 'cuda' fails with one typed error naming what is
// missing, 'auto' falls back to CPU and says why, and the GPU input path
// (reusable input slots, IoBinding, two batches in flight) runs on CPU against
// the plain path and onnxruntime-node. The GPU half lives in gpu.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DeviceUnavailableError, Scorer } from '../../lib/index.js';
import { CUDA_EP_PACKAGE, findCudaEpLibrary, nvidiaGpuVisible } from '../../lib/runtime/execution-provider.js';
import { resolveOrtLibrary } from '../../lib/runtime/ort-library.js';
import { makePairs } from '../support/pairs.js';
import { writeProbeModel } from '../support/probe-model.js';

const dir = inject('tinyModelDir');
const gpu = nvidiaGpuVisible();
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'cappy-device-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.skipIf(gpu)('without a GPU', () => {
  it("device 'cuda' rejects with one DeviceUnavailableError naming what is missing", async () => {
    const err = await Scorer.load(dir, { device: 'cuda' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeviceUnavailableError);
    const e = err as DeviceUnavailableError;
    expect(e.code).toBe('DEVICE_UNAVAILABLE');
    expect(e.device).toBe('cuda');
    expect(e.missing).toContain('/dev/nvidia*');
    if (!findCudaEpLibrary(resolveOrtLibrary())) {
      expect(e.missing).toContain(CUDA_EP_PACKAGE);
      expect(e.message).toContain(`npm install ${CUDA_EP_PACKAGE}@0.4.9`);
    }
  });

  it('CAPPY_ORT_CUDA_EP pointing nowhere is named in the error', async () => {
    process.env.CAPPY_ORT_CUDA_EP = join(scratch, 'nope', 'libonnxruntime_providers_cuda.so');
    try {
      await expect(Scorer.load(dir, { device: 'cuda' })).rejects.toThrow(/CAPPY_ORT_CUDA_EP points at .*nope/);
    } finally {
      delete process.env.CAPPY_ORT_CUDA_EP;
    }
  });

  it("device 'tensorrt' without a full ORT GPU build names the provider libraries", async () => {
    await expect(Scorer.load(dir, { device: 'tensorrt' })).rejects.toThrow(/libonnxruntime_providers_tensorrt\.so/);
  });

  it("device 'auto' falls back to CPU and says why in info.execution", async () => {
    const scorer = await Scorer.load(dir, { device: 'auto' });
    try {
      const x = scorer.info.execution;
      expect(x.requested).toBe('auto');
      expect(x.executionProvider).toBe('cpu');
      expect(scorer.info.executionProvider).toBe('cpu');
      expect(x.ioBinding).toBe(false);
      expect(x.skipped?.length).toBe(2);
      expect(x.skipped?.[0]).toMatch(/tensorrt/);
      expect(x.skipped?.[1]).toMatch(/cuda/);
      expect(Number.isFinite(await scorer.score('a question', 'an answer'))).toBe(true);
    } finally {
      await scorer.dispose();
    }
  });
});

describe('the GPU input path on CPU', () => {
  it('IoBinding with two batches in flight matches the plain path exactly and onnxruntime-node within 1e-5', async () => {
    const plain = await Scorer.load(dir);
    const bound = await Scorer.load(dir, { ioBinding: true, batchesInFlight: 2, maxBatchSize: 8 });
    const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'));
    try {
      expect(plain.info.execution).toMatchObject({ executionProvider: 'cpu', ioBinding: false, batchesInFlight: 1 });
      expect(bound.info.execution).toMatchObject({ ioBinding: true, batchesInFlight: 2, pinnedBuffers: false });
      const pairs = makePairs(120, 5);
      const [a, b] = await Promise.all([plain.scoreBatch(pairs), bound.scoreBatch(pairs)]);
      expect(bound.stats().batches).toBeGreaterThanOrEqual(15); // many batches really ran two at a time
      expect(maxAbsDiff(a, b)).toBe(0);

      // onnxruntime-node on the same ids, one row at a time (no padding at all).
      const rows = pairs.slice(0, 12).map(([q, r]) => Array.from(bound.tokenizer.encode(q, r).ids));
      const expected = new Float32Array(rows.length);
      for (const [i, row] of rows.entries()) {
        const ids = BigInt64Array.from(row, BigInt);
        const out = await session.run({
          input_ids: new ort.Tensor('int64', ids, [1, row.length]),
          attention_mask: new ort.Tensor('int64', new BigInt64Array(row.length).fill(1n), [1, row.length]),
        });
        expected[i] = (out.logits.data as Float32Array)[0];
      }
      expect(maxAbsDiff(b.subarray(0, rows.length), expected)).toBeLessThanOrEqual(1e-5);
    } finally {
      await Promise.all([plain.dispose(), bound.dispose(), session.release()]);
    }
  });

  for (const ids of ['int32', 'int64'] as const) {
    it(`fills ${ids} ids, masks and zero token types exactly, bound or not`, async () => {
      const probe = join(scratch, `probe-${ids}`);
      await writeProbeModel(probe, dir, ids);
      const pairs = makePairs(40, 11);
      for (const ioBinding of [false, true]) {
        const scorer = await Scorer.load(probe, { ioBinding, batchesInFlight: 2, maxBatchSize: 4 });
        try {
          expect(scorer.info.inputs.map((t) => t.elementType)).toEqual([ids, ids, ids]);
          const got = await scorer.scoreBatch(pairs);
          const want = pairs.map(([q, r]) => Math.fround(scorer.tokenizer.encode(q, r).ids.reduce((s, x) => s + x, 0)));
          expect(Array.from(got)).toEqual(want);
          // scoreIds: a caller's mask is taken as given (0 hides the second id).
          const idsIn = BigInt64Array.from([0, 7, 9, 2, 1, 1], BigInt);
          const maskIn = BigInt64Array.from([1, 1, 0, 1, 0, 0], BigInt);
          expect(Array.from(await scorer.scoreIds(idsIn, maskIn, 2, 3))).toEqual([7, 2]);
        } finally {
          await scorer.dispose();
        }
      }
    });
  }
});
