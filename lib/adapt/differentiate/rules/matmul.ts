// MatMul and Gemm. The weight of a rank-3 activation times a rank-2 weight
// gets its gradient as one 2-D Gemm over the flattened rows (transA), never
// as a per-batch [B, in, out] product summed afterwards.
import type { AttrValue } from '../../../forge/onnx/graph-builder.js';
import { dy0, type VjpRule } from './types.js';

export const matmul: VjpRule = (ctx) => {
  const { tape: t, node } = ctx;
  const dy = dy0(ctx);
  const [a, b] = node.inputs;
  const A = t.meta(a).shape;
  const B = t.meta(b).shape;
  const flat = A.length === 2 && B.length === 2;
  let da: string | undefined;
  let db: string | undefined;
  if (ctx.needs[0]) da = flat ? t.gemm(dy, b, false, true) : t.sumTo(t.matmul(dy, t.swapLast(b)), A);
  if (ctx.needs[1]) {
    if (flat) {
      db = t.gemm(a, dy, true, false);
    } else if (B.length === 2) {
      const [k, n] = B;
      if (typeof k !== 'number' || typeof n !== 'number') throw new Error(`MatMul ${node.name}: a 2-D weight needs static dims`);
      db = t.gemm(t.reshape(a, [-1, k]), t.reshape(dy, [-1, n]), true, false);
    } else {
      db = t.sumTo(t.matmul(t.swapLast(a), dy), B);
    }
  }
  return [da, db];
};

const floatAttr = (v: AttrValue | undefined, fallback: number) =>
  v !== undefined && typeof v === 'object' && 'float' in v ? v.float : fallback;

// Y = alpha op(A) op(B) + beta C
export const gemm: VjpRule = (ctx) => {
  const { tape: t, node } = ctx;
  const dy = dy0(ctx);
  const [a, b, c] = node.inputs;
  const tA = node.attrs.transA === 1;
  const tB = node.attrs.transB === 1;
  const alpha = floatAttr(node.attrs.alpha, 1);
  const beta = floatAttr(node.attrs.beta, 1);
  const scale = (x: string, k: number) => (k === 1 ? x : t.mul(x, t.like(x, k)));
  let da: string | undefined;
  let db: string | undefined;
  if (ctx.needs[0]) da = scale(tA ? t.gemm(b, dy, tB, true) : t.gemm(dy, b, false, !tB), alpha);
  if (ctx.needs[1]) db = scale(tB ? t.gemm(dy, a, true, tA) : t.gemm(a, dy, !tA, false), alpha);
  const dc = c && ctx.needs[2] ? t.sumTo(scale(dy, beta), t.meta(c).shape) : undefined;
  return [da, db, dc];
};
