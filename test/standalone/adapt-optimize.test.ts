// The optimizer against independent float64 implementations written here
// from torch.optim.AdamW's documented algorithm (and the schedule from
// transformers' get_linear_schedule_with_warmup, clipping from
// torch.nn.utils.clip_grad_norm_), not from lib/adapt's code.
import { describe, expect, it } from 'vitest';
import { AdamW } from '../../lib/adapt/optimize/adamw.js';
import { clipGradNorm, globalGradNorm } from '../../lib/adapt/optimize/clip.js';
import { linearSchedule, linearWarmupFactor, roundHalfEven, warmupStepsFor } from '../../lib/adapt/optimize/schedule.js';
import { seededRandom } from '../../lib/util/seeded-random.js';

const EPS32 = 2 ** -24; // float32's unit roundoff

/** torch.optim.AdamW, step by step, all in float64 (torch's order: decay, moments, then the bias-corrected step). */
class ReferenceAdamW {
  m: Float64Array;
  v: Float64Array;
  t = 0;
  constructor(
    public p: Float64Array,
    private readonly wd: number,
    private readonly b1 = 0.9,
    private readonly b2 = 0.999,
    private readonly eps = 1e-8,
  ) {
    this.m = new Float64Array(p.length);
    this.v = new Float64Array(p.length);
  }
  step(g: ArrayLike<number>, lr: number): void {
    this.t += 1;
    const bc1 = 1 - this.b1 ** this.t;
    const bc2 = 1 - this.b2 ** this.t;
    for (let i = 0; i < this.p.length; i++) {
      this.p[i] *= 1 - lr * this.wd;
      this.m[i] = this.m[i] * this.b1 + (1 - this.b1) * g[i];
      this.v[i] = this.v[i] * this.b2 + (1 - this.b2) * g[i] * g[i];
      const denom = Math.sqrt(this.v[i]) / Math.sqrt(bc2) + this.eps;
      this.p[i] -= (lr / bc1) * (this.m[i] / denom);
    }
  }
}

function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

function ulp32(x: number): number {
  const a = Math.abs(Math.fround(x));
  if (a === 0) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

describe('AdamW', () => {
  const n = 4096;

  it('one step equals torch AdamW in float64, rounded once to float32', () => {
    const p0 = randomArray(n, 1);
    // Gradients over many magnitudes, and some zeros (a parameter that gets no gradient must not move but for decay).
    const g = randomArray(n, 2).map((x, i) => (i % 97 === 0 ? 0 : x * 10 ** ((i % 9) - 6)));
    for (const wd of [0, 0.01]) {
      const ours = new Map([['p', p0.slice()]]);
      const adam = new AdamW(new Map([['p', n]]), { weightDecay: wd });
      adam.update(ours, new Map([['p', g]]), 2e-5);
      const ref = new ReferenceAdamW(Float64Array.from(p0), wd);
      ref.step(g, 2e-5);
      let worst = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(ours.get('p')![i] - ref.p[i]) / ulp32(ref.p[i]));
      // One rounding to float32 at the end: within half an ulp, plus float64 noise.
      expect(worst).toBeLessThanOrEqual(0.5 + 1e-6);
      // Adam's first step is lr · sign(g) where |g| >> eps (m̂ / sqrt(v̂) = g / |g|).
      for (let i = 0; i < n; i++) {
        if (Math.abs(g[i]) < 1e-4) continue;
        const expected = p0[i] * (1 - 2e-5 * wd) - 2e-5 * Math.sign(g[i]);
        expect(Math.abs(ours.get('p')![i] - expected)).toBeLessThanOrEqual(ulp32(expected) + 2e-5 * 1e-3);
      }
      if (wd === 0) for (let i = 0; i < n; i += 97) expect(ours.get('p')![i]).toBe(p0[i]);
    }
  });

  it('after 25 steps stays within the float32 storage bound of the float64 trajectory; a wrong AdamW does not', () => {
    const steps = 25;
    const lr = 1e-3;
    const wd = 0.01;
    const p0 = randomArray(n, 3);
    const grads = Array.from({ length: steps }, (_, t) => randomArray(n, 100 + t, 0.5));
    const ours = new Map([['p', p0.slice()]]);
    const adam = new AdamW(new Map([['p', n]]), { weightDecay: wd });
    const ref = new ReferenceAdamW(Float64Array.from(p0), wd);
    // A variant with a plausible mistake (no bias correction), which the bound must reject.
    const noBias = Float64Array.from(p0);
    const mN = new Float64Array(n);
    const vN = new Float64Array(n);
    for (let t = 0; t < steps; t++) {
      adam.update(ours, new Map([['p', grads[t]]]), lr);
      ref.step(grads[t], lr);
      for (let i = 0; i < n; i++) {
        const gi = grads[t][i];
        mN[i] = 0.9 * mN[i] + 0.1 * gi;
        vN[i] = 0.999 * vN[i] + 0.001 * gi * gi;
        noBias[i] = noBias[i] * (1 - lr * wd) - (lr * mN[i]) / (Math.sqrt(vN[i]) + 1e-8);
      }
    }
    // Bound: every step rounds p (at most |p|·u, u = 2^-24) and the moments (relative u each,
    // compounding to t·u after t steps), which moves the update lr·m̂/(sqrt(v̂) + eps) by at most
    // 1.5·t·u of itself; |m̂/sqrt(v̂)| stays below 4 for these gradients (it is 1 at step 1).
    const bound = (i: number) => steps * (Math.abs(ref.p[i]) + 1) * EPS32 + 1.5 * steps * steps * lr * 4 * EPS32;
    let worstRatio = 0;
    for (let i = 0; i < n; i++) worstRatio = Math.max(worstRatio, Math.abs(ours.get('p')![i] - ref.p[i]) / bound(i));
    expect(worstRatio).toBeLessThan(1);
    console.log(`AdamW after ${steps} steps: worst |fp32 - float64| is ${worstRatio.toFixed(3)} of the bound`);
    expect(noBias.some((x, i) => Math.abs(x - ref.p[i]) > bound(i))).toBe(true);
  });

  it('adds eps outside the square root', () => {
    // With |g| = 1e-9 the first step is lr·g/(|g| + eps) = lr/11 outside, lr·g/sqrt(g² + eps) = 1e-5·lr inside.
    const adam = new AdamW(new Map([['p', 1]]));
    const p = new Map([['p', Float32Array.of(1)]]);
    adam.update(p, new Map([['p', Float32Array.of(1e-9)]]), 1);
    expect(p.get('p')![0]).toBeCloseTo(1 - 1e-9 / (1e-9 + 1e-8), 6);
  });

  it('continues from a saved state to the same bits as an uninterrupted run', () => {
    const p0 = randomArray(64, 5);
    const grads = Array.from({ length: 6 }, (_, t) => randomArray(64, 200 + t));
    const straight = new Map([['p', p0.slice()]]);
    const a = new AdamW(new Map([['p', 64]]), { weightDecay: 0.1 });
    for (const g of grads) a.update(straight, new Map([['p', g]]), 1e-2);
    const split = new Map([['p', p0.slice()]]);
    const b = new AdamW(new Map([['p', 64]]), { weightDecay: 0.1 });
    for (const g of grads.slice(0, 3)) b.update(split, new Map([['p', g]]), 1e-2);
    const saved = {
      step: b.state.step,
      expAvg: new Map([['p', b.state.expAvg.get('p')!.slice()]]),
      expAvgSq: new Map([['p', b.state.expAvgSq.get('p')!.slice()]]),
    };
    const c = new AdamW(new Map([['p', 64]]), { weightDecay: 0.1 }, saved);
    for (const g of grads.slice(3)) c.update(split, new Map([['p', g]]), 1e-2);
    expect(Buffer.from(split.get('p')!.buffer).equals(Buffer.from(straight.get('p')!.buffer))).toBe(true);
  });
});

