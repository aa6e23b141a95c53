// int8 against fp32 on the same forged weights (small preset, random weights,
// seed 3) and the same pairs, through the engine. The fp32 graph is the truth
// here; test/model/forge.test.ts ties it to the float64 reference. The
// engine's int8 run is itself checked against onnxruntime-node on the same
// graph and ORT build.
//
// Nothing here is tuned to one CPU. ORT's int8 GEMM differs by ISA (AVX2 and
// AVX-512 without VNNI: VPMADDUBSW, int16 pair sums that saturate; AVX-VNNI,
// AVX-512 VNNI: VPDPBUS[D]S into int32; AMX: tiles into int32; see
// lib/runtime/cpu-features.ts), and so do its fp32 kernels, so which
// near-tied candidates trade places differs too. The bounds therefore come
// from the error measured in the same run:
// - the error that can reorder a set is its largest residual (a score's error
//   minus its set's mean error, which moves all candidates alike);
// - only sets whose fp32 best beats the rest by more than that are judged
//   for top-1 (contested sets say nothing about int8), and only candidate
//   pairs that far apart for order;
// - the reorderings allowed are what the measured residuals predict, plus
//   3 standard deviations plus 1 (support/agreement.ts), so no single
//   flip decides the outcome; 96 sets leave ~50 decided ones.
// The absolute error is held to a fraction of the fp32 scores' span (a
// property of the model's scale, not of a CPU): max 10%, mean 3%.
// Measured: AVX-512 VNNI (Xeon, Emerald Rapids, no AMX exposed) here; AVX2
// (AMD EPYC) on the project's other machines; AMX is reasoned about, not run
// (docs/dtypes.md, "int8 on every ISA"). The log line says which kernel ran.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeModel, ModelProto } from '../../lib/forge/index.js';
import { InvalidInputError, ModelLoadError, Scorer } from '../../lib/index.js';
import { cpuFeatures } from '../../lib/runtime/cpu-features.js';
import { absDiffs, candidateSets, orderAgainstNoise, rankAgreement } from '../../support/agreement.js';
import { padRows, runRows } from '../../support/ort-rows.js';

