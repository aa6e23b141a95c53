// Gradient-norm clipping as torch.nn.utils.clip_grad_norm_ (the L2 norm over
// every parameter together): scale = maxNorm / (norm + 1e-6), applied only
// when below 1. The norm is summed in float64 (torch sums each tensor's norm
// in the gradient's dtype); the scaled gradients are rounded to float32 once.
import type { ParameterSet } from '../contract.js';

/** The L2 norm of all gradients together, in float64. */
export function globalGradNorm(grads: ParameterSet): number {
  let sum = 0;
  for (const g of grads.values()) {
    for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  }
  return Math.sqrt(sum);
}

/** Scales `grads` in place so their global norm is at most `maxNorm`; returns the norm before and the factor used. */
export function clipGradNorm(grads: ParameterSet, maxNorm: number): { norm: number; scale: number } {
  const norm = globalGradNorm(grads);
  const coef = maxNorm / (norm + 1e-6);
  if (!(coef < 1)) return { norm, scale: 1 };
  for (const g of grads.values()) {
    for (let i = 0; i < g.length; i++) g[i] = g[i] * coef;
  }
  return { norm, scale: coef };
}
