// LayerNormalization and Softmax.
import type { AttrValue } from '../../../forge/onnx/graph-builder.js';
import { dy0, type VjpRule } from './types.js';

const eps = (v: AttrValue | undefined) => (v !== undefined && typeof v === 'object' && 'float' in v ? v.float : 1e-5);

// y = xhat * gamma + beta over the axes from `axis` on, xhat = (x - mean) r,
// r = 1 / sqrt(var + eps). The statistics are recomputed here in x's type
// (ORT's optional Mean/InvStdDev outputs are float32 even for float64 x).
//   dgamma = sum(dy xhat), dbeta = sum(dy)   (over the leading axes)
//   dx = r (g - mean(g) - xhat mean(g xhat)),  g = dy gamma
export const layerNormalization: VjpRule = (ctx) => {
  const { tape: t, node } = ctx;
  const dy = dy0(ctx);
  const [x, gamma, beta] = node.inputs;
  const rank = t.meta(x).shape.length;
  const raw = typeof node.attrs.axis === 'number' ? node.attrs.axis : -1;
  const start = raw < 0 ? raw + rank : raw;
  const axes = Array.from({ length: rank - start }, (_, i) => start + i);
  const needX = ctx.needs[0];
  const needGamma = ctx.needs[1];
  if (!needX && !needGamma) return [undefined, undefined, ctx.needs[2] ? t.sumTo(dy, t.meta(beta).shape) : undefined];
  const centred = t.sub(x, t.reduceMean(x, axes, true));
  const variance = t.reduceMean(t.mul(centred, centred), axes, true);
  const r = t.emit('Reciprocal', [t.emit('Sqrt', [t.add(variance, t.like(x, eps(node.attrs.epsilon)))])]);
  const xhat = t.mul(centred, r);
  let dx: string | undefined;
  if (needX) {
    const g = t.mul(dy, gamma);
    const m1 = t.reduceMean(g, axes, true);
    const m2 = t.reduceMean(t.mul(g, xhat), axes, true);
    dx = t.mul(r, t.sub(t.sub(g, m1), t.mul(xhat, m2)));
  }
  return [
    dx,
    needGamma ? t.sumTo(t.mul(dy, xhat), t.meta(gamma).shape) : undefined,
    beta && ctx.needs[2] ? t.sumTo(dy, t.meta(beta).shape) : undefined,
  ];
};

// dx = y (dy - sum(dy y)) along the axis
export const softmax: VjpRule = (ctx) => {
  const { tape: t, node } = ctx;
  const dy = dy0(ctx);
  const y = node.outputs[0];
  const rank = t.meta(y).shape.length;
  const raw = typeof node.attrs.axis === 'number' ? node.attrs.axis : -1;
  const axis = raw < 0 ? raw + rank : raw;
  return [t.mul(y, t.sub(dy, t.reduceSum(t.mul(dy, y), [axis], true)))];
};