const ABS = { maxOfSpan: 0.1, meanOfSpan: 0.03 };
const SETS = 96;
const K = 8;
const root = resolve(import.meta.dirname, '..', '..');
let tmp: string;
let small: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'cappy-int8-'));
  small = join(tmp, 'small');
  await forgeModel({ preset: 'small', seed: 3, outDir: small, dtypes: ['fp32', 'int8'] });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
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

  it('the engine runs it exactly as onnxruntime-node does on the same ORT build; across ORT versions within int8 error', async () => {
    const rows = [
      [0, 713, 16, 10, 1296, 2, 2, 2527, 2],
      [0, 50264, 4, 2],
      [0, ...Array.from({ length: 60 }, (_, i) => ((i * 7919) % 50260) + 4), 2],
    ];
    const { ids, mask, len } = padRows(rows);
    const graph = (dtype: string) => join(small, 'onnx', dtype === 'int8' ? 'model_int8.onnx' : 'model.onnx');
    const session = await ort.InferenceSession.create(graph('int8'), { intraOpNumThreads: 1 });
    const want = await runRows(ort, session, rows);
    await session.release();
    // Same build: the engine in a process of its own on onnxruntime-node's library.
    const ortNodeLib = join(
      dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json')),
      'bin',
      'napi-v6',
      'linux',
      'x64',
      'libonnxruntime.so.1',
    );
    const script = `
      import { Scorer } from 'cappy-engine';
      const s = await Scorer.load(${JSON.stringify(small)}, { dtype: 'int8', intraOpThreads: 1 });
      const ids = BigInt64Array.from(${JSON.stringify(Array.from(ids, String))}, BigInt);
      const mask = BigInt64Array.from(${JSON.stringify(Array.from(mask, String))}, BigInt);
      console.log(JSON.stringify({ version: s.info.ort.version, scores: Array.from(await s.scoreIds(ids, mask, ${rows.length}, ${len})) }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CAPPY_ORT_LIB: ortNodeLib },
    });
    expect(r.stderr).toBe('');
    const sameBuild = JSON.parse(r.stdout);
    expect(sameBuild.version).toBe(ort.env.versions.common);
    expect(absDiffs(sameBuild.scores, want).max).toBeLessThanOrEqual(1e-6);
    // Our default ORT (1.29) against 1.30: two int8 implementations, each within
    // int8's error of fp32, may differ by up to twice that error (they agree
    // exactly on AVX2; on AVX-512 VNNI they differed by 5.8e-3 here).
    const engine = await Scorer.load(small, { dtype: 'int8', intraOpThreads: 1 });
    const fp32 = await Scorer.load(small, { dtype: 'fp32', intraOpThreads: 1 });
    try {
      const got = await engine.scoreIds(ids, mask, rows.length, len);
      const exact = await fp32.scoreIds(ids, mask, rows.length, len);
      const across = absDiffs(got, want).max;
      const error = Math.max(absDiffs(got, exact).max, absDiffs(want, exact).max);
      console.log(
        `engine int8 on onnxruntime-node's ORT ${sameBuild.version}: max |diff| ${absDiffs(sameBuild.scores, want).max.toExponential(2)}; ` +
          `on its own ORT ${engine.info.ort.version}: ${across.toExponential(2)} (int8 vs fp32 on these rows: ${error.toExponential(2)}; ${cpuFeatures().int8Kernel})`,
      );
      expect(across).toBeLessThanOrEqual(2 * error + 1e-6);
    } finally {
      await engine.dispose();
      await fp32.dispose();
    }
  });

  it(`reorders ${SETS} rank() sets of ${K} no more than its own measured error predicts`, async () => {
    const sets = candidateSets(SETS, K);
    const fp32 = await Scorer.load(small, { dtype: 'fp32' });
    const int8 = await Scorer.load(small, { dtype: 'int8' });
    try {
      // rank() as a user calls it, all sets at once (the micro-batcher merges them).
      const scoresOf = async (s: Scorer) =>
        Promise.all(
          sets.map(async (set) => {
            const ranked = await s.rank(set.instruction, set.candidates);
            const scores = new Float32Array(K);
            for (const r of ranked) scores[r.index] = r.score;
            return scores;
          }),
        );
      const t0 = performance.now();
      const ref = await scoresOf(fp32);
      const t1 = performance.now();
      const got = await scoresOf(int8);
      const t2 = performance.now();
      const all = (x: Float32Array[]) => x.flatMap((s) => Array.from(s));
      const d = absDiffs(all(got), all(ref));
      const span = Math.max(...all(ref)) - Math.min(...all(ref));
      const order = orderAgainstNoise(ref, got);
      const overall = rankAgreement(ref, got, order.margin);
      const cpu = cpuFeatures();
      console.log(
        `int8 vs fp32, small preset (random weights), ${SETS * K} pairs, ORT ${int8.info.ort.version}, int8 kernel ${cpu.int8KernelDescription}: ` +
          `max |diff| ${d.max.toFixed(4)}, mean ${d.mean.toFixed(4)} (fp32 span ${span.toFixed(3)}), residual std ${d.residualStd.toFixed(4)}, ` +
          `reordering margin ${order.margin.toFixed(4)}; decided sets ${order.decidedSets}/${SETS}: ${order.flips} flipped ` +
          `(expected ${order.expectedFlips.toFixed(2)}, bound ${order.flipBound}); decided pairs ${order.decidedPairs}: ${order.discordant} swapped ` +
          `(expected ${order.expectedDiscordant.toFixed(2)}, bound ${order.discordantBound}); for information, all sets: top-1 ${(100 * overall.top1).toFixed(1)}%, ` +
          `Kendall tau mean ${overall.meanTau.toFixed(3)}, contested ${(100 * overall.contested).toFixed(0)}%; fp32 ${(t1 - t0).toFixed(0)} ms, int8 ${(t2 - t1).toFixed(0)} ms`,
      );
      expect(d.max).toBeLessThanOrEqual(ABS.maxOfSpan * span);
      expect(d.mean).toBeLessThanOrEqual(ABS.meanOfSpan * span);
      // Enough clear cases for the order checks to say something.
      expect(order.decidedSets).toBeGreaterThanOrEqual(SETS / 4);
      expect(order.decidedPairs).toBeGreaterThanOrEqual((SETS * K * (K - 1)) / 2 / 2);
      expect(order.flips).toBeLessThanOrEqual(order.flipBound);
      expect(order.discordant).toBeLessThanOrEqual(order.discordantBound);
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
    const tiny = join(tmp, 'tiny');
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
    const dir = join(tmp, 'reforge');
    await forgeModel({ preset: 'tiny', seed: 1, outDir: dir, dtypes: ['fp32', 'int8', 'fp16'] });
    await forgeModel({ preset: 'tiny', seed: 2, outDir: dir, dtypes: ['fp32'] });
    const s = await Scorer.load(dir, { dtype: 'auto', intraOpThreads: 1 });
    expect(s.info.model.dtype).toBe('fp32');
    await s.dispose();
  });
});
