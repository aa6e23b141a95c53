// orderAgainstNoise (support/agreement.ts), the int8 test's order check,
// on synthetic scores: it must pass noise that is only noise, and fail an
// error of the same size that reorders the clear cases on purpose, or a
// passing int8 test would prove nothing.
import { expect, it } from 'vitest';
import { mulberry32 } from '../support/pairs.js';
import { orderAgainstNoise } from '../../support/agreement.js';

const SETS = 96;
const K = 8;

function sets(seed: number) {
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const ref = Array.from({ length: SETS }, () => Float64Array.from({ length: K }, () => 0.1 * gauss()));
  const noisy = ref.map((s) => s.map((v) => v + 0.01 * gauss() + 0.003)); // noise plus a common shift
  return { ref, noisy, gauss };
}

it('passes independent noise: decided sets rarely flip, within the bound', () => {
  for (const seed of [1, 2, 3]) {
    const { ref, noisy } = sets(seed);
    const c = orderAgainstNoise(ref, noisy);
    expect(c.decidedSets).toBeGreaterThan(SETS / 4);
    expect(c.flips).toBeLessThanOrEqual(c.flipBound);
    expect(c.discordant).toBeLessThanOrEqual(c.discordantBound);
  }
});

it('fails an error no larger than the noise that is aimed at the winners of decided sets', () => {
  const { ref, noisy } = sets(1);
  const clean = orderAgainstNoise(ref, noisy);
  // In every decided set, move the best candidate down and the second up by
  // 0.9 x the noise's own reordering margin: no residual grows past that
  // margin, but the errors now always point the wrong way.
  const argmax = (s: ArrayLike<number>) => Array.from(s).reduce((b, v, i, a) => (v > a[b] ? i : b), 0);
  const aimed = noisy.map((s, i) => {
    const r = ref[i];
    const order = Array.from(r.keys()).sort((a, b) => r[b] - r[a]);
    if (r[argmax(r)] - r[order[1]] < clean.margin) return s;
    const shift = s.reduce((a, v, j) => a + v - r[j], 0) / K; // keep the set's mean error
    const out = Float64Array.from(s);
    out[order[0]] = r[order[0]] + shift - 0.9 * clean.margin;
    out[order[1]] = r[order[1]] + shift + 0.9 * clean.margin;
    return out;
  });
  const c = orderAgainstNoise(ref, aimed);
  console.log(
    `noise: ${clean.flips} flips of ${clean.decidedSets} decided (bound ${clean.flipBound}); aimed: ${c.flips} of ${c.decidedSets} (bound ${c.flipBound}), margin ${clean.margin.toFixed(4)} -> ${c.margin.toFixed(4)}`,
  );
  expect(c.margin).toBeLessThanOrEqual(clean.margin * 1.2);
  expect(c.flips).toBeGreaterThan(c.flipBound);
});
