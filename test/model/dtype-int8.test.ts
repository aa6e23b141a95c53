// int8 against fp32 on the same forged weights (small preset, random weights,
// seed 3) and the same pairs, through the engine: absolute score differences,
// and rank() over candidate sets (top-1 agreement, Kendall's tau). The fp32
// graph is the truth here; test/model/forge.test.ts ties it to the float64
// reference. The engine's int8 run is itself checked against
// onnxruntime-node on the same graph.
//
// Bounds enforced (measured values are in docs/dtypes.md; the margin covers
// other CPUs, whose int8 kernels differ: AVX2 saturates, VNNI/AMX do not):
//   max |int8 - fp32| <= 0.1, mean <= 0.03 (fp32 scores here span ~0.9)
//   rank() top-1 agreement >= 0.85 over 24 sets of 8 (at most 3 sets differ),
//   mean Kendall tau >= 0.85
// Measured here (AVX2): max 0.028, mean 0.008, top-1 22/24, tau 0.938.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeModel, ModelProto } from '../../lib/forge/index.js';
import { InvalidInputError, ModelLoadError, Scorer } from '../../lib/index.js';
import { absDiffs, candidateSets, rankAgreement } from '../../support/agreement.js';
import { padRows, runRows } from '../../support/ort-rows.js';

const BOUNDS = { maxAbs: 0.1, meanAbs: 0.03, top1: 0.85, meanTau: 0.85 };
const SETS = 24;
const K = 8;
let root: string;
let small: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cappy-int8-'));
  small = join(root, 'small');
  await forgeModel({ preset: 'small', seed: 3, outDir: small, dtypes: ['fp32', 'int8'] });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('int8 graph', () => {
  it('quantizes the encoder Linears per output channel; attention output, embeddings, LayerNorm and the head stay fp32', async () => {
    const model = ModelProto.decode(await readFile(join(small, 'onnx', 'model_int8.onnx'))) as unknown as {
      opsetImport: { domain: string }[];
      graph: { node: { opType: string; domain: string }[]; initializer: { name: string; dataType: number; dims: unknown[] }[] };
    };
    const ops = model.graph.node.filter((n) => n.opType === 'DynamicQuantizeMatMul');
    expect(ops.length).toBe(4 * 5); // small: 4 layers x (q, k, v, intermediate, output); attention output stays fp32
    expect(ops.every((n) => n.domain === 'com.microsoft')).toBe(true);
    const types = new Map(model.graph.initializer.map((t) => [t.name, t]));
    const q = types.get('roberta.encoder.layer.0.intermediate.dense.weight_q')!;
    expect(q.dataType).toBe(3); // INT8
    expect(q.dims.map(Number)).toEqual([256, 1024]); // [in, out]
    expect(types.get('roberta.encoder.layer.0.intermediate.dense.weight_scale')!.dims.map(Number)).toEqual([1024]); // per channel
    expect(types.get('roberta.encoder.layer.0.attention.output.dense.weight_t')!.dataType).toBe(1);
    expect(types.get('roberta.embeddings.word_embeddings.weight')!.dataType).toBe(1);
    expect(types.get('classifier.dense.weight_t')!.dataType).toBe(1);
  });

  it('the engine runs it as onnxruntime-node does (same padded batch)', async () => {
    const scorer = await Scorer.load(small, { dtype: 'int8', intraOpThreads: 1 });
    const rows = [
      [0, 713, 16, 10, 1296, 2, 2, 2527, 2],
      [0, 50264, 4, 2],
      [0, ...Array.from({ length: 60 }, (_, i) => ((i * 7919) % 50260) + 4), 2],
    ];
    const { ids, mask, len } = padRows(rows);
    const session = await ort.InferenceSession.create(join(small, 'onnx', 'model_int8.onnx'), { intraOpNumThreads: 1 });
    try {
      const want = await runRows(ort, session, rows);
      const got = await scorer.scoreIds(ids, mask, rows.length, len);
      const d = absDiffs(got, want);
      console.log(`engine int8 (ORT ${scorer.info.ort.version}) vs onnxruntime-node ${ort.env.versions.common}: max |diff| ${d.max.toExponential(2)}`);
      expect(d.max).toBeLessThanOrEqual(1e-4);
    } finally {
      await session.release();
      await scorer.dispose();
    }
  });

  it(`stays within the stated bounds of fp32 on ${SETS} rank() sets of ${K} (${SETS * K} pairs)`, async () => {
    const sets = candidateSets(SETS, K);
    const fp32 = await Scorer.load(small, { dtype: 'fp32' });
    const int8 = await Scorer.load(small, { dtype: 'int8' });
    try {
      // rank() as a user calls it, all sets at once (the micro-batcher merges them).
      const scoresOf = async (s: Scorer) =>
        Promise.all(sets.map(async (set) => {
          const ranked = await s.rank(set.instruction, set.candidates);
          const scores = new Float32Array(K);
          for (const r of ranked) scores[r.index] = r.score;
          return scores;
        }));
      const t0 = performance.now();
      const ref = await scoresOf(fp32);
      const t1 = performance.now();
      const got = await scoresOf(int8);
      const t2 = performance.now();
      const all = (x: Float32Array[]) => x.flatMap((s) => Array.from(s));
      const d = absDiffs(all(got), all(ref));
      const span = Math.max(...all(ref)) - Math.min(...all(ref));
      const agreement = rankAgreement(ref, got, d.maxResidual);
      console.log(
        `int8 vs fp32, small preset (random weights), ${SETS * K} pairs: max |diff| ${d.max.toFixed(4)}, mean ${d.mean.toFixed(4)} ` +
          `(offset ${d.offset.toFixed(4)}, residual std ${d.residualStd.toFixed(4)}; fp32 scores span ${span.toFixed(3)}, ` +
          `median top-2 gap ${agreement.medianTopGap.toFixed(4)}); rank(): top-1 agreement ${(100 * agreement.top1).toFixed(1)}% of ${SETS} sets, ` +
          `Kendall tau mean ${agreement.meanTau.toFixed(3)} min ${agreement.minTau.toFixed(3)}; ` +
          `${(100 * agreement.contested).toFixed(0)}% of sets contested (fp32 top-2 gap < largest residual), top-1 there ${(100 * agreement.top1Contested).toFixed(0)}%; ` +
          `fp32 ${(t1 - t0).toFixed(0)} ms, int8 ${(t2 - t1).toFixed(0)} ms`,
      );
      expect(d.max).toBeLessThanOrEqual(BOUNDS.maxAbs);
      expect(d.mean).toBeLessThanOrEqual(BOUNDS.meanAbs);
      expect(agreement.top1).toBeGreaterThanOrEqual(BOUNDS.top1);
      expect(agreement.meanTau).toBeGreaterThanOrEqual(BOUNDS.meanTau);
      // The sets discriminate: fp32 scores within a set are not flat.
      expect(span).toBeGreaterThan(10 * d.mean);
    } finally {
      await fp32.dispose();
      await int8.dispose();
    }
  });
});

