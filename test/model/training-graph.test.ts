// The training graph (lib/adapt/graph) on forged models (seeded random
// weights, not Cappy's): every parameter tensor's gradient, RoBERTa and BERT,
// with padding in the batch and dropout off, against an independent float64
// truth; its eval-mode forward against the Scorer on the inference graph;
// gradient accumulation and reproducibility.
//
// Tolerance of the gradient check, per tensor t with gradient g_t, and G the
// norm of the whole gradient: |<g_t, u> - D_u| <= 1e-4 |g_t| + 1e-6 G, where
// D_u is the float64 central difference (h = 1e-5; its own error ~1e-10)
// along a random Gaussian direction u. The graph runs in float32
// (unit roundoff 2^-24 = 6e-8); a gradient element is a sum over at most
// rows x seqLen x hidden = 336 products carried through ~30 chained ops, a
// worst-case growth of ~1e3 roundoffs, so 1e-4 relative bounds honest float32
// error while a wrong rule errs by O(|g_t|) (the negative control below). The
// 1e-6 G floor is for tensors whose true gradient is 0 (attention key biases
// cancel under softmax): there the float32 result is rounding noise from
// terms of the size of the rest of the gradient. Measured on AVX-512 here:
// worst 1.1e-6 |g_t| (RoBERTa) and 1.3e-6 (BERT); key biases 3-6e-10 G.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ParameterSet, TrainingGraph } from '../../lib/adapt/contract.js';
import { RULES, type VjpRule } from '../../lib/adapt/differentiate/index.js';
import { openTrainingGraph } from '../../lib/adapt/graph/index.js';
import { forgedWeights, forgeModel, PRESETS, robertaConfig, type ModelFamily, type RobertaConfig } from '../../lib/forge/index.js';
import { Scorer } from '../../lib/index.js';
import { checkGradients, float64Weights, makeRows, type TensorCheck } from '../support/training-check.js';

beforeAll(() => {
  process.env.CAPPY_HOME = inject('cappyHome');
});

const small = (family: ModelFamily) =>
  robertaConfig({ family, vocabSize: 40, hidden: 16, layers: 2, heads: 2, intermediate: 32, maxPositions: 24 });
const paramsOf = (c: RobertaConfig, seed: number): ParameterSet => new Map([...forgedWeights(c, seed)].map(([k, w]) => [k, w.data]));
const zerosLike = (w: ParameterSet): ParameterSet => new Map([...w].map(([k, v]) => [k, new Float32Array(v.length)]));

async function gradients(c: RobertaConfig, weights: ParameterSet, rowsSeed = 5) {
  const r = makeRows(c, [7, 5, 3], 7, rowsSeed);
  const tg = await openTrainingGraph(c, { dropout: 0, intraOpThreads: 1 });
  try {
    const grads = zerosLike(weights);
    const step = await tg.accumulate(r.batch, weights, grads, 0);
    return { r, grads, step, shapes: tg.parameterShapes };
  } finally {
    await tg.dispose();
  }
}

function failures(checks: TensorCheck[]): string[] {
  const G = Math.hypot(...checks.map((t) => t.norm));
  const bad: string[] = [];
  for (const t of checks) {
    const tol = 1e-4 * t.norm + 1e-6 * G;
    if (!(Math.abs(t.graph - t.truth) <= tol)) bad.push(`${t.name}: <g,u> ${t.graph} vs ${t.truth}`);
    const tolElement = 1e-4 * Math.abs(t.elements[0].graph) + 1e-6 * G;
    for (const e of t.elements)
      if (!(Math.abs(e.graph - e.truth) <= tolElement)) bad.push(`${t.name}[${e.index}]: ${e.graph} vs ${e.truth}`);
  }
  return bad;
}

