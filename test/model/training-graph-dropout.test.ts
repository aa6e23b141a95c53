// Dropout in the training graph (lib/adapt/graph/dropout.ts), on a small
// forged model: masks are made in the graph from a counter-based hash of
// (seed, site, element index), so they are checked here bit for bit against
// the same hash computed in JS, then statistically: keep rates and the joint
// keep rate of two masks (sites, seeds, neighbouring elements) against the
// binomial distribution, each within 6 standard deviations (a check an ideal
// random source fails with probability < 2e-9; the hash is deterministic, so
// a pass is a fixed fact, not luck that can change run to run).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { ParameterSet } from '../../lib/adapt/contract.js';
import {
  buildTrainingGraph,
  dropoutSiteCount,
  GraphSession,
  keepProbability,
  keeps,
  openTrainingGraph,
} from '../../lib/adapt/graph/index.js';
import { forgedWeights, robertaConfig, type ModelFamily, type RobertaConfig } from '../../lib/forge/index.js';
import { makeRows } from '../support/training-check.js';
import { mulberry32 } from '../support/pairs.js';

beforeAll(() => {
  process.env.CAPPY_HOME = inject('cappyHome');
});

const small = (family: ModelFamily) =>
  robertaConfig({ family, vocabSize: 40, hidden: 16, layers: 2, heads: 2, intermediate: 32, maxPositions: 40 });
const paramsOf = (c: RobertaConfig, seed: number): ParameterSet => new Map([...forgedWeights(c, seed)].map(([k, w]) => [k, w.data]));
const zerosLike = (w: ParameterSet): ParameterSet => new Map([...w].map(([k, v]) => [k, new Float32Array(v.length)]));
const DROP_OPS = ['BitwiseXor', 'BitShift', 'BitwiseAnd', 'GreaterOrEqual', 'Where'];

it.each(['roberta', 'bert'] as const)('%s: dropout 0 emits no dropout node and no seed input; above 0, one mask per HF site', (family) => {
  const c = small(family);
  const off = buildTrainingGraph({ config: c, mode: 'train', dropout: 0 }).graph;
  expect(off.nodes.filter((n) => DROP_OPS.includes(n.opType))).toEqual([]);
  expect(off.inputs.map((i) => i.name)).not.toContain('dropout_seed');
  const on = buildTrainingGraph({ config: c, mode: 'train', dropout: 0.1, exposeMasks: true });
  // embeddings, 3 per layer (attention probs, attention output, FFN output), then the head's.
  expect(on.masks).toHaveLength(1 + 3 * c.layers + (family === 'bert' ? 1 : 2));
  expect(on.masks).toHaveLength(dropoutSiteCount(c));
  // The eval graph never drops.
  expect(buildTrainingGraph({ config: c, mode: 'eval', dropout: 0.1 }).graph.nodes.filter((n) => DROP_OPS.includes(n.opType))).toEqual([]);
});

describe.each([0.1, 0.5])('masks at p = %s', (p) => {
  const c = small('roberta');
  const weights = paramsOf(c, 3);
  const r = makeRows(c, [32, 30, 17, 32, 5, 32, 28, 32], 32, 4);
  const masksFor = async (seeds: number[]) => {
    const layout = buildTrainingGraph({ config: c, mode: 'train', dropout: p, exposeMasks: true });
    const path = join(mkdtempSync(join(tmpdir(), 'cappy-dropout-')), 'train.onnx');
    await layout.graph.write(path);
    const session = await GraphSession.open(path, { intraOpThreads: 2 });
    try {
      const out: Uint8Array[][] = [];
      for (const seed of seeds) {
        const inputs = [
          { name: 'input_ids', data: r.batch.inputIds, shape: [r.batch.rows, r.batch.seqLen] },
          { name: 'attention_mask', data: r.batch.attentionMask, shape: [r.batch.rows, r.batch.seqLen] },
          { name: 'labels', data: r.batch.labels, shape: [r.batch.rows] },
          { name: 'row_weights', data: r.batch.rowWeights, shape: [r.batch.rows] },
          { name: 'dropout_seed', data: Uint32Array.of(seed), shape: [] },
          ...[...weights].map(([name, data]) => ({ name, data, shape: layout.parameters.get(name)! })),
        ];
        const res = await session.run(
          inputs,
          layout.masks.map((name) => ({ name })),
        );
        out.push(res.map((m) => m.data as Uint8Array));
      }
      return out;
    } finally {
      await session.dispose();
    }
  };
  const q = keepProbability(p); // exact for the graph's 16-bit threshold
  const within = (hits: number, n: number, prob: number) => Math.abs(hits - n * prob) <= 6 * Math.sqrt(n * prob * (1 - prob));

  it('are the JS hash bit for bit and keep at the binomial rate', async () => {
    const [masks] = await masksFor([0xdeadbeef]);
    masks.forEach((m, site) => {
      let kept = 0;
      let wrong = 0;
      for (let i = 0; i < m.length; i++) {
        const keep = keeps(0xdeadbeef, site, i, m.length, p);
        if (m[i] !== (keep ? 1 : 0)) wrong++;
        if (keep) kept++;
      }
      expect(wrong).toBe(0);
      expect(within(kept, m.length, q)).toBe(true);
    });
  });

  it('are independent between sites, between seeds and between neighbouring elements', async () => {
    const [a, b] = await masksFor([7, 8]);
    const both = (x: Uint8Array, y: Uint8Array, shift = 0) => {
      let n = 0;
      let hits = 0;
      for (let i = 0; i + shift < x.length && i < y.length; i++, n++) if (x[i + shift] !== 0 && y[i] !== 0) hits++;
      return { n, hits };
    };
    const pairs: [Uint8Array, Uint8Array, number][] = [];
    // Sites of one shape: embeddings (0), attention output (2) and FFN output (3) of layer 0, layer 1's (5, 6).
    for (const [i, j] of [
      [0, 2],
      [2, 3],
      [3, 5],
      [0, 6],
    ]) {
      pairs.push([a[i], a[j], 0]);
    }
    pairs.push([a[1], a[4], 0]); // the two layers' attention probabilities
    for (let s = 0; s < a.length; s++) pairs.push([a[s], b[s], 0]); // seed 7 against seed 8, every site
    for (const s of [0, 1]) pairs.push([a[s], a[s], 1]); // element i against i + 1
    for (const s of [0, 1]) pairs.push([a[s], a[s], Math.ceil(a[s].length / 2)]); // the two 16-bit halves of one hash
    for (const [x, y, shift] of pairs) {
      const { n, hits } = both(x, y, shift);
      expect(within(hits, n, q * q)).toBe(true);
    }
  });
});

