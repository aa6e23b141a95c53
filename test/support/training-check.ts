// The training graph's gradient against an independent float64 truth: the
// test references' forward passes (reference-roberta.ts, reference-bert.ts,
// written from HF's modeling code, not from our graph) and central
// differences of the loss sum_i w_i (logit_i - label_i)^2 they give.
import type { MicroBatch, ParameterSet } from '../../lib/adapt/contract.js';
import type { RobertaConfig, Weight } from '../../lib/forge/roberta-graph.js';
import { mulberry32 } from './pairs.js';
import { referenceBertLogit } from './reference-bert.js';
import { referenceLogit } from './reference-roberta.js';

export interface Rows {
  ids: number[][];
  masks: number[][];
  types: number[][];
  batch: MicroBatch;
}

/**
 * A padded batch with rows of the given lengths (ids from 3 up, so never the
 * pad id or a special token), labels in [0, 1) and weights 1/rows. BERT rows
 * get segment ids 1 over their second half.
 */
export function makeRows(c: RobertaConfig, lengths: number[], seqLen: number, seed: number): Rows {
  const rand = mulberry32(seed);
  const ids: number[][] = [];
  const masks: number[][] = [];
  const types: number[][] = [];
  for (const len of lengths) {
    ids.push(Array.from({ length: seqLen }, (_, j) => (j < len ? 3 + Math.floor(rand() * (c.vocabSize - 3)) : c.padId)));
    masks.push(Array.from({ length: seqLen }, (_, j) => (j < len ? 1 : 0)));
    types.push(Array.from({ length: seqLen }, (_, j) => (j < len && j >= Math.ceil(len / 2) ? 1 : 0)));
  }
  const flat = (a: number[][]) => BigInt64Array.from(a.flat(), BigInt);
  const rows = lengths.length;
  const batch: MicroBatch = {
    rows,
    seqLen,
    inputIds: flat(ids),
    attentionMask: flat(masks),
    tokenTypeIds: c.family === 'bert' ? flat(types) : undefined,
    labels: Float32Array.from(lengths, () => rand()),
    rowWeights: Float32Array.from(lengths, () => 1 / rows),
  };
  return { ids, masks, types, batch };
}

/** Float64 copies of the weights the references read (they only index `data`). */
export function float64Weights(w: ParameterSet, shapes: ReadonlyMap<string, readonly number[]>): Map<string, Weight> {
  return new Map([...w].map(([k, v]) => [k, { shape: [...shapes.get(k)!], data: Float64Array.from(v) as unknown as Float32Array }]));
}

export function referenceLoss(c: RobertaConfig, W: Map<string, Weight>, r: Rows): number {
  let s = 0;
  for (let i = 0; i < r.batch.rows; i++) {
    const logit =
      c.family === 'bert' ? referenceBertLogit(c, W, r.ids[i], r.types[i], r.masks[i]) : referenceLogit(c, W, r.ids[i], r.masks[i]);
    s += r.batch.rowWeights[i] * (logit - r.batch.labels[i]) ** 2;
  }
  return s;
}

export interface TensorCheck {
  name: string;
  /** |g| of this tensor (L2). */
  norm: number;
  /** Directional derivative along a random Gaussian direction u: the truth and <g, u>. */
  truth: number;
  graph: number;
  /** Single elements: index, truth, graph. */
  elements: { index: number; truth: number; graph: number }[];
}

/**
 * Per parameter tensor: the central difference (h = 1e-5, float64) along a
 * random direction against <g, u>, and at two single elements (the largest
 * |g| and a random one).
 */
export function checkGradients(c: RobertaConfig, W: Map<string, Weight>, grads: ParameterSet, r: Rows, seed: number): TensorCheck[] {
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const h = 1e-5;
  const central = (p: Float64Array, move: (sign: number) => void, restore: Float64Array) => {
    move(1);
    const up = referenceLoss(c, W, r);
    move(-1);
    const down = referenceLoss(c, W, r);
    p.set(restore);
    return (up - down) / (2 * h);
  };
  const out: TensorCheck[] = [];
  for (const [name, g] of grads) {
    const p = W.get(name)!.data as unknown as Float64Array;
    const keep = Float64Array.from(p);
    const u = Float64Array.from(p, gauss);
    const truth = central(p, (s) => p.forEach((_, i) => (p[i] = keep[i] + s * h * u[i])), keep);
    let graph = 0;
    let norm = 0;
    let largest = 0;
    g.forEach((v, i) => {
      graph += v * u[i];
      norm += v * v;
      if (Math.abs(v) > Math.abs(g[largest])) largest = i;
    });
    const elements = [largest, Math.floor(rand() * g.length)].map((index) => ({
      index,
      graph: g[index],
      truth: central(p, (s) => (p[index] = keep[index] + s * h), keep),
    }));
    out.push({ name, norm: Math.sqrt(norm), truth, graph, elements });
  }
  return out;
}
