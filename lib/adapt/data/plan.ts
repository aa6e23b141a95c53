// Which rows each optimizer step trains on, and how a step is cut into
// micro-batches.
//
// The rows form one stream, cut into steps of batchSize × gradAccum rows:
// - --epochs E: E passes over the file, each in its own seeded shuffle;
// - --train-size N (the paper's recipe): the file shuffled once, repeated and
//   cut to N rows, then that list shuffled again (what cappy_bigbench.py does
//   before redco's trainer shuffles its examples);
// - --no-shuffle: file order, repeated (E passes, or cut to N).
// Steps = ceil(stream / (batchSize × gradAccum)); a last, shorter step keeps
// every remaining row and averages over the rows it has (so every row counts
// once per pass and no row is dropped).
//
// Inside a step, rows are sorted by token count (longest first, ties in
// stream order) and cut into micro-batches of at most batchSize rows, each
// padded to its longest row: similar lengths share a batch and little compute
// goes to padding. With --no-shuffle a step keeps stream order instead and is
// cut into consecutive micro-batches of batchSize rows. Every row carries
// weight 1 / (rows in the step), so the summed gradient is the step's mean
// whatever the grouping: torch's loss.mean() / gradAccum when every
// micro-batch is full.
import type { MicroBatch } from '../contract.js';
import { seededRandom } from '../../util/seeded-random.js';
import type { EncodedRows } from './tokenize.js';

export interface StreamSettings {
  batchSize: number;
  gradAccum: number;
  /** Passes over the file; ignored when trainSize is set. */
  epochs: number;
  /** Rows to train on in all (repeat or cut the shuffled file), instead of epochs. */
  trainSize?: number;
  shuffle: boolean;
  seed: number;
}

/** A 32-bit hash of a few integers (murmur3's finalizer over each), for seeds derived from (seed, purpose, index...). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    let k = Math.imul(p >>> 0, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// What each derived seed is for: a resume recomputes the same streams from them.
const PURPOSE = { epochShuffle: 1, trainSizeFirst: 2, trainSizeSecond: 3, dropout: 4 } as const;

/** Fisher–Yates in place with a seeded generator (mulberry32). */
function shuffleInPlace(a: Uint32Array, seed: number): void {
  const rand = seededRandom(seed);
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

function identity(n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** The file's row index at every position of the training stream. */
export function streamOrder(rows: number, s: StreamSettings): Uint32Array {
  if (s.trainSize !== undefined) {
    const once = identity(rows);
    if (s.shuffle) shuffleInPlace(once, mixSeed(s.seed, PURPOSE.trainSizeFirst));
    const out = new Uint32Array(s.trainSize);
    for (let i = 0; i < s.trainSize; i++) out[i] = once[i % rows];
    if (s.shuffle) shuffleInPlace(out, mixSeed(s.seed, PURPOSE.trainSizeSecond));
    return out;
  }
  const out = new Uint32Array(rows * s.epochs);
  for (let e = 0; e < s.epochs; e++) {
    const pass = identity(rows);
    if (s.shuffle) shuffleInPlace(pass, mixSeed(s.seed, PURPOSE.epochShuffle, e));
    out.set(pass, e * rows);
  }
  return out;
}

export function rowsPerStep(s: Pick<StreamSettings, 'batchSize' | 'gradAccum'>): number {
  return s.batchSize * s.gradAccum;
}

export function totalStepsFor(streamLength: number, s: Pick<StreamSettings, 'batchSize' | 'gradAccum'>): number {
  return Math.ceil(streamLength / rowsPerStep(s));
}

/** The stream positions step `step` (0-based) trains on. */
export function stepSlice(order: Uint32Array, step: number, s: Pick<StreamSettings, 'batchSize' | 'gradAccum'>): Uint32Array {
  const n = rowsPerStep(s);
  return order.subarray(step * n, Math.min(order.length, (step + 1) * n));
}

/** The dropout seed of micro-batch `micro` of step `step`: a pure function of the run's seed, so a resumed run draws the same masks. */
export function dropoutSeedFor(seed: number, step: number, micro: number): number {
  return mixSeed(seed, PURPOSE.dropout, step, micro) >>> 1; // 31 bits: safe as an int32 seed anywhere
}

/** Groups a step's rows (file row indices) into micro-batches of at most batchSize rows. */
export function groupStep(rows: Uint32Array, data: EncodedRows, batchSize: number, sortByLength: boolean): Uint32Array[] {
  let order = Array.from(rows);
  if (sortByLength) {
    const len = (r: number) => data.offsets[r + 1] - data.offsets[r];
    order = order
      .map((r, i) => [r, i] as const)
      .sort((x, y) => len(y[0]) - len(x[0]) || x[1] - y[1])
      .map(([r]) => r);
  }
  const groups: Uint32Array[] = [];
  for (let i = 0; i < order.length; i += batchSize) groups.push(Uint32Array.from(order.slice(i, i + batchSize)));
  return groups;
}

/** Padded tensors for some rows (file row indices); `weight` is each row's weight in the loss. */
export function buildMicroBatch(rows: Uint32Array, data: EncodedRows, weight: number): MicroBatch {
  const n = rows.length;
  let seqLen = 0;
  for (const r of rows) seqLen = Math.max(seqLen, data.offsets[r + 1] - data.offsets[r]);
  const inputIds = new BigInt64Array(n * seqLen).fill(BigInt(data.padId));
  const attentionMask = new BigInt64Array(n * seqLen);
  const tokenTypeIds = data.secondStarts ? new BigInt64Array(n * seqLen) : undefined;
  const labels = new Float32Array(n);
  const pairType = BigInt(data.pairTypeId);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    const begin = data.offsets[r];
    const len = data.offsets[r + 1] - begin;
    for (let t = 0; t < len; t++) {
      inputIds[i * seqLen + t] = BigInt(data.ids[begin + t]);
      attentionMask[i * seqLen + t] = 1n;
    }
    if (tokenTypeIds) for (let t = data.secondStarts![r]; t < len; t++) tokenTypeIds[i * seqLen + t] = pairType;
    labels[i] = data.labels[r];
  }
  const batch: MicroBatch = { rows: n, seqLen, inputIds, attentionMask, labels, rowWeights: new Float32Array(n).fill(weight) };
  if (tokenTypeIds) batch.tokenTypeIds = tokenTypeIds;
  return batch;
}

/** The micro-batches of optimizer step `step` (0-based), with their dropout seeds. */
export function planStep(
  order: Uint32Array,
  step: number,
  data: EncodedRows,
  s: StreamSettings,
): { rows: number; micro: { batch: MicroBatch; dropoutSeed: number }[] } {
  const slice = stepSlice(order, step, s);
  const weight = 1 / slice.length;
  const groups = groupStep(slice, data, s.batchSize, s.shuffle);
  return {
    rows: slice.length,
    micro: groups.map((g, i) => ({ batch: buildMicroBatch(g, data, weight), dropoutSeed: dropoutSeedFor(s.seed, step, i) })),
  };
}