describe('schedule: transformers.get_linear_schedule_with_warmup', () => {
  it('factor 0 at step 0, 1 at the end of warmup, 0 at the end', () => {
    const total = 100;
    const warmup = warmupStepsFor(0.1, total);
    expect(warmup).toBe(10);
    expect(linearWarmupFactor(0, warmup, total)).toBe(0);
    expect(linearWarmupFactor(5, warmup, total)).toBe(0.5);
    expect(linearWarmupFactor(10, warmup, total)).toBe(1);
    expect(linearWarmupFactor(55, warmup, total)).toBe(0.5);
    expect(linearWarmupFactor(99, warmup, total)).toBeCloseTo(1 / 90, 15);
    expect(linearWarmupFactor(100, warmup, total)).toBe(0);
    expect(linearWarmupFactor(150, warmup, total)).toBe(0);
    const s = linearSchedule(2e-5, 0.1, total);
    expect([s.lr(0), s.lr(10), s.lr(100)]).toEqual([0, 2e-5, 0]);
  });

  it('no warmup starts at the peak; warmup rounds as Python round() (ties to even)', () => {
    expect(linearWarmupFactor(0, 0, 7)).toBe(1);
    expect(linearWarmupFactor(6, 0, 7)).toBeCloseTo(1 / 7, 15);
    expect([roundHalfEven(2.5), roundHalfEven(3.5), roundHalfEven(-2.5), roundHalfEven(2.4999), roundHalfEven(7)]).toEqual([
      2, 4, -2, 2, 7,
    ]);
    expect(warmupStepsFor(0.1, 25)).toBe(2); // round(2.5) == 2 in Python
    expect(warmupStepsFor(0.1, 35)).toBe(4); // 0.1 * 35 is 3.5000000000000004
    expect(warmupStepsFor(0.1, 1)).toBe(0);
    expect(warmupStepsFor(1, 8)).toBe(8);
    // All warmup: the last update still runs below the peak, and nothing divides by zero.
    expect(linearWarmupFactor(7, 8, 8)).toBe(7 / 8);
    // Warmup longer than the run (the official script's curve, ratio 1.6): k / warmup throughout.
    const official = linearSchedule(2e-5, 1.6, 800);
    expect(official.warmupSteps).toBe(1280);
    expect(official.lr(799)).toBeCloseTo((2e-5 * 799) / 1280, 20);
  });
});

describe('clip_grad_norm_', () => {
  it('scales to max_norm / (norm + 1e-6) only when that is below 1', () => {
    const grads = new Map([
      ['a', randomArray(300, 9)],
      ['b', randomArray(17, 10, 3)],
    ]);
    let sq = 0;
    for (const g of grads.values()) for (const x of g) sq += x * x;
    const norm = Math.sqrt(sq);
    expect(globalGradNorm(grads)).toBeCloseTo(norm, 12);
    const before = new Map([...grads].map(([k, v]) => [k, v.slice()]));
    expect(clipGradNorm(grads, norm * 2)).toEqual({ norm, scale: 1 });
    for (const [k, v] of grads) expect(v).toEqual(before.get(k));
    const { scale } = clipGradNorm(grads, 1);
    expect(scale).toBeCloseTo(1 / (norm + 1e-6), 12);
    for (const [k, v] of grads) v.forEach((x, i) => expect(x).toBe(Math.fround(before.get(k)![i] * scale)));
    expect(globalGradNorm(grads)).toBeCloseTo(1, 5);
  });
});
