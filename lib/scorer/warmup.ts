// Warm-up: run a few batches of chosen shapes before a model takes traffic,
// so the first real request does not pay for what a runtime does once per
// session or per shape (ORT's arena growth and first-run kernel setup on the
// CPU; cuDNN algorithm search and TensorRT engine builds on a GPU).
import { InvalidInputError } from '../errors/index.js';
import { synthesizePairs } from '../tokenizer/synthetic-pairs.js';
import { checkInteger } from '../options/spec.js';
import type { Scorer } from './scorer.js';

export interface WarmUpOptions {
  /** Token lengths per pair (special tokens included), each clamped to the model's max length. */
  lengths: readonly number[];
  /** Pairs per call, run at every length. */
  batchSizes: readonly number[];
  signal?: AbortSignal;
}

export interface WarmUpShape {
  tokens: number;
  batch: number;
  ms: number;
}

/** Runs every (length, batch size) once, smallest first; resolves with each shape's time. */
export async function warmUp(scorer: Scorer, options: WarmUpOptions): Promise<WarmUpShape[]> {
  const max = scorer.info.maxLength;
  const check = (list: unknown, name: string) => {
    if (!Array.isArray(list)) throw new InvalidInputError(`${name} must be an array of integers`);
    return list.map((v, i) => checkInteger(`${name}[${i}]`, v, 1));
  };
  const lengths = [...new Set(check(options.lengths, 'lengths').map((l) => Math.min(Math.max(l, 5), max)))].sort((a, b) => a - b);
  const batches = [...new Set(check(options.batchSizes, 'batchSizes'))].sort((a, b) => a - b);
  const shapes: WarmUpShape[] = [];
  for (const tokens of lengths) {
    const [pair] = synthesizePairs(scorer.tokenizer, [tokens], { seed: tokens });
    for (const batch of batches) {
      const t0 = performance.now();
      await scorer.scoreBatch(new Array(batch).fill(pair), { signal: options.signal });
      shapes.push({ tokens, batch, ms: performance.now() - t0 });
    }
  }
  return shapes;
}