describe.each(['roberta', 'bert'] as const)('%s training graph', (family) => {
  const c = small(family);
  const weights = paramsOf(c, 11);

  it('gives every parameter tensor the gradient of the float64 reference (padding in the batch, dropout 0)', async () => {
    const { r, grads, step, shapes } = await gradients(c, weights);
    expect([...grads.keys()]).toEqual([...shapes.keys()]);
    const W = float64Weights(weights, shapes);
    const checks = checkGradients(c, W, grads, r, 17);
    expect(checks).toHaveLength(shapes.size);
    expect(failures(checks)).toEqual([]);
    // The loss is computed in float64 from the graph's float32 logits.
    const { referenceLoss } = await import('../support/training-check.js');
    expect(Math.abs(step.loss - referenceLoss(c, W, r))).toBeLessThan(1e-6);
    // Key biases add the same score to every key of a query: softmax cancels it.
    const G = Math.hypot(...checks.map((t) => t.norm));
    for (const t of checks.filter((x) => x.name.endsWith('attention.self.key.bias'))) expect(t.norm).toBeLessThan(1e-6 * G);
    // Rows of the word table no real token used stay exactly zero (padding
    // reaches only masked positions); used ones do not.
    const table = grads.get(`${family}.embeddings.word_embeddings.weight`)!;
    const used = new Set(r.ids.flatMap((row, i) => row.filter((_, j) => r.masks[i][j] === 1)));
    for (let id = 0; id < c.vocabSize; id++) {
      const row = table.subarray(id * c.hidden, (id + 1) * c.hidden);
      expect(row.some((v) => v !== 0)).toBe(used.has(id));
    }
  });

  it('negative control: the same check fails a graph built with a broken LayerNorm rule', async () => {
    const table = RULES as Record<string, VjpRule>;
    const good = table.LayerNormalization;
    // Drops mean(g) from dx: right for gamma and beta, wrong for everything upstream.
    table.LayerNormalization = (ctx) => {
      const out = good(ctx);
      const t = ctx.tape;
      const [x, gamma] = ctx.node.inputs;
      const centred = t.sub(x, t.reduceMean(x, [-1], true));
      const r = t.emit('Reciprocal', [
        t.emit('Sqrt', [t.add(t.reduceMean(t.mul(centred, centred), [-1], true), t.like(x, c.layerNormEps))]),
      ]);
      const xhat = t.mul(centred, r);
      const g = t.mul(ctx.dys[0]!, gamma);
      return [t.mul(r, t.sub(g, t.mul(xhat, t.reduceMean(t.mul(g, xhat), [-1], true)))), out[1], out[2]];
    };
    let checks: TensorCheck[];
    try {
      const { r, grads, shapes } = await gradients(c, weights);
      checks = checkGradients(c, float64Weights(weights, shapes), grads, r, 17);
    } finally {
      table.LayerNormalization = good;
    }
    expect(failures(checks).length).toBeGreaterThan(10);
  });

  it("adds into the caller's gradients: two accumulations are twice one, bit for bit, on 2 threads too", async () => {
    const r = makeRows(c, [6, 2, 4, 7], 7, 9);
    const tg = await openTrainingGraph(c, { dropout: 0, intraOpThreads: 2 });
    try {
      const once = zerosLike(weights);
      const again = zerosLike(weights);
      const twice = zerosLike(weights);
      await tg.accumulate(r.batch, weights, once, 0);
      await tg.accumulate(r.batch, weights, again, 0);
      await tg.accumulate(r.batch, weights, twice, 0);
      await tg.accumulate(r.batch, weights, twice, 0);
      for (const [k, v] of once) {
        expect(Buffer.from(again.get(k)!.buffer).equals(Buffer.from(v.buffer))).toBe(true);
        if (!k.endsWith('_embeddings.weight')) {
          // Added natively: g + g is exactly 2g.
          expect(Buffer.from(twice.get(k)!.buffer).equals(Buffer.from(v.map((x) => 2 * x).buffer))).toBe(true);
        } else {
          // Table rows are added one gathered row at a time, so a repeated id
          // sums in another order the second time: equal to 2g within rounding.
          const t = twice.get(k)!;
          v.forEach((x, i) => expect(Math.abs(t[i] - 2 * x)).toBeLessThanOrEqual(1e-6 * Math.max(...v.map(Math.abs))));
        }
      }
    } finally {
      await tg.dispose();
    }
  });
});

it.each(['roberta', 'bert'] as const)(
  '%s: the padding_idx rows get no gradient, as torch gives them none, even where the true derivative is not 0',
  async (family) => {
    const c = small(family);
    const weights = paramsOf(c, 11);
    // A pad id inside a row's real tokens (mask 1) makes the forward depend on
    // that table row; torch's nn.Embedding(padding_idx) still gives it none.
    const r = makeRows(c, [6, 4], 6, 2);
    r.ids[0][3] = c.padId;
    r.batch.inputIds[3] = BigInt(c.padId);
    const tg = await openTrainingGraph(c, { dropout: 0, intraOpThreads: 1 });
    try {
      const grads = zerosLike(weights);
      await tg.accumulate(r.batch, weights, grads, 0);
      const row = (name: string, id: number) => grads.get(name)!.subarray(id * c.hidden, (id + 1) * c.hidden);
      expect(row(`${family}.embeddings.word_embeddings.weight`, c.padId).every((v) => v === 0)).toBe(true);
      if (family === 'roberta') expect(row('roberta.embeddings.position_embeddings.weight', c.padId).every((v) => v === 0)).toBe(true);
      // ...while the reference's central difference along that row is not 0.
      const [check] = checkGradients(
        c,
        float64Weights(weights, tg.parameterShapes),
        new Map([[`${family}.embeddings.word_embeddings.weight`, new Float32Array(c.vocabSize * c.hidden)]]),
        r,
        1,
      );
      expect(Math.abs(check.truth)).toBeGreaterThan(1e-4);
    } finally {
      await tg.dispose();
    }
  },
);

