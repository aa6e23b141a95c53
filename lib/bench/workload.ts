// Benchmark workloads: (instruction, response) pairs whose token counts follow
// a chosen distribution, so throughput and padding numbers are about the
// length mix, not about whatever text happened to be at hand.
//
// Lengths count every token the model sees, special tokens included (a
// RoBERTa pair has 4). The lognormal mix (median 96, sigma 0.8, redrawn
// outside 8..512) has most pairs short and a long tail up to the model's
// limit, the shape real instruction/response traffic has.
//
// Text is built word by word by lib/tokenizer/synthetic-pairs.ts (warm-up
// uses it too, so it lives below both).
import { InvalidInputError } from '../errors/index.js';
import { synthesizePairs } from '../tokenizer/synthetic-pairs.js';
import { seededRandom } from '../util/seeded-random.js';

export { seededRandom, synthesizePairs };

export interface LognormalMix {
  kind: 'lognormal';
  min: number;
  max: number;
  median: number;
  sigma: number;
}
export type LengthMix = LognormalMix | { kind: 'fixed'; tokens: number };

export const LOGNORMAL_8_512: LognormalMix = { kind: 'lognormal', min: 8, max: 512, median: 96, sigma: 0.8 };

/** Parses `lognormal` or `fixed:N` (the CLI's --lengths). */
export function parseLengthMix(text: string, maxLength = 512): LengthMix {
  if (text === 'lognormal') return { ...LOGNORMAL_8_512, max: Math.min(LOGNORMAL_8_512.max, maxLength) };
  const m = /^fixed:(\d+)$/.exec(text);
  if (m) {
    const tokens = Number(m[1]);
    if (tokens < 5 || tokens > maxLength) {
      throw new InvalidInputError(`--lengths fixed:N needs N from 5 to ${maxLength} tokens, got ${tokens}`);
    }
    return { kind: 'fixed', tokens };
  }
  throw new InvalidInputError(`--lengths must be 'lognormal' or 'fixed:N', got '${text}'`);
}

/** Draws `count` total token lengths from the mix. */
export function drawLengths(mix: LengthMix, count: number, random: () => number): number[] {
  if (mix.kind === 'fixed') return new Array<number>(count).fill(mix.tokens);
  const out: number[] = [];
  const mu = Math.log(mix.median);
  while (out.length < count) {
    // Box-Muller; 1 - u keeps log() away from 0.
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const len = Math.round(Math.exp(mu + mix.sigma * z));
    if (len >= mix.min && len <= mix.max) out.push(len);
  }
  return out;
}
