// The CUDA path on a real GPU. Skipped, not failed, where there is none: no
// /dev/nvidiaN, or the CUDA EP and its libraries are not all loadable (the
// DeviceUnavailableError that skips here is what device.test.ts checks).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Scorer } from '../../lib/index.js';
import { loadAddon } from '../../lib/native.js';
import { nvidiaGpuVisible, prepareCuda } from '../../lib/runtime/execution-provider.js';
import { resolveOrtLibrary } from '../../lib/runtime/ort-library.js';
import { makePairs } from '../support/pairs.js';
import { writeProbeModel } from '../support/probe-model.js';

function cudaReady(): boolean {
  if (!nvidiaGpuVisible()) return false;
  try {
    prepareCuda(resolveOrtLibrary(), loadAddon());
    return true;
  } catch {
    return false;
  }
}

const dir = inject('tinyModelDir');
// The CUDA EP may use TF32 tensor cores for fp32 matmuls; random tiny
// weights keep logits small, so 2e-3 is loose for fp32 and tight for TF32.
const TOL = 2e-3;
let scratch: string | undefined;
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe.skipIf(!cudaReady())('CUDA execution provider', () => {
  it('loads with pinned buffers, IoBinding and two batches in flight, and matches CPU', async () => {
    const cpu = await Scorer.load(dir);
    const cuda = await Scorer.load(dir, { device: 'cuda' });
    try {
      expect(cuda.info.execution).toMatchObject({
        executionProvider: 'cuda',
        deviceId: 0,
        ioBinding: true,
        pinnedBuffers: true,
        batchesInFlight: 2,
      });
      const pairs = makePairs(200, 3);
      const [a, b] = await Promise.all([cpu.scoreBatch(pairs), cuda.scoreBatch(pairs)]);
      let diff = 0;
      for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
      console.log(`cuda vs cpu: ${pairs.length} pairs, max diff ${diff.toExponential(2)}`);
      expect(diff).toBeLessThanOrEqual(TOL);
    } finally {
      await Promise.all([cpu.dispose(), cuda.dispose()]);
    }
  });

  it('the plain Run path on CUDA agrees with the bound one', async () => {
    const bound = await Scorer.load(dir, { device: 'cuda' });
    const plain = await Scorer.load(dir, { device: 'cuda', ioBinding: false, batchesInFlight: 1 });
    try {
      const pairs = makePairs(64, 8);
      const [a, b] = await Promise.all([bound.scoreBatch(pairs), plain.scoreBatch(pairs)]);
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-4);
    } finally {
      await Promise.all([bound.dispose(), plain.dispose()]);
    }
  });

  it('fills int32 inputs exactly from pinned buffers', async () => {
    scratch = await mkdtemp(join(tmpdir(), 'cappy-gpu-'));
    const probe = join(scratch, 'probe-int32');
    await writeProbeModel(probe, dir, 'int32');
    const scorer = await Scorer.load(probe, { device: 'cuda', maxBatchSize: 4 });
    try {
      const pairs = makePairs(24, 2);
      const got = await scorer.scoreBatch(pairs);
      const want = pairs.map(([q, r]) => Math.fround(scorer.tokenizer.encode(q, r).ids.reduce((s, x) => s + x, 0)));
      expect(Array.from(got)).toEqual(want);
    } finally {
      await scorer.dispose();
    }
  });

  it("'auto' picks a GPU provider", async () => {
    const scorer = await Scorer.load(dir, { device: 'auto' });
    try {
      expect(['cuda', 'tensorrt']).toContain(scorer.info.execution.executionProvider);
    } finally {
      await scorer.dispose();
    }
  });
});