it('spells x W^T as MatMul(x, Transpose(W)) or sums the tables in the graph (ScatterND) to the same gradients', async () => {
  const c = small('roberta');
  const weights = paramsOf(c, 11);
  const r = makeRows(c, [7, 5, 3], 7, 5);
  const run = async (extras: Parameters<typeof openTrainingGraph>[2]) => {
    const tg = await openTrainingGraph(c, { dropout: 0, intraOpThreads: 1 }, extras);
    try {
      const grads = zerosLike(weights);
      await tg.accumulate(r.batch, weights, grads, 0);
      return grads;
    } finally {
      await tg.dispose();
    }
  };
  const base = await run({});
  for (const extras of [{ linear: 'matmul' as const }, { tables: 'scatter' as const }]) {
    const other = await run(extras);
    for (const [k, v] of base) {
      const scale = Math.max(...v.map(Math.abs));
      // float32 sums in another order: a few roundings of the tensor's largest element.
      other.get(k)!.forEach((x, i) => expect(Math.abs(x - v[i])).toBeLessThanOrEqual(1e-5 * scale));
    }
  }
});

it('rejects an aborted accumulate with AbortError and leaves the gradients as they were', async () => {
  const c = small('bert');
  const weights = paramsOf(c, 11);
  const tg = await openTrainingGraph(c, { dropout: 0.1, intraOpThreads: 1 });
  try {
    const grads = zerosLike(weights);
    const err = await tg.accumulate(makeRows(c, [4, 2], 4, 1).batch, weights, grads, 5, AbortSignal.abort()).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    for (const v of grads.values()) expect(v.every((x) => x === 0)).toBe(true);
    // The graph still works afterwards, and refuses a wrong seed or a missing weight by name.
    await expect(tg.accumulate(makeRows(c, [4, 2], 4, 1).batch, weights, grads, 5)).resolves.toHaveProperty('loss');
    await expect(tg.accumulate(makeRows(c, [4, 2], 4, 1).batch, weights, grads, -1)).rejects.toThrow(/dropoutSeed/);
    const missing = new Map(weights);
    missing.delete('classifier.bias');
    await expect(tg.accumulate(makeRows(c, [4, 2], 4, 1).batch, missing, grads, 5)).rejects.toThrow(/classifier.bias .*missing/);
  } finally {
    await tg.dispose();
  }
});

describe('eval-mode forward against the Scorer on the inference graph of the same weights', () => {
  let dir: string;
  const open: TrainingGraph[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cappy-tg-'));
  });
  afterAll(async () => {
    await Promise.all(open.map((t) => t.dispose()));
  });

  it.each(['tiny', 'bert-tiny'] as const)('%s: logits[:, 0] within 1e-5, and the training graph with dropout 0 agrees', async (preset) => {
    const c = PRESETS[preset];
    const modelDir = preset === 'tiny' ? inject('tinyModelDir') : join(dir, preset);
    if (preset !== 'tiny') await forgeModel({ preset, seed: 7, outDir: modelDir });
    const weights = paramsOf(c, 7);
    const r = makeRows(c, [9, 4, 1, 12], 12, 3);
    const tg = await openTrainingGraph(c, { dropout: 0, intraOpThreads: 2 });
    open.push(tg);
    const scorer = await Scorer.load(modelDir, { intraOpThreads: 2 });
    try {
      const ours = await tg.forward(r.batch, weights);
      const theirs = await scorer.scoreIds(r.batch.inputIds, r.batch.attentionMask, r.batch.rows, r.batch.seqLen, r.batch.tokenTypeIds);
      for (let i = 0; i < r.batch.rows; i++) expect(Math.abs(ours[i] - theirs[i])).toBeLessThanOrEqual(1e-5);
      const step = await tg.accumulate(r.batch, weights, zerosLike(weights), 0);
      for (let i = 0; i < r.batch.rows; i++) expect(Math.abs(step.logits[i] - ours[i])).toBeLessThanOrEqual(1e-5);
    } finally {
      await scorer.dispose();
    }
  });
});
