// An honest stand-in for the ONNX Runtime training graph, for testing the
// adapt() loop (data, schedule, optimizer, checkpoints, output) without it:
// a real differentiable model over the real model's parameters, with the
// gradient derived by hand (and checked against finite differences in
// adapt-loop.test.ts).
//
//   f_i   = mean over row i's real tokens of E[id]          (E: word embeddings, [V, H])
//   f~_i  = f_i ⊙ keep / (1 - p)                           (dropout on the features, training only)
//   z_i   = b + w · f~_i                                   (w, b: the head's output layer)
//   loss  = Σ_i rowWeight_i (z_i - label_i)²
//
//   ∂loss/∂b    = Σ_i d_i,   d_i = 2 rowWeight_i (z_i - label_i)
//   ∂loss/∂w_h  = Σ_i d_i f~_ih
//   ∂loss/∂E_vh = Σ_i d_i w_h keep_ih / (1 - p) · count_i(v) / len_i
//
// Every other parameter is reported (the loop trains all of them) with a
// gradient of zero. The keep mask comes from the dropout seed and the row, so
// the same seed gives the same mask, as the real graph's must.
import { AbortError } from '../../lib/errors/index.js';
import { robertaParameterShapes, type RobertaConfig } from '../../lib/forge/index.js';
import type { MicroBatch, ParameterSet, StepResult, TrainingGraph, TrainingGraphOptions } from '../../lib/adapt/contract.js';
import { seededRandom } from '../../lib/util/seeded-random.js';

export interface FakeCall {
  kind: 'accumulate' | 'forward';
  rows: number;
  seqLen: number;
  weightSum: number;
  dropoutSeed?: number;
  firstIds: number[];
}

export class BagOfEmbeddingsGraph implements TrainingGraph {
  readonly parameterShapes: ReadonlyMap<string, readonly number[]>;
  readonly calls: FakeCall[] = [];
  disposed = false;
  /** Called before each accumulate; a test may abort its controller there. */
  beforeAccumulate?: (index: number) => void;
  readonly #E: string;
  readonly #w: string;
  readonly #b: string;

  constructor(
    readonly config: RobertaConfig,
    readonly options: TrainingGraphOptions,
  ) {
    this.parameterShapes = robertaParameterShapes(config);
    this.#E = `${config.family}.embeddings.word_embeddings.weight`;
    const head = config.family === 'bert' ? 'classifier' : 'classifier.out_proj';
    this.#w = `${head}.weight`;
    this.#b = `${head}.bias`;
  }

  static factory(made: BagOfEmbeddingsGraph[] = []) {
    return async (config: RobertaConfig, options: TrainingGraphOptions) => {
      const g = new BagOfEmbeddingsGraph(config, options);
      made.push(g);
      return g;
    };
  }

  /** Features (with dropout when `seed` is given) and logit of row r. */
  #row(batch: Omit<MicroBatch, 'labels' | 'rowWeights'>, weights: ParameterSet, r: number, seed: number | undefined) {
    const H = this.config.hidden;
    const E = weights.get(this.#E)!;
    const w = weights.get(this.#w)!;
    const b = weights.get(this.#b)!;
    const f = new Float64Array(H);
    const tokens: number[] = [];
    for (let t = 0; t < batch.seqLen; t++) {
      if (batch.attentionMask[r * batch.seqLen + t] === 0n) continue;
      tokens.push(Number(batch.inputIds[r * batch.seqLen + t]));
    }
    for (const id of tokens) for (let h = 0; h < H; h++) f[h] += E[id * H + h] / tokens.length;
    const p = seed === undefined ? 0 : this.options.dropout;
    const scale = new Float64Array(H).fill(1);
    if (p > 0) {
      const rand = seededRandom((seed! * 31 + r) >>> 0);
      for (let h = 0; h < H; h++) scale[h] = rand() < p ? 0 : 1 / (1 - p);
    }
    let z = b[0];
    for (let h = 0; h < H; h++) z += w[h] * f[h] * scale[h];
    return { f, scale, z, tokens };
  }

  #record(kind: FakeCall['kind'], batch: Omit<MicroBatch, 'labels' | 'rowWeights'> & { rowWeights?: Float32Array }, dropoutSeed?: number) {
    const firstIds = Array.from({ length: batch.rows }, (_, r) => Number(batch.inputIds[r * batch.seqLen]));
    const weightSum = batch.rowWeights ? batch.rowWeights.reduce((a, x) => a + x, 0) : 0;
    this.calls.push({ kind, rows: batch.rows, seqLen: batch.seqLen, weightSum, dropoutSeed, firstIds });
  }

  async accumulate(
    batch: MicroBatch,
    weights: ParameterSet,
    grads: ParameterSet,
    dropoutSeed: number,
    signal?: AbortSignal,
  ): Promise<StepResult> {
    this.beforeAccumulate?.(this.calls.filter((c) => c.kind === 'accumulate').length);
    await Promise.resolve();
    if (signal?.aborted) throw new AbortError();
    this.#record('accumulate', batch, dropoutSeed);
    const H = this.config.hidden;
    const w = weights.get(this.#w)!;
    const gE = grads.get(this.#E)!;
    const gw = grads.get(this.#w)!;
    const gb = grads.get(this.#b)!;
    const logits = new Float32Array(batch.rows);
    let loss = 0;
    // Sum in float64 over the micro-batch, then add into the float32 gradients once.
    const dw = new Float64Array(H);
    let db = 0;
    const dE = new Map<number, Float64Array>();
    for (let r = 0; r < batch.rows; r++) {
      const { f, scale, z, tokens } = this.#row(batch, weights, r, dropoutSeed);
      logits[r] = z;
      const err = z - batch.labels[r];
      loss += batch.rowWeights[r] * err * err;
      const d = 2 * batch.rowWeights[r] * err;
      db += d;
      for (let h = 0; h < H; h++) dw[h] += d * f[h] * scale[h];
      for (const id of tokens) {
        let row = dE.get(id);
        if (!row) dE.set(id, (row = new Float64Array(H)));
        for (let h = 0; h < H; h++) row[h] += (d * w[h] * scale[h]) / tokens.length;
      }
    }
    gb[0] += db;
    for (let h = 0; h < H; h++) gw[h] += dw[h];
    for (const [id, row] of dE) for (let h = 0; h < H; h++) gE[id * H + h] += row[h];
    return { loss, logits };
  }

  async forward(batch: Omit<MicroBatch, 'labels' | 'rowWeights'>, weights: ParameterSet, signal?: AbortSignal): Promise<Float32Array> {
    await Promise.resolve();
    if (signal?.aborted) throw new AbortError();
    this.#record('forward', batch);
    return Float32Array.from({ length: batch.rows }, (_, r) => this.#row(batch, weights, r, undefined).z);
  }

  /** The loss alone, in float64 (for finite differences). */
  lossOf(batch: MicroBatch, weights: ParameterSet, dropoutSeed: number): number {
    let loss = 0;
    for (let r = 0; r < batch.rows; r++) {
      const err = this.#row(batch, weights, r, dropoutSeed).z - batch.labels[r];
      loss += batch.rowWeights[r] * err * err;
    }
    return loss;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}