describe('training with dropout', () => {
  const c = small('roberta');
  const weights = paramsOf(c, 5);
  const r = makeRows(c, [9, 7, 3, 9], 9, 6);

  it('is reproducible bit for bit for one seed and changes with the seed', async () => {
    const tg = await openTrainingGraph(c, { dropout: 0.1, intraOpThreads: 2 });
    try {
      const run = async (seed: number) => {
        const grads = zerosLike(weights);
        const step = await tg.accumulate(r.batch, weights, grads, seed);
        return { step, grads };
      };
      const [x, y, z] = [await run(12345), await run(12345), await run(12346)];
      expect(y.step.loss).toBe(x.step.loss);
      expect(Buffer.from(y.step.logits.buffer).equals(Buffer.from(x.step.logits.buffer))).toBe(true);
      for (const [k, v] of x.grads) expect(Buffer.from(y.grads.get(k)!.buffer).equals(Buffer.from(v.buffer))).toBe(true);
      expect(z.step.loss).not.toBe(x.step.loss);
    } finally {
      await tg.dispose();
    }
  });

  it('gives the gradient of its own loss with the masks fixed (central differences of the float32 graph)', async () => {
    // The graph's loss with dropout on, seed fixed, is a deterministic function
    // of the weights; its central difference along a unit direction u with
    // h = 1e-3 errs by the float32 rounding of the loss (~1e-7 |terms|) / 2h
    // ~ 1e-4, plus h^2 |L'''| / 6 ~ 1e-7: tolerance 5e-4 + 1e-3 |g|. A
    // gradient computed with other masks than the forward's (another seed;
    // the negative control) is off by far more.
    const tg = await openTrainingGraph(c, { dropout: 0.1, intraOpThreads: 1 });
    try {
      const seed = 99;
      const grads = zerosLike(weights);
      await tg.accumulate(r.batch, weights, grads, seed);
      const otherMasks = zerosLike(weights);
      await tg.accumulate(r.batch, weights, otherMasks, seed + 1);
      const loss = async (w: ParameterSet) => (await tg.accumulate(r.batch, w, zerosLike(w), seed)).loss;
      const rand = mulberry32(21);
      const h = 1e-3;
      let controlFailures = 0;
      const names = [
        'roberta.embeddings.LayerNorm.weight',
        'roberta.encoder.layer.0.attention.self.query.weight',
        'roberta.encoder.layer.1.output.dense.weight',
        'classifier.dense.weight',
        'classifier.out_proj.bias',
      ];
      for (const name of names) {
        const p = weights.get(name)!;
        const u = Float64Array.from(p, () => rand() - 0.5);
        const norm = Math.hypot(...u);
        u.forEach((v, i) => (u[i] = v / norm));
        const moved = (s: number) =>
          new Map([...weights].map(([k, v]) => [k, k === name ? Float32Array.from(v, (x, i) => x + s * h * u[i]) : v]));
        const truth = ((await loss(moved(1))) - (await loss(moved(-1)))) / (2 * h);
        const dot = (g: Float32Array) => g.reduce((s, v, i) => s + v * u[i], 0);
        const g = grads.get(name)!;
        const tol = 5e-4 + 1e-3 * Math.hypot(...g);
        expect(Math.abs(dot(g) - truth)).toBeLessThanOrEqual(tol);
        if (Math.abs(dot(otherMasks.get(name)!) - truth) > tol) controlFailures++;
      }
      expect(controlFailures).toBeGreaterThanOrEqual(names.length - 1);
    } finally {
      await tg.dispose();
    }
  });
});
