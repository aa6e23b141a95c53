// AdamW as torch.optim.AdamW and optax.adamw define it (Loshchilov & Hutter,
// "Decoupled Weight Decay Regularization"): for update t = 1, 2, ...
//
//   m = b1 m + (1 - b1) g          v = b2 v + (1 - b2) g²
//   p = p - lr·wd·p                 (decoupled decay, on every parameter)
//   p = p - lr · (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
//
// eps is added outside the square root (torch's and optax's default; optax's
// eps_root is 0). Weights and both moments are stored as float32, as a
// PyTorch fp32 run keeps them; each element is computed in float64 from the
// stored float32 values and rounded once when stored, so the only rounding
// is the storage's. torch computes the same expression in float32 with a
// rounding after each operation: the two agree to within a few float32 ulps
// per step (the test bounds it against a float64 reference).
import type { ParameterSet } from '../contract.js';

export interface AdamWSettings {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWSettings = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

/** The optimizer's state: the two moments of every parameter and the number of updates done. */
export interface AdamWState {
  step: number;
  expAvg: ParameterSet;
  expAvgSq: ParameterSet;
}

export class AdamW {
  readonly settings: AdamWSettings;
  readonly state: AdamWState;

  /** Fresh moments (zeros) for the given parameter sizes, or a saved state to continue from. */
  constructor(sizes: ReadonlyMap<string, number>, settings: Partial<AdamWSettings> = {}, state?: AdamWState) {
    this.settings = { ...ADAMW_DEFAULTS, ...settings };
    if (state) {
      for (const [name, n] of sizes) {
        if (state.expAvg.get(name)?.length !== n || state.expAvgSq.get(name)?.length !== n) {
          throw new Error(`AdamW state has no moments of ${n} values for ${name}`);
        }
      }
      this.state = state;
    } else {
      const zeros = () => new Map([...sizes].map(([name, n]) => [name, new Float32Array(n)] as const));
      this.state = { step: 0, expAvg: zeros(), expAvgSq: zeros() };
    }
  }

  /** One update of every parameter in `weights` from `grads` at learning rate `lr` (in place). */
  update(weights: ParameterSet, grads: ParameterSet, lr: number): void {
    const { beta1, beta2, eps, weightDecay } = this.settings;
    const t = ++this.state.step;
    // torch's spelling: p *= 1 - lr·wd; p -= (lr / bc1) · m / (sqrt(v) / sqrt(bc2) + eps).
    const keep = 1 - lr * weightDecay;
    const stepSize = lr / (1 - beta1 ** t);
    const invSqrtBc2 = 1 / Math.sqrt(1 - beta2 ** t);
    const c1 = 1 - beta1;
    const c2 = 1 - beta2;
    for (const [name, p] of weights) {
      const g = grads.get(name);
      const m = this.state.expAvg.get(name);
      const v = this.state.expAvgSq.get(name);
      if (!g || !m || !v || g.length !== p.length) throw new Error(`AdamW: no gradient or moments for ${name}`);
      for (let i = 0; i < p.length; i++) {
        const gi = g[i];
        const mi = beta1 * m[i] + c1 * gi;
        const vi = beta2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * keep - (stepSize * mi) / (Math.sqrt(vi) * invSqrtBc2 + eps);
      }
    }
  }
}