describe('dtype selection', () => {
  it("'auto' on the CPU picks int8 when the folder has it and says so in info", async () => {
    const s = await Scorer.load(small, { dtype: 'auto', intraOpThreads: 1 });
    try {
      expect(s.info.model.dtype).toBe('int8');
      expect(s.info.model.onnxPath).toBe(join(small, 'onnx', 'model_int8.onnx'));
      expect(s.info.model.dtypeChoice).toBe('auto on cpu: int8 (also here: fp32)');
    } finally {
      await s.dispose();
    }
  });

  it("no dtype is fp32 (onnx/model.onnx); 'auto' falls back to fp32; a missing dtype says what is there", async () => {
    const tiny = join(root, 'tiny');
    await forgeModel({ preset: 'tiny', seed: 1, outDir: tiny, dtypes: ['fp32'] });
    for (const dtype of [undefined, 'auto'] as const) {
      const s = await Scorer.load(tiny, { dtype, intraOpThreads: 1 });
      expect(s.info.model.dtype).toBe('fp32');
      await s.dispose();
    }
    await expect(Scorer.load(tiny, { dtype: 'int8' })).rejects.toThrow(ModelLoadError);
    await expect(Scorer.load(tiny, { dtype: 'int8' })).rejects.toThrow(/dtypes here: fp32.*--dtype/);
    await expect(Scorer.load(tiny, { dtype: 'int4' as never })).rejects.toThrow(InvalidInputError);
    await expect(Scorer.load(tiny, { dtype: 'fp32', onnxFile: 'onnx/model.onnx' })).rejects.toThrow(/onnxFile or dtype/);
  });

  it('forging again with fewer dtypes removes the stale ones', async () => {
    const dir = join(root, 'reforge');
    await forgeModel({ preset: 'tiny', seed: 1, outDir: dir, dtypes: ['fp32', 'int8', 'fp16'] });
    await forgeModel({ preset: 'tiny', seed: 2, outDir: dir, dtypes: ['fp32'] });
    const s = await Scorer.load(dir, { dtype: 'auto', intraOpThreads: 1 });
    expect(s.info.model.dtype).toBe('fp32');
    await s.dispose();
  });
});
