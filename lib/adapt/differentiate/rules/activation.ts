// GELU as one op (com.microsoft Gelu, the training graph's): y = h Phi(h),
// Phi the standard normal CDF. dy/dh = Phi(h) + h phi(h), phi the density,
// computed from h alone, so nothing of the forward but h is kept.
import { dy0, type VjpRule } from './types.js';

export const gelu: VjpRule = (ctx) => {
  const { tape: t, node } = ctx;
  const h = node.inputs[0];
  const cdf = t.mul(t.add(t.emit('Erf', [t.mul(h, t.like(h, Math.SQRT1_2))]), t.like(h, 1)), t.like(h, 0.5));
  const pdf = t.mul(t.emit('Exp', [t.mul(t.mul(h, h), t.like(h, -0.5))]), t.like(h, 1 / Math.sqrt(2 * Math.PI)));
  return [t.mul(dy0(ctx), t.add(cdf, t.mul(h, pdf)))];
};
